//! Job control: a stop signal stops every thread of a process until SIGCONT
//! (or SIGKILL); the parent hears of both (SIGCHLD, WUNTRACED, WCONTINUED).

use abi::signal::{SIGCHLD, SIGCONT, SIGKILL};
use abi::types::SigInfo;

use super::kill::deliver;
use super::signals::{SA_NOCLDSTOP, STOP_SIGNALS, bit};
use super::tree::JobEvent;
use super::{ProcessInfo, Task};
use crate::kernel::Kernel;

impl Task {
    /// A stop signal's default action: the whole process stops.
    pub(super) fn stop_process(&self, signo: i32) {
        {
            let mut stopped = self.process.stopped_by.lock();
            if stopped.is_some() {
                return;
            }
            *stopped = Some(signo);
        }
        self.process.interrupt_threads();
        notify_parent(&self.kernel, &self.process, JobEvent::Stopped(signo));
    }

    /// Waits while the process is stopped; SIGKILL and leaving end the wait.
    pub(super) fn wait_while_stopped(&self) {
        let killed = || self.process.signals.pending(&self.thread) & bit(SIGKILL) != 0;
        while self.process.stopped_by.lock().is_some()
            && !self.process.must_leave(self.tid)
            && !killed()
        {
            self.thread.waker.sleep(None);
        }
    }
}

/// What sending `signo` does at once, whatever its disposition: SIGCONT drops
/// pending stops and continues a stopped process; a stop drops a pending
/// SIGCONT.
pub(crate) fn on_send(kernel: &Kernel, process: &ProcessInfo, signo: i32) {
    let threads: Vec<_> = process.threads.lock().values().cloned().collect();
    if signo == SIGCONT {
        process.signals.discard(STOP_SIGNALS, &threads);
        if process.stopped_by.lock().take().is_some() {
            for t in &threads {
                t.kick();
            }
            notify_parent(kernel, process, JobEvent::Continued);
        }
    } else if STOP_SIGNALS & bit(signo) != 0 {
        process.signals.discard(bit(SIGCONT), &threads);
    }
}

/// Records the event for the parent's wait and sends it SIGCHLD, unless the
/// parent asked not to hear of stops (SA_NOCLDSTOP).
fn notify_parent(kernel: &Kernel, process: &ProcessInfo, event: JobEvent) {
    let parent = kernel.tree.job_event(process.pid, event);
    let Some(p) = (parent > 0).then(|| kernel.process(parent)).flatten() else {
        return;
    };
    if p.signals.action(SIGCHLD).flags & SA_NOCLDSTOP != 0 {
        return;
    }
    let (code, status) = match event {
        JobEvent::Stopped(s) => (abi::linux::CLD_STOPPED, s),
        JobEvent::Continued => (abi::linux::CLD_CONTINUED, SIGCONT),
    };
    let info = SigInfo::new(SIGCHLD, code as i32)
        .with_sender(process.pid, process.creds().uid)
        .with_status(status);
    // A standard signal: never refused.
    let _ = deliver(kernel, &p, None, SIGCHLD, info);
}
