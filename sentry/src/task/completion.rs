//! A one-shot event one task waits for (a vfork parent waiting for its child
//! to exec or exit).

use std::sync::atomic::{AtomicBool, Ordering};

use abi::Errno;

use crate::waiter::{Blocker, Queue, wait_until};

#[derive(Default)]
pub struct Completion {
    done: AtomicBool,
    queue: Queue,
}

impl Completion {
    pub fn complete(&self) {
        self.done.store(true, Ordering::SeqCst);
        self.queue.notify(crate::waiter::events::POLLIN);
    }

    /// Waits for `complete`; EINTR when a signal ends the wait first (Linux's
    /// vfork wait is killable).
    pub fn wait(&self, b: &dyn Blocker) -> Result<(), Errno> {
        wait_until(b, &self.queue, !0, None, || {
            self.done.load(Ordering::SeqCst).then_some(())
        })
    }
}
