//! Futex waiters: tasks sleeping on a word of memory until woken.
//!
//! Keys say where the word is ([`FutexPlace`]): an address of one address space,
//! or a page of the memory file that MAP_SHARED areas of several processes share.
//! Waiters can be moved from one key to another (requeue).
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

pub use crate::mm::FutexPlace as FutexKey;

/// The owner's tid in a PI or robust futex word.
pub const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
/// Set in the word when threads wait for the lock.
pub const FUTEX_WAITERS: u32 = 0x8000_0000;
/// Set in the word when its owner died holding it.
pub const FUTEX_OWNER_DIED: u32 = 0x4000_0000;

/// Who takes a PI lock, and how long they wait.
#[derive(Clone, Copy, Debug)]
pub struct PiLock {
    pub tid: i32,
    /// FUTEX_TRYLOCK_PI: never wait.
    pub try_only: bool,
    pub deadline: Option<Instant>,
}

/// Atomically updates a futex word in application memory: calls the update
/// with the current value (None: leave it) and returns the old value.
pub type PiWord<'a> = dyn Fn(&mut dyn FnMut(u32) -> Option<u32>) -> Result<u32, Errno> + 'a;

struct Waiter {
    bitset: u32,
    woken: AtomicBool,
    waker: Arc<Waker>,
    /// The key it waits on now (requeue moves it); changed under the table lock.
    key: Mutex<FutexKey>,
    /// For PI waiters: the tid to make the owner when woken.
    tid: i32,
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
            key: Mutex::new(key),
            tid: 0,
        });
        {
            let mut table = self.waiters.lock();
            if !matches()? {
                return Err(Errno::EAGAIN);
            }
            table.entry(key).or_default().push(waiter.clone());
        }
        self.sleep(&waiter, deadline, b)
    }

    /// Sleeps until `waiter` is woken; on a timeout or signal it leaves the
    /// queue (a wake that raced with them still counts).
    fn sleep(
        &self,
        waiter: &Arc<Waiter>,
        deadline: Option<Instant>,
        b: &dyn Blocker,
    ) -> Result<(), Errno> {
        loop {
            if waiter.woken.load(Ordering::SeqCst) {
                return Ok(());
            }
            if let Err(e) = b.block(deadline) {
                let mut table = self.waiters.lock();
                if waiter.woken.load(Ordering::SeqCst) {
                    return Ok(());
                }
                let key = *waiter.key.lock();
                if let Some(list) = table.get_mut(&key) {
                    list.retain(|w| !Arc::ptr_eq(w, waiter));
                    if list.is_empty() {
                        table.remove(&key);
                    }
                }
                return Err(e);
            }
        }
    }

    /// FUTEX_REQUEUE and FUTEX_CMP_REQUEUE: wakes up to `n_wake` waiters of
    /// `from` and moves up to `n_move` others to `to`, if `matches()` (checked
    /// under the table lock; EAGAIN otherwise). Returns how many were woken and
    /// moved, as Linux does.
    pub fn requeue(
        &self,
        from: FutexKey,
        to: FutexKey,
        n_wake: usize,
        n_move: usize,
        matches: impl FnOnce() -> Result<bool, Errno>,
    ) -> Result<usize, Errno> {
        let mut table = self.waiters.lock();
        if !matches()? {
            return Err(Errno::EAGAIN);
        }
        let Some(mut list) = table.remove(&from) else {
            return Ok(0);
        };
        let wake = list.len().min(n_wake);
        for w in list.drain(..wake) {
            w.woken.store(true, Ordering::SeqCst);
            w.waker.wake();
        }
        let moved = list.len().min(n_move);
        let rest = list.split_off(moved);
        for w in &list {
            *w.key.lock() = to;
        }
        if !list.is_empty() {
            table.entry(to).or_default().extend(list);
        }
        if !rest.is_empty() {
            table.insert(from, rest);
        }
        Ok(wake + moved)
    }

    /// FUTEX_WAKE_OP's two wakes, with `op` (the word update and its test) run
    /// in between under the table lock: wakes up to `n1` waiters of `k1`, then,
    /// if `op()` says so, up to `n2` of `k2`.
    pub fn wake_op(
        &self,
        k1: FutexKey,
        k2: FutexKey,
        n1: usize,
        n2: usize,
        op: impl FnOnce() -> Result<bool, Errno>,
    ) -> Result<usize, Errno> {
        let mut table = self.waiters.lock();
        let test = op()?;
        let mut woken = Self::wake_locked(&mut table, k1, n1, u32::MAX);
        if test {
            woken += Self::wake_locked(&mut table, k2, n2, u32::MAX);
        }
        Ok(woken)
    }

    /// FUTEX_LOCK_PI / FUTEX_TRYLOCK_PI for thread `tid`: takes the lock whose
    /// word `word` updates atomically (see [`PiWord`]). A free lock (owner 0) or
    /// one whose owner is dead (`alive(owner)` false, the word then marked
    /// OWNER_DIED) is taken at once; otherwise the word gets FUTEX_WAITERS and
    /// the caller sleeps until the owner's unlock hands the lock over (EAGAIN
    /// for a trylock). EDEADLK when the caller owns it already.
    pub fn lock_pi(
        &self,
        key: FutexKey,
        req: PiLock,
        b: &dyn Blocker,
        word: &PiWord<'_>,
        alive: impl Fn(i32) -> bool,
    ) -> Result<(), Errno> {
        let PiLock {
            tid,
            try_only,
            deadline,
        } = req;
        let waiter = {
            let mut table = self.waiters.lock();
            let queued = table.get(&key).is_some_and(|l| !l.is_empty());
            let mut outcome = Ok(false);
            word(&mut |v| {
                let owner = (v & FUTEX_TID_MASK) as i32;
                let waiters = if queued { FUTEX_WAITERS } else { 0 };
                if owner == 0 {
                    outcome = Ok(true);
                    Some(tid as u32 | (v & FUTEX_OWNER_DIED) | waiters)
                } else if owner == tid {
                    outcome = Err(Errno::EDEADLK);
                    None
                } else if !alive(owner) {
                    outcome = Ok(true);
                    Some(tid as u32 | FUTEX_OWNER_DIED | waiters)
                } else if try_only {
                    outcome = Err(Errno::EAGAIN);
                    None
                } else {
                    outcome = Ok(false);
                    Some(v | FUTEX_WAITERS)
                }
            })?;
            if outcome? {
                return Ok(());
            }
            let waiter = Arc::new(Waiter {
                bitset: u32::MAX,
                woken: AtomicBool::new(false),
                waker: b.waker(),
                key: Mutex::new(key),
                tid,
            });
            table.entry(key).or_default().push(waiter.clone());
            waiter
        };
        self.sleep(&waiter, deadline, b)
    }

    /// FUTEX_UNLOCK_PI by thread `tid`: hands the lock to the first waiter (the
    /// word becomes its tid, with FUTEX_WAITERS if others wait) or frees it.
    /// EPERM when the caller does not own it.
    pub fn unlock_pi(&self, key: FutexKey, tid: i32, word: &PiWord<'_>) -> Result<(), Errno> {
        let mut table = self.waiters.lock();
        let next = table.get(&key).and_then(|l| l.first().cloned());
        let others = table.get(&key).is_some_and(|l| l.len() > 1);
        let mut owned = true;
        word(&mut |v| {
            if (v & FUTEX_TID_MASK) as i32 != tid {
                owned = false;
                return None;
            }
            Some(match &next {
                Some(w) => w.tid as u32 | if others { FUTEX_WAITERS } else { 0 },
                None => 0,
            })
        })?;
        if !owned {
            return Err(Errno::EPERM);
        }
        if let Some(w) = next {
            let list = table.get_mut(&key).expect("it had a waiter");
            list.remove(0);
            if list.is_empty() {
                table.remove(&key);
            }
            w.woken.store(true, Ordering::SeqCst);
            w.waker.wake();
        }
        Ok(())
    }

    /// Wakes up to `n` waiters of `key` whose bitset intersects `bitset`; returns how many.
    pub fn wake(&self, key: FutexKey, n: usize, bitset: u32) -> usize {
        Self::wake_locked(&mut self.waiters.lock(), key, n, bitset)
    }

    fn wake_locked(
        table: &mut HashMap<FutexKey, Vec<Arc<Waiter>>>,
        key: FutexKey,
        n: usize,
        bitset: u32,
    ) -> usize {
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

    const KEY: FutexKey = FutexKey::Private {
        space: 1,
        addr: 0x1000,
    };
    const OTHER: FutexKey = FutexKey::Shared { offset: 0x2000 };

    #[test]
    fn requeue_moves_waiters_to_the_other_key() {
        let t = Arc::new(FutexTable::default());
        let mut threads = Vec::new();
        for _ in 0..3 {
            let t2 = t.clone();
            threads.push(std::thread::spawn(move || {
                t2.wait(KEY, !0, None, &Uninterruptible::new(), || Ok(true))
            }));
        }
        while t.waiters.lock().get(&KEY).map_or(0, Vec::len) < 3 {
            std::thread::yield_now();
        }
        assert_eq!(
            t.requeue(KEY, OTHER, 1, 1, || Ok(false)),
            Err(Errno::EAGAIN)
        );
        assert_eq!(t.requeue(KEY, OTHER, 1, 1, || Ok(true)), Ok(2));
        assert_eq!(t.wake(KEY, 10, !0), 1, "one stayed");
        assert_eq!(t.wake(OTHER, 10, !0), 1, "one was moved");
        for h in threads {
            assert_eq!(h.join().unwrap(), Ok(()));
        }
    }

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
