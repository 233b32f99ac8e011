//! Waiting: wait queues that a source (a file, the process tree, a lock table)
//! notifies when its state may have changed, and the wakers blocked callers
//! sleep on.
//!
//! The pattern of every blocking wait in the sentry:
//!
//! ```text
//! let _watch = queue.watch(EVENTS, blocker.waker());   // register first...
//! loop {
//!     if let Some(x) = try_it() { return Ok(x) }       // ...then look...
//!     blocker.block(deadline)?;                         // ...then sleep: EINTR / ETIMEDOUT
//! }
//! ```
//!
//! Registering before looking means a change between the look and the sleep
//! still wakes the sleeper (a wake is remembered until the next sleep). Wakes
//! may be spurious: callers always look again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use abi::Errno;
use parking_lot::{Condvar, Mutex};

/// Readiness bits, as poll(2) numbers them (epoll uses the same values).
pub mod events {
    pub const POLLIN: u32 = 0x001;
    pub const POLLPRI: u32 = 0x002;
    pub const POLLOUT: u32 = 0x004;
    pub const POLLERR: u32 = 0x008;
    pub const POLLHUP: u32 = 0x010;
    pub const POLLNVAL: u32 = 0x020;
    pub const POLLRDNORM: u32 = 0x040;
    pub const POLLRDBAND: u32 = 0x080;
    pub const POLLWRNORM: u32 = 0x100;
    pub const POLLWRBAND: u32 = 0x200;
    pub const POLLRDHUP: u32 = 0x2000;
    /// Readable, in all its spellings.
    pub const READABLE: u32 = POLLIN | POLLRDNORM;
    /// Writable, in all its spellings.
    pub const WRITABLE: u32 = POLLOUT | POLLWRNORM;
    /// Reported whether asked for or not.
    pub const ALWAYS: u32 = POLLERR | POLLHUP | POLLNVAL;
}

/// Something a queue tells that readiness may have changed.
pub trait Notify: Send + Sync {
    /// `events`: what may have changed (a hint; listeners check readiness again).
    fn notify(&self, events: u32);
}

/// What a blocked caller sleeps on. A wake is remembered until the next sleep,
/// so one that comes before the sleep is not lost.
#[derive(Default)]
pub struct Waker {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl Waker {
    pub fn new() -> Arc<Waker> {
        Arc::new(Waker::default())
    }

    pub fn wake(&self) {
        *self.woken.lock() = true;
        self.cv.notify_all();
    }

    /// Sleeps until woken (true) or `deadline` passes (false).
    pub fn sleep(&self, deadline: Option<Instant>) -> bool {
        let mut woken = self.woken.lock();
        while !*woken {
            match deadline {
                Some(d) => {
                    if self.cv.wait_until(&mut woken, d).timed_out() {
                        break;
                    }
                }
                None => self.cv.wait(&mut woken),
            }
        }
        std::mem::take(&mut *woken)
    }
}

impl Notify for Waker {
    fn notify(&self, _events: u32) {
        self.wake();
    }
}

struct Entry {
    id: u64,
    mask: u32,
    listener: Arc<dyn Notify>,
}

/// Listeners interested in one source's changes.
#[derive(Default)]
pub struct Queue {
    next_id: AtomicU64,
    entries: Mutex<Vec<Entry>>,
}

impl Queue {
    /// Adds `listener` for changes in `mask`; the id unregisters it.
    pub fn register(&self, mask: u32, listener: Arc<dyn Notify>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.entries.lock().push(Entry { id, mask, listener });
        id
    }

    pub fn unregister(&self, id: u64) {
        self.entries.lock().retain(|e| e.id != id);
    }

    /// Registers for as long as the returned guard lives.
    pub fn watch(&self, mask: u32, listener: Arc<dyn Notify>) -> Watch<'_> {
        Watch {
            queue: self,
            id: self.register(mask, listener),
        }
    }

    /// Tells the listeners whose mask meets `events` (error and hang-up reach all).
    pub fn notify(&self, events: u32) {
        // Listeners run outside the lock: they may take other queues' locks.
        let listeners: Vec<Arc<dyn Notify>> = self
            .entries
            .lock()
            .iter()
            .filter(|e| e.mask & events != 0 || events & events::ALWAYS != 0)
            .map(|e| e.listener.clone())
            .collect();
        for l in listeners {
            l.notify(events);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.lock().is_empty()
    }
}

/// A registration that ends when dropped.
pub struct Watch<'a> {
    queue: &'a Queue,
    id: u64,
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        self.queue.unregister(self.id);
    }
}

/// How a caller blocks: a task (which signals interrupt), or a plain thread.
pub trait Blocker {
    /// What to register on queues so that their changes wake this caller.
    fn waker(&self) -> Arc<Waker>;
    /// Sleeps until woken (`Ok`, possibly spuriously), `deadline` (`ETIMEDOUT`) or
    /// until the caller must give up for a signal (`EINTR`).
    fn block(&self, deadline: Option<Instant>) -> Result<(), Errno>;
}

/// A blocker nothing interrupts (sentry-internal threads and unit tests).
pub struct Uninterruptible(pub Arc<Waker>);

impl Uninterruptible {
    pub fn new() -> Uninterruptible {
        Uninterruptible(Waker::new())
    }
}

impl Default for Uninterruptible {
    fn default() -> Self {
        Uninterruptible::new()
    }
}

impl Blocker for Uninterruptible {
    fn waker(&self) -> Arc<Waker> {
        self.0.clone()
    }
    fn block(&self, deadline: Option<Instant>) -> Result<(), Errno> {
        if self.0.sleep(deadline) {
            Ok(())
        } else {
            Err(Errno::ETIMEDOUT)
        }
    }
}

/// Waits on `queue` (for `mask`) until `ready` returns something, `deadline`, or
/// an interruption.
pub fn wait_until<T>(
    b: &dyn Blocker,
    queue: &Queue,
    mask: u32,
    deadline: Option<Instant>,
    mut ready: impl FnMut() -> Option<T>,
) -> Result<T, Errno> {
    let _watch = queue.watch(mask, b.waker());
    loop {
        if let Some(x) = ready() {
            return Ok(x);
        }
        b.block(deadline)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

    #[test]
    fn a_wake_before_the_sleep_is_not_lost() {
        let w = Waker::new();
        w.wake();
        assert!(w.sleep(None));
        assert!(!w.sleep(Some(Instant::now() + Duration::from_millis(5))));
    }

    #[test]
    fn wait_until_sees_a_change_from_another_thread() {
        let q = Arc::new(Queue::default());
        let flag = Arc::new(AtomicBool::new(false));
        let (q2, f2) = (q.clone(), flag.clone());
        let h = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            f2.store(true, Ordering::SeqCst);
            q2.notify(events::POLLIN);
        });
        let b = Uninterruptible::new();
        let r = wait_until(&b, &q, events::POLLIN, None, || {
            flag.load(Ordering::SeqCst).then_some(7)
        });
        assert_eq!(r, Ok(7));
        h.join().unwrap();
        assert!(q.is_empty(), "the watch ended");
    }

    #[test]
    fn masks_filter_but_hangups_reach_everyone() {
        let q = Queue::default();
        let w = Waker::new();
        let _watch = q.watch(events::POLLOUT, w.clone());
        q.notify(events::POLLIN);
        assert!(!w.sleep(Some(Instant::now())));
        q.notify(events::POLLHUP);
        assert!(w.sleep(Some(Instant::now())));
    }
}
