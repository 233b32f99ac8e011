//! The task running on the calling sentry thread, as Linux's `current`: files
//! whose answers depend on who asks (a signalfd reads the reader's signals)
//! look it up here, since `FileOps` calls carry no task.

use std::cell::RefCell;
use std::sync::{Arc, Weak};

use super::{ProcessInfo, ThreadInfo};
use crate::kernel::Kernel;

struct Current {
    kernel: Weak<Kernel>,
    process: Weak<ProcessInfo>,
    thread: Arc<ThreadInfo>,
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// Records that this sentry thread runs `thread` of `process` (at the start of
/// the task loop, and when execve gives the thread a new identity).
pub fn set(kernel: &Arc<Kernel>, process: &Arc<ProcessInfo>, thread: &Arc<ThreadInfo>) {
    CURRENT.with(|c| {
        *c.borrow_mut() = Some(Current {
            kernel: Arc::downgrade(kernel),
            process: Arc::downgrade(process),
            thread: thread.clone(),
        })
    });
}

/// Runs `f` with the calling thread's process and thread; None when this is
/// not a task's thread (the timer thread, a unit test) or the process is gone.
pub fn with<R>(f: impl FnOnce(&ProcessInfo, &ThreadInfo) -> R) -> Option<R> {
    let (process, thread) = CURRENT.with(|c| {
        let c = c.borrow();
        let c = c.as_ref()?;
        Some((c.process.clone(), c.thread.clone()))
    })?;
    let process = process.upgrade()?;
    Some(f(&process, &thread))
}

/// The kernel of the calling task (for objects made on its behalf that must
/// later signal its processes: a pty).
pub fn kernel() -> Option<Weak<Kernel>> {
    CURRENT.with(|c| c.borrow().as_ref().map(|c| c.kernel.clone()))
}
