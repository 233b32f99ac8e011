//! The end of a process: its resources go, it becomes a zombie, its parent hears.

use std::time::Duration;

use abi::signal::SIGCHLD;
use abi::types::SigInfo;

use super::tree::Exited;
use super::{ExitStatus, Task, signal_process};

impl Task {
    /// Runs the task to its end; a failure of the platform itself kills it.
    pub fn run_to_exit(&mut self) -> ExitStatus {
        match self.run() {
            Ok(status) => status,
            Err(e) => {
                tracing::error!("process {}: the platform failed: {e}", self.pid);
                ExitStatus::Signaled(abi::signal::SIGKILL)
            }
        }
    }

    /// The process has exited with `status`: its descriptors and memory are
    /// released first (so that pipe readers see end-of-file before the parent
    /// can reap it), then it becomes a zombie, its children go to init, and its
    /// parent gets SIGCHLD.
    pub fn finish(self, status: ExitStatus) {
        let kernel = self.kernel.clone();
        let pid = self.pid;
        let uid = self.creds().uid;
        let cpu = self.mm.address_space().cpu_time().unwrap_or(Duration::ZERO);
        if let Some(done) = &self.vfork_done {
            done.complete();
        }
        kernel.processes.lock().remove(&pid);
        drop(self);
        let reaps = |parent: i32| {
            kernel
                .process(parent)
                .is_some_and(|p| p.signals.reaps_children())
        };
        let parent = kernel.tree.exit(pid, Exited { status, uid, cpu }, reaps);
        if parent > 0 {
            let (code, value) = match status {
                ExitStatus::Exited(c) => (abi::linux::CLD_EXITED, c & 0xff),
                ExitStatus::Signaled(s) => (abi::linux::CLD_KILLED, s),
            };
            let info = SigInfo::new(SIGCHLD, code as i32)
                .with_sender(pid, uid)
                .with_status(value);
            let _ = signal_process(&kernel, parent, SIGCHLD, info);
        }
    }
}
