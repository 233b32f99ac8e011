//! The task running on the calling sentry thread, as Linux's `current`: files
//! whose answers depend on who asks (a signalfd reads the reader's signals)
//! look it up here, since `FileOps` calls carry no task.

use std::cell::RefCell;
use std::sync::{Arc, Weak};

use super::{ProcessInfo, ThreadInfo};

thread_local! {
    static CURRENT: RefCell<Option<(Weak<ProcessInfo>, Arc<ThreadInfo>)>> =
        const { RefCell::new(None) };
}

/// Records that this sentry thread runs `thread` of `process` (at the start of
/// the task loop, and when execve gives the thread a new identity).
pub fn set(process: &Arc<ProcessInfo>, thread: &Arc<ThreadInfo>) {
    CURRENT.with(|c| *c.borrow_mut() = Some((Arc::downgrade(process), thread.clone())));
}

/// Runs `f` with the calling thread's process and thread; None when this is
/// not a task's thread (the timer thread, a unit test) or the process is gone.
pub fn with<R>(f: impl FnOnce(&ProcessInfo, &ThreadInfo) -> R) -> Option<R> {
    let (process, thread) = CURRENT.with(|c| c.borrow().clone())?;
    let process = process.upgrade()?;
    Some(f(&process, &thread))
}
