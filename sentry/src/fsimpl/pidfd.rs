//! pidfd: an anonymous file naming one process (pidfd_open).
//!
//! It names the process, not the number: the file keeps a weak reference to
//! the process so that a pid reused after reaping is not mistaken for it.
//! Readable (POLLIN) once the process has exited, POLLHUP once reaped; waits use the process
//! tree's queue, notified at every exit.

use std::sync::{Arc, Weak};

use abi::Errno;
use abi::types::Stat;

use super::eventfd::anon_stat;
use crate::fs::FileOps;
use crate::kernel::Kernel;
use crate::task::ProcessInfo;
use crate::waiter::Queue;
use crate::waiter::events::*;

pub struct PidFd {
    pub pid: i32,
    /// Dangling when the process had already exited at pidfd_open.
    process: Weak<ProcessInfo>,
    kernel: Weak<Kernel>,
    changes: Arc<Queue>,
}

impl PidFd {
    /// A pidfd for `pid`, live or a zombie (ESRCH when neither).
    pub fn open(kernel: &Arc<Kernel>, pid: i32) -> Result<PidFd, Errno> {
        let process = match kernel.process(pid) {
            Some(p) => Arc::downgrade(&p),
            None if kernel.tree.is_zombie(pid) => Weak::new(),
            None => return Err(Errno::ESRCH),
        };
        Ok(PidFd {
            pid,
            process,
            kernel: Arc::downgrade(kernel),
            changes: kernel.tree.changes(),
        })
    }

    /// The process, while it runs.
    pub fn live(&self) -> Option<Arc<ProcessInfo>> {
        let kernel = self.kernel.upgrade()?;
        kernel
            .process(self.pid)
            .filter(|p| std::ptr::eq(Arc::as_ptr(p), self.process.as_ptr()))
    }
}

impl FileOps for PidFd {
    fn read(&self, _offset: u64, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn write(&self, _offset: u64, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    /// Readable once exited; hung up too once reaped (Linux 6.x).
    fn readiness(&self, mask: u32) -> u32 {
        if self.live().is_some() {
            return 0;
        }
        let reaped = self
            .kernel
            .upgrade()
            .is_none_or(|k| !k.tree.is_zombie(self.pid));
        (READABLE & mask) | if reaped { POLLHUP } else { 0 }
    }

    fn wait_queue(&self) -> Option<&Queue> {
        Some(&self.changes)
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("[pidfd]")
    }

    fn stat(&self) -> Result<Stat, Errno> {
        Ok(anon_stat())
    }

    fn seekable(&self) -> bool {
        false
    }

    fn as_pidfd(&self) -> Option<&PidFd> {
        Some(self)
    }
}
