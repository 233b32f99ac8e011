//! How a task finds executables: through its view of the VFS.

use abi::Errno;

use crate::loader::{ExecOpener, Executable};
use std::cell::RefCell;

use crate::vfs::perm::{MAY_EXEC, may_access};
use crate::vfs::write_access::{DenyWrite, deny_write_access};
use crate::vfs::{Resolver, VfsPath};

pub struct TaskOpener<'a> {
    pub resolver: Resolver<'a>,
    pub cwd: &'a VfsPath,
    /// Each file opened to execute denies writing while the exec runs (its
    /// path and guard); the program keeps the one of its executable.
    pub denied: RefCell<Vec<(String, DenyWrite)>>,
}

impl<'a> TaskOpener<'a> {
    pub fn new(resolver: Resolver<'a>, cwd: &'a VfsPath) -> TaskOpener<'a> {
        TaskOpener {
            resolver,
            cwd,
            denied: RefCell::new(Vec::new()),
        }
    }

    /// The guard of `exe`, the file that was finally loaded (the others, a
    /// script or an ELF interpreter, may be written again once loaded).
    pub fn keep_denied(&self, exe: &str) -> Option<DenyWrite> {
        let mut denied = self.denied.take();
        let at = denied.iter().rposition(|(p, _)| p == exe)?;
        Some(denied.swap_remove(at).1)
    }
}

impl ExecOpener for TaskOpener<'_> {
    fn open(&self, path: &str) -> Result<Executable, Errno> {
        let found = self.resolver.resolve(self.cwd, path.as_bytes(), true)?;
        if found.mount().flags.noexec {
            return Err(Errno::EACCES);
        }
        let stat = found.inode().stat()?;
        if !may_access(&self.resolver.creds, &stat, MAY_EXEC) {
            return Err(Errno::EACCES);
        }
        let deny = deny_write_access(found.inode().key())?;
        let file = found.inode().open(libc::O_RDONLY as u32)?;
        let path = String::from_utf8_lossy(&found.to_bytes()).into_owned();
        self.denied.borrow_mut().push((path.clone(), deny));
        Ok(Executable { file, stat, path })
    }
}

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Finds `name` in `PATH` from `env`, as execvp does; names with a '/' are used as given.
pub fn search_path(opener: &TaskOpener<'_>, env: &[Vec<u8>], name: &str) -> String {
    if name.contains('/') {
        return name.to_string();
    }
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix(b"PATH="))
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_else(|| DEFAULT_PATH.to_string());
    for dir in path.split(':') {
        let candidate = if dir.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", dir.trim_end_matches('/'))
        };
        let ok = opener
            .open(&candidate)
            .is_ok_and(|e| e.stat.mode & libc::S_IFMT == libc::S_IFREG);
        opener.denied.borrow_mut().clear();
        if ok {
            return candidate;
        }
    }
    name.to_string()
}
