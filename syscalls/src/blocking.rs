//! Blocking file I/O: files never sleep themselves (an operation that would
//! block says EAGAIN); a description without O_NONBLOCK waits here, on the
//! file's wait queue, where a signal can interrupt it.

use abi::linux as l;
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::task::Task;
use sentry::waiter::Blocker;

/// The limit every blocking call shares until signal handlers are invoked.
pub(crate) const INTERRUPT_NOTE: &str = "a wait is interrupted (EINTR) only by a signal that ends the process: signal handlers are not invoked yet";

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
            Err(Errno::EAGAIN) => t.block(None)?,
            r => return r,
        }
    }
}

/// Whether a write to `f` goes on until everything is written (a blocking
/// write to a stream that waits for room).
pub(crate) fn writes_fully(f: &OpenFile) -> bool {
    f.ops.wait_queue().is_some() && *f.flags.lock() & l::O_NONBLOCK == 0
}
