//! The end of a thread, and of a process with its last thread: resources go,
//! the process becomes a zombie, its parent hears.

use std::time::Duration;

use abi::signal::{SIGCHLD, SIGKILL};
use abi::types::SigInfo;

use super::tree::Exited;
use super::workers::Idle;
use super::{Ending, ExitStatus, Leaving, Task};

impl Task {
    /// Runs the task until it ends, then does what its end requires (the last
    /// thread of a process ends the process); then, if the sentry thread was
    /// kept for its address space's next threads, runs those.
    pub fn run_until_gone(self) {
        if let Some(idle) = self.run_once() {
            idle.serve();
        }
    }

    /// Runs the task until it ends and does what its end requires; returns
    /// the sentry thread's wait for another thread when it was kept
    /// (`workers.rs`).
    pub(crate) fn run_once(mut self) -> Option<Idle> {
        let ending = match self.run() {
            Ok(ending) => ending,
            Err(e) => {
                tracing::error!("task {}: the platform failed: {e}", self.tid);
                Ending::Group(ExitStatus::Signaled(SIGKILL))
            }
        };
        match ending {
            Ending::Group(status) => self.process.begin_group_exit(status),
            Ending::Thread(status) if self.tid == self.pid => {
                *self.process.leader_status.lock() = Some(status);
            }
            Ending::Thread(_) | Ending::Told => {}
        }
        self.leave(ending)
    }

    /// This thread is gone: its robust locks are marked, its tid is cleared for
    /// pthread_join (CLONE_CHILD_CLEARTID), its stub thread ends (last: the
    /// memory writes above may need it), and the process ends if it was the
    /// last thread. A thread that is not the last may keep its sentry
    /// thread and stub thread for the next thread of its address space.
    fn leave(self, ending: Ending) -> Option<Idle> {
        self.process.signals.forget_thread(self.tid);
        if self.tid != self.pid {
            self.kernel.tree.remove_thread(self.tid);
        }
        let last = {
            let mut threads = self.process.threads.lock();
            threads.remove(&self.tid);
            threads.is_empty()
        };
        // Only once the thread is gone may a joiner see its tid cleared.
        self.release_robust_futexes();
        if self.clear_child_tid != 0 {
            // Only other threads of this memory can care: a bad pointer is ignored.
            if self.mm.write_obj(self.clear_child_tid, &0u32).is_ok()
                && let Ok(key) = self.mm.futex_place(self.clear_child_tid, false)
            {
                self.kernel.futexes.wake(key, 1, u32::MAX);
            }
        }
        if !last
            && self.tid != self.pid
            && matches!(*self.process.leaving.lock(), Leaving::No)
            && let Some(jobs) = self.mm.idle_workers.park()
        {
            return Some(Idle {
                jobs,
                ctx: self.ctx.clone(),
            });
        }
        if let Err(e) = self.mm.address_space().release_thread() {
            tracing::debug!("task {}: releasing its stub thread: {e}", self.tid);
        }
        if !last {
            return None;
        }
        let status = match *self.process.leaving.lock() {
            Leaving::Group(status) => status,
            _ => match ending {
                Ending::Thread(status) | Ending::Group(status) => {
                    self.process.leader_status.lock().unwrap_or(status)
                }
                Ending::Told => ExitStatus::Signaled(SIGKILL),
            },
        };
        self.finish(status);
        None
    }

    /// The process has exited with `status`: its descriptors and memory are
    /// released first (so that pipe readers see end-of-file before the parent
    /// can reap it), then it becomes a zombie, its children go to init, and its
    /// parent gets SIGCHLD.
    fn finish(self, status: ExitStatus) {
        let kernel = self.kernel.clone();
        let pid = self.pid;
        let uid = self.creds().uid;
        let cpu = self.mm.address_space().cpu_time().unwrap_or(Duration::ZERO);
        if let Some(done) = &self.vfork_done {
            done.complete();
        }
        kernel.processes.lock().remove(&pid);
        let ctty = self.process.ctty.lock().take();
        // As Linux when the memory goes: the executable may be written again.
        self.process.exe_deny.lock().take();
        drop(self);
        // As Linux, after the descriptors closed: a leader's session loses its terminal.
        super::ctty::on_exit(&kernel, pid, ctty);
        let reaps = |parent: i32| {
            kernel
                .process(parent)
                .is_some_and(|p| p.signals.reaps_children())
        };
        let (code, value) = match status {
            ExitStatus::Exited(c) => (abi::linux::CLD_EXITED, c & 0xff),
            ExitStatus::Signaled(s) => (abi::linux::CLD_KILLED, s),
        };
        let info = SigInfo::new(SIGCHLD, code as i32)
            .with_sender(pid, uid)
            .with_status(value);
        // Called with the tree locked: the parent is signalled directly.
        let notify = |parent: i32| {
            if let Some(p) = kernel.process(parent)
                && !p.discards(None, SIGCHLD, kernel.shield_init)
                && p.signals.raise(None, SIGCHLD, info, u64::MAX) == Ok(true)
            {
                p.interrupt_threads();
            }
        };
        let orphans = kernel
            .tree
            .exit(pid, Exited { status, uid, cpu }, reaps, notify);
        super::pdeath::signal_orphans(&kernel, pid, uid, &orphans);
    }
}
