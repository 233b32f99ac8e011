//! A process's file descriptor table.

use std::collections::BTreeMap;
use std::sync::Arc;

use abi::Errno;

use super::file::OpenFile;

#[derive(Clone)]
pub struct FdEntry {
    pub file: Arc<OpenFile>,
    pub cloexec: bool,
}

#[derive(Default, Clone)]
pub struct FdTable {
    fds: BTreeMap<i32, FdEntry>,
}

impl FdTable {
    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        self.fds
            .get(&fd)
            .map(|e| e.file.clone())
            .ok_or(Errno::EBADF)
    }

    /// Installs `file` at the lowest free descriptor `>= min`, below `limit` (RLIMIT_NOFILE).
    pub fn install(
        &mut self,
        file: Arc<OpenFile>,
        cloexec: bool,
        min: i32,
        limit: u64,
    ) -> Result<i32, Errno> {
        let mut fd = min;
        for (&used, _) in self.fds.range(min..) {
            if used != fd {
                break;
            }
            fd = fd.checked_add(1).ok_or(Errno::EMFILE)?;
        }
        if fd as u64 >= limit {
            return Err(Errno::EMFILE);
        }
        self.fds.insert(fd, FdEntry { file, cloexec });
        Ok(fd)
    }

    /// Puts `file` at exactly `fd`, replacing what was there.
    pub fn install_at(&mut self, fd: i32, file: Arc<OpenFile>, cloexec: bool) {
        self.fds.insert(fd, FdEntry { file, cloexec });
    }

    pub fn remove(&mut self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        self.fds.remove(&fd).map(|e| e.file).ok_or(Errno::EBADF)
    }

    pub fn cloexec(&self, fd: i32) -> Result<bool, Errno> {
        self.fds.get(&fd).map(|e| e.cloexec).ok_or(Errno::EBADF)
    }

    pub fn set_cloexec(&mut self, fd: i32, cloexec: bool) -> Result<(), Errno> {
        self.fds
            .get_mut(&fd)
            .map(|e| e.cloexec = cloexec)
            .ok_or(Errno::EBADF)
    }

    /// Descriptors in `[first, last]`.
    pub fn in_range(&self, first: i32, last: i32) -> Vec<i32> {
        self.fds.range(first..=last).map(|(&fd, _)| fd).collect()
    }

    pub fn count(&self) -> usize {
        self.fds.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::host_fd::HostFd;

    fn file() -> Arc<OpenFile> {
        OpenFile::new(Arc::new(HostFd::new(-1)), libc::O_RDONLY as u32)
    }

    #[test]
    fn lowest_free_descriptor_and_limit() {
        let mut t = FdTable::default();
        assert_eq!(t.install(file(), false, 0, 10).unwrap(), 0);
        assert_eq!(t.install(file(), false, 0, 10).unwrap(), 1);
        t.remove(0).unwrap();
        assert_eq!(t.install(file(), false, 0, 10).unwrap(), 0);
        assert_eq!(t.install(file(), false, 5, 10).unwrap(), 5);
        assert_eq!(t.install(file(), false, 9, 10).unwrap(), 9);
        assert_eq!(t.install(file(), false, 9, 10).err(), Some(Errno::EMFILE));
        assert_eq!(t.remove(7).err(), Some(Errno::EBADF));
    }
}
