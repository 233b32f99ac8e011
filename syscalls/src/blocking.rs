//! Blocking file I/O: files never sleep themselves (an operation that would
//! block says EAGAIN); a description without O_NONBLOCK waits here, on the
//! file's wait queue, where a signal can interrupt it.

use abi::linux as l;
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::task::Task;
use sentry::waiter::Blocker;

/// A wait a signal interrupted: restarted after the handler if it has
/// SA_RESTART (or when no handler runs), else EINTR.
pub(crate) fn restartable<T>(r: Result<T, Errno>) -> Result<T, Errno> {
    r.map_err(|e| {
        if e == Errno::EINTR {
            Errno::ERESTARTSYS
        } else {
            e
        }
    })
}

/// A wait a signal interrupted: EINTR if a handler runs, else restarted
/// (poll, select, sigsuspend: never restarted after a handler).
pub(crate) fn restart_without_handler<T>(r: Result<T, Errno>) -> Result<T, Errno> {
    r.map_err(|e| {
        if e == Errno::EINTR {
            Errno::ERESTARTNOHAND
        } else {
            e
        }
    })
}

/// Runs `op` until it stops saying EAGAIN, sleeping until the file may be ready
/// for `events` in between, unless the description is non-blocking.
pub(crate) fn io_wait<R>(
    t: &Task,
    f: &OpenFile,
    events: u32,
    mut op: impl FnMut() -> Result<R, Errno>,
) -> Result<R, Errno> {
    let queue = match f.ops.wait_queue() {
        Some(q) if *f.flags.lock() & l::O_NONBLOCK == 0 => q,
        _ => return op(),
    };
    let _watch = queue.watch(events | sentry::waiter::events::ALWAYS, t.waker());
    loop {
        match op() {
            Err(Errno::EAGAIN) => restartable(t.block(None))?,
            r => return r,
        }
    }
}

/// Whether a write to `f` goes on until everything is written (a blocking
/// write to a stream that waits for room).
pub(crate) fn writes_fully(f: &OpenFile) -> bool {
    f.ops.wait_queue().is_some() && *f.flags.lock() & l::O_NONBLOCK == 0
}
