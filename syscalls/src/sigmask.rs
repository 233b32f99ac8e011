//! The signal mask a waiting call applies for the duration of its wait
//! (ppoll, pselect6, epoll_pwait): Linux restores the old mask at return, or,
//! when the wait was interrupted, only after the signal was acted on, so that a
//! signal the temporary mask lets through is delivered under that mask.

use sentry::Errno;
use sentry::task::{Task, UNBLOCKABLE};

use crate::args::SysResult;

const SIGSET_SIZE: usize = 8;

/// Installs the mask at `addr` (NULL: none); returns the mask to restore.
pub(crate) fn apply(t: &mut Task, addr: u64, size: usize) -> Result<Option<u64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    if size != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let new: u64 = t.mm.read_obj(addr)?;
    let old = t.signals.mask;
    t.signals.mask = new & !UNBLOCKABLE;
    // Senders see the mask of the wait; the task loop publishes the old one again.
    t.thread.set_blocked(t.signals.mask);
    Ok(Some(old))
}

/// Puts the old mask back now, or once signals were acted on after an
/// interruption.
pub(crate) fn restore(t: &mut Task, old: Option<u64>, result: &SysResult) {
    let Some(old) = old else {
        return;
    };
    if matches!(*result, Err(e) if e == Errno::EINTR || e.is_restart()) {
        t.signals.saved_mask = Some(old);
    } else {
        t.signals.mask = old;
    }
}
