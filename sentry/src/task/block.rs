//! How a task blocks: on its thread's waker, which signals for it wake, so
//! that every wait in the sentry can give up when a signal needs the task.

use std::sync::Arc;
use std::time::Instant;

use abi::Errno;

use super::Task;
use crate::waiter::{Blocker, Waker};

impl Task {
    /// Whether a blocked call must give up now (EINTR): a pending signal ends
    /// the process or runs a handler, or the thread must leave. The one place
    /// that decides.
    pub fn interrupted(&self) -> bool {
        self.signal_pending()
    }
}

impl Blocker for Task {
    fn waker(&self) -> Arc<Waker> {
        self.thread.waker.clone()
    }

    fn block(&self, deadline: Option<Instant>) -> Result<(), Errno> {
        if self.interrupted() {
            return Err(Errno::EINTR);
        }
        let woken = self.thread.waker.sleep(deadline);
        if self.interrupted() {
            return Err(Errno::EINTR);
        }
        if woken { Ok(()) } else { Err(Errno::ETIMEDOUT) }
    }
}
