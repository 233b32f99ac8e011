//! What a process's tasks share and what /proc shows of it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use parking_lot::Mutex;

use super::{Credentials, Limits, ProcessSignals};
use crate::fs::FdTable;
use crate::mm::MemoryManager;
use crate::vfs::VfsPath;

/// Root, working directory and umask (what `CLONE_FS` shares).
pub struct FsContext {
    root: Mutex<VfsPath>,
    cwd: Mutex<VfsPath>,
    umask: AtomicU32,
}

impl FsContext {
    pub fn new(root: VfsPath, cwd: VfsPath, umask: u32) -> FsContext {
        FsContext {
            root: Mutex::new(root),
            cwd: Mutex::new(cwd),
            umask: AtomicU32::new(umask),
        }
    }
    /// A forked child's copy (without CLONE_FS).
    pub fn fork_copy(&self) -> FsContext {
        FsContext::new(self.root(), self.cwd(), self.umask())
    }
    pub fn root(&self) -> VfsPath {
        self.root.lock().clone()
    }
    pub fn set_root(&self, root: VfsPath) {
        *self.root.lock() = root;
    }
    pub fn cwd(&self) -> VfsPath {
        self.cwd.lock().clone()
    }
    pub fn set_cwd(&self, cwd: VfsPath) {
        *self.cwd.lock() = cwd;
    }
    pub fn umask(&self) -> u32 {
        self.umask.load(Ordering::Relaxed)
    }
    /// Sets the umask; returns the old one.
    pub fn swap_umask(&self, mask: u32) -> u32 {
        self.umask.swap(mask, Ordering::Relaxed)
    }
}

/// Where argv and envp strings sit in the process's memory (/proc/PID/cmdline, environ).
#[derive(Clone, Copy, Debug, Default)]
pub struct ArgRanges {
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
}

pub struct ProcessInfo {
    pub pid: i32,
    pub started: Instant,
    pub fds: Arc<FdTable>,
    pub fs: Arc<FsContext>,
    pub mm: Mutex<Arc<MemoryManager>>,
    /// The thread name (`PR_SET_NAME`), NUL-padded.
    pub comm: Mutex<[u8; 16]>,
    pub exe: Mutex<String>,
    pub creds: Mutex<Arc<Credentials>>,
    pub limits: Mutex<Limits>,
    pub args: Mutex<ArgRanges>,
    /// Dispositions and pending signals.
    pub signals: ProcessSignals,
    /// Makes the process's task come back from application code (a signal for it).
    pub interrupter: Arc<dyn platform::Context>,
    /// Wakes the process's task from a blocking wait (a signal for it). One per
    /// process while processes have one task; per task once threads exist.
    pub waker: Arc<crate::waiter::Waker>,
}

impl ProcessInfo {
    pub fn creds(&self) -> Arc<Credentials> {
        self.creds.lock().clone()
    }
    pub fn mm(&self) -> Arc<MemoryManager> {
        self.mm.lock().clone()
    }
    pub fn comm_string(&self) -> String {
        let comm = *self.comm.lock();
        let end = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
        String::from_utf8_lossy(&comm[..end]).into_owned()
    }
}
