//! A process's file descriptor table.

use std::collections::BTreeMap;
use std::sync::Arc;

use abi::Errno;
use parking_lot::Mutex;

use super::file::OpenFile;

#[derive(Clone)]
pub struct FdEntry {
    pub file: Arc<OpenFile>,
    pub cloexec: bool,
}

/// Locked inside, so a table can be shared (threads, /proc) behind an `Arc`.
#[derive(Default)]
pub struct FdTable {
    fds: Mutex<BTreeMap<i32, FdEntry>>,
}

impl FdTable {
    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        self.fds
            .lock()
            .get(&fd)
            .map(|e| e.file.clone())
            .ok_or(Errno::EBADF)
    }

    /// Installs `file` at the lowest free descriptor `>= min`, below `limit` (RLIMIT_NOFILE).
    pub fn install(
        &self,
        file: Arc<OpenFile>,
        cloexec: bool,
        min: i32,
        limit: u64,
    ) -> Result<i32, Errno> {
        let mut fds = self.fds.lock();
        let mut fd = min;
        for (&used, _) in fds.range(min..) {
            if used != fd {
                break;
            }
            fd = fd.checked_add(1).ok_or(Errno::EMFILE)?;
        }
        if fd as u64 >= limit {
            return Err(Errno::EMFILE);
        }
        fds.insert(fd, FdEntry { file, cloexec });
        Ok(fd)
    }

    /// Puts `file` at exactly `fd`, replacing what was there.
    pub fn install_at(&self, fd: i32, file: Arc<OpenFile>, cloexec: bool) {
        let old = self.fds.lock().insert(fd, FdEntry { file, cloexec });
        // The replaced file is released outside the lock (closing may wake others).
        drop(old);
    }

    pub fn remove(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        let removed = self.fds.lock().remove(&fd);
        removed.map(|e| e.file).ok_or(Errno::EBADF)
    }

    pub fn cloexec(&self, fd: i32) -> Result<bool, Errno> {
        self.fds
            .lock()
            .get(&fd)
            .map(|e| e.cloexec)
            .ok_or(Errno::EBADF)
    }

    pub fn set_cloexec(&self, fd: i32, cloexec: bool) -> Result<(), Errno> {
        self.fds
            .lock()
            .get_mut(&fd)
            .map(|e| e.cloexec = cloexec)
            .ok_or(Errno::EBADF)
    }

    /// Descriptors in `[first, last]`.
    pub fn in_range(&self, first: i32, last: i32) -> Vec<i32> {
        self.fds
            .lock()
            .range(first..=last)
            .map(|(&fd, _)| fd)
            .collect()
    }

    /// A forked child's table: the same open files at the same numbers.
    pub fn fork_copy(&self) -> FdTable {
        FdTable {
            fds: Mutex::new(self.fds.lock().clone()),
        }
    }

    /// execve: closes the descriptors marked close-on-exec.
    pub fn close_on_exec(&self) {
        let closed: Vec<FdEntry> = {
            let mut fds = self.fds.lock();
            let doomed: Vec<i32> = fds
                .iter()
                .filter(|(_, e)| e.cloexec)
                .map(|(&fd, _)| fd)
                .collect();
            doomed.iter().filter_map(|fd| fds.remove(fd)).collect()
        };
        // Released outside the lock (closing may wake others).
        drop(closed);
    }

    /// Every open descriptor and its file, in order (for /proc/PID/fd).
    pub fn entries(&self) -> Vec<(i32, Arc<OpenFile>)> {
        self.fds
            .lock()
            .iter()
            .map(|(&fd, e)| (fd, e.file.clone()))
            .collect()
    }

    pub fn count(&self) -> usize {
        self.fds.lock().len()
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
        let t = FdTable::default();
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
