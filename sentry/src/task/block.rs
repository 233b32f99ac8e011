//! How a task blocks: on its process's waker, which `signal_process` wakes, so
//! that every wait in the sentry can give up when a signal needs the task.

use std::sync::Arc;
use std::time::Instant;

use abi::Errno;

use super::Task;
use crate::waiter::{Blocker, Waker};

impl Task {
    /// Whether a blocked call must give up now (EINTR) because of a pending
    /// signal. The one place that decides: signal handlers will widen it.
    pub fn interrupted(&self) -> bool {
        self.fatal_signal_pending()
    }
}

impl Blocker for Task {
    fn waker(&self) -> Arc<Waker> {
        self.process.waker.clone()
    }

    fn block(&self, deadline: Option<Instant>) -> Result<(), Errno> {
        if self.interrupted() {
            return Err(Errno::EINTR);
        }
        let woken = self.process.waker.sleep(deadline);
        if self.interrupted() {
            return Err(Errno::EINTR);
        }
        if woken { Ok(()) } else { Err(Errno::ETIMEDOUT) }
    }
}
