//! Futex waiters: tasks sleeping on a word of their address space until woken.
//!
//! Keys are (address space, address): private futexes. Shared futexes across
//! processes, requeueing and priority inheritance come with threads and fork.
//!
//! Lock order: the table's lock before the memory manager's (the value is compared
//! under the table lock, so a waker cannot slip in between check and sleep).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use std::sync::atomic::{AtomicBool, Ordering};

use abi::Errno;
use parking_lot::Mutex;

use crate::waiter::{Blocker, Waker};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FutexKey {
    /// Identity of the address space (its memory manager's address).
    pub space: usize,
    pub addr: u64,
}

struct Waiter {
    bitset: u32,
    woken: AtomicBool,
    waker: Arc<Waker>,
}

#[derive(Default)]
pub struct FutexTable {
    waiters: Mutex<HashMap<FutexKey, Vec<Arc<Waiter>>>>,
}

impl FutexTable {
    /// Sleeps on `key` if `matches()` (the futex word still holds the expected value),
    /// until woken, `deadline` or a signal. `EAGAIN` when the value differs,
    /// `ETIMEDOUT` at the deadline, `EINTR` when the blocker gives up.
    pub fn wait(
        &self,
        key: FutexKey,
        bitset: u32,
        deadline: Option<Instant>,
        b: &dyn Blocker,
        matches: impl FnOnce() -> Result<bool, Errno>,
    ) -> Result<(), Errno> {
        let waiter = Arc::new(Waiter {
            bitset,
            woken: AtomicBool::new(false),
            waker: b.waker(),
        });
        {
            let mut table = self.waiters.lock();
            if !matches()? {
                return Err(Errno::EAGAIN);
            }
            table.entry(key).or_default().push(waiter.clone());
        }
        loop {
            if waiter.woken.load(Ordering::SeqCst) {
                return Ok(());
            }
            if let Err(e) = b.block(deadline) {
                self.remove(key, &waiter);
                // A wake that raced with the timeout or signal still counts.
                return if waiter.woken.load(Ordering::SeqCst) {
                    Ok(())
                } else {
                    Err(e)
                };
            }
        }
    }

    fn remove(&self, key: FutexKey, waiter: &Arc<Waiter>) {
        let mut table = self.waiters.lock();
        if let Some(list) = table.get_mut(&key) {
            list.retain(|w| !Arc::ptr_eq(w, waiter));
            if list.is_empty() {
                table.remove(&key);
            }
        }
    }

    /// Wakes up to `n` waiters of `key` whose bitset intersects `bitset`; returns how many.
    pub fn wake(&self, key: FutexKey, n: usize, bitset: u32) -> usize {
        let mut table = self.waiters.lock();
        let Some(list) = table.get_mut(&key) else {
            return 0;
        };
        let mut woken = 0;
        list.retain(|w| {
            if woken < n && w.bitset & bitset != 0 {
                w.woken.store(true, Ordering::SeqCst);
                w.waker.wake();
                woken += 1;
                false
            } else {
                true
            }
        });
        if list.is_empty() {
            table.remove(&key);
        }
        woken
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::waiter::Uninterruptible;
    use std::time::Duration;

    const KEY: FutexKey = FutexKey {
        space: 1,
        addr: 0x1000,
    };

    #[test]
    fn value_mismatch_is_eagain_and_timeout_is_etimedout() {
        let t = FutexTable::default();
        assert_eq!(
            t.wait(KEY, !0, None, &Uninterruptible::new(), || Ok(false)),
            Err(Errno::EAGAIN)
        );
        let d = Instant::now() + Duration::from_millis(20);
        assert_eq!(
            t.wait(KEY, !0, Some(d), &Uninterruptible::new(), || Ok(true))
                .unwrap_err(),
            Errno::ETIMEDOUT
        );
        assert_eq!(t.wake(KEY, 1, !0), 0, "the timed-out waiter is gone");
    }

    #[test]
    fn wake_releases_a_waiter_with_a_matching_bitset() {
        let t = Arc::new(FutexTable::default());
        let t2 = t.clone();
        let h = std::thread::spawn(move || {
            t2.wait(KEY, 0b10, None, &Uninterruptible::new(), || Ok(true))
        });
        while t.waiters.lock().is_empty() {
            std::thread::yield_now();
        }
        assert_eq!(t.wake(KEY, 1, 0b01), 0, "bitsets do not intersect");
        assert_eq!(t.wake(KEY, 1, 0b10), 1);
        assert_eq!(h.join().unwrap(), Ok(()));
    }
}
