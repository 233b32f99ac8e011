//! Advisory locks: `flock` (whole file, owned by an open file description) and
//! `fcntl` record locks (byte ranges, owned by a process or, for OFD locks, by an
//! open file description). Locks of one owner never conflict with each other.

use std::collections::HashMap;

use abi::Errno;
use parking_lot::Mutex;

use crate::vfs::InodeKey;
use crate::waiter::{Blocker, Queue};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    /// A process (POSIX record locks).
    Process(i32),
    /// An open file description (flock and OFD locks), by address.
    File(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

#[derive(Clone, Copy, Debug)]
pub struct Lock {
    pub owner: Owner,
    pub kind: Kind,
    /// `[start, end)`; `end == u64::MAX` runs to the end of the file.
    pub start: u64,
    pub end: u64,
    /// Whole-file flock rather than a record lock (the two never interact).
    pub flock: bool,
}

impl Lock {
    fn conflicts(&self, other: &Lock) -> bool {
        self.owner != other.owner
            && self.flock == other.flock
            && (self.kind == Kind::Write || other.kind == Kind::Write)
            && self.start < other.end
            && other.start < self.end
    }
}

#[derive(Default)]
pub struct LockTable {
    locks: Mutex<HashMap<InodeKey, Vec<Lock>>>,
    released: Queue,
}

impl LockTable {
    /// The first lock that would conflict with `want`.
    pub fn conflict(&self, key: InodeKey, want: &Lock) -> Option<Lock> {
        self.locks
            .lock()
            .get(&key)
            .and_then(|l| l.iter().find(|h| h.conflicts(want)).copied())
    }

    /// Takes `want` (replacing what its owner held over the range), waiting for
    /// conflicting locks to go with `wait` (EINTR if it gives up), else failing
    /// with EAGAIN.
    pub fn acquire(
        &self,
        key: InodeKey,
        want: Lock,
        wait: Option<&dyn Blocker>,
    ) -> Result<(), Errno> {
        let _watch = wait.map(|b| self.released.watch(!0, b.waker()));
        loop {
            let mut locks = self.locks.lock();
            let held = locks.entry(key).or_default();
            if !held.iter().any(|h| h.conflicts(&want)) {
                Self::remove_range(held, want.owner, want.flock, want.start, want.end);
                held.push(want);
                return Ok(());
            }
            let Some(b) = wait else {
                return Err(Errno::EAGAIN);
            };
            drop(locks);
            b.block(None)?;
        }
    }

    /// Drops `owner`'s locks over `[start, end)` (splitting ranges that overlap).
    pub fn release(&self, key: InodeKey, owner: Owner, flock: bool, start: u64, end: u64) {
        let mut locks = self.locks.lock();
        if let Some(held) = locks.get_mut(&key) {
            Self::remove_range(held, owner, flock, start, end);
            if held.is_empty() {
                locks.remove(&key);
            }
        }
        drop(locks);
        self.released.notify(crate::waiter::events::POLLIN);
    }

    /// Drops every lock of `owner` (its file description closed, or it exited).
    pub fn release_owner(&self, owner: Owner) {
        let mut locks = self.locks.lock();
        locks.retain(|_, held| {
            held.retain(|l| l.owner != owner);
            !held.is_empty()
        });
        drop(locks);
        self.released.notify(crate::waiter::events::POLLIN);
    }

    fn remove_range(held: &mut Vec<Lock>, owner: Owner, flock: bool, start: u64, end: u64) {
        let mut kept = Vec::with_capacity(held.len());
        for l in held.drain(..) {
            if l.owner != owner || l.flock != flock || l.end <= start || end <= l.start {
                kept.push(l);
                continue;
            }
            if l.start < start {
                kept.push(Lock { end: start, ..l });
            }
            if end < l.end {
                kept.push(Lock { start: end, ..l });
            }
        }
        *held = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: InodeKey = (1, 1);

    fn lock(owner: Owner, kind: Kind, start: u64, end: u64) -> Lock {
        Lock {
            owner,
            kind,
            start,
            end,
            flock: false,
        }
    }

    #[test]
    fn owners_conflict_only_with_each_other() {
        let t = LockTable::default();
        let (a, b) = (Owner::Process(1), Owner::Process(2));
        t.acquire(KEY, lock(a, Kind::Write, 0, 10), None).unwrap();
        // a's read lock replaces the overlapping part of its write lock: [0,5) W, [5,20) R.
        t.acquire(KEY, lock(a, Kind::Read, 5, 20), None).unwrap();
        assert_eq!(
            t.acquire(KEY, lock(b, Kind::Read, 4, 5), None),
            Err(Errno::EAGAIN)
        );
        assert_eq!(
            t.acquire(KEY, lock(b, Kind::Write, 9, 10), None),
            Err(Errno::EAGAIN)
        );
        t.acquire(KEY, lock(b, Kind::Read, 5, 10), None).unwrap();
        t.release(KEY, a, false, 0, 5);
        t.acquire(KEY, lock(b, Kind::Write, 0, 5), None).unwrap();
        t.release_owner(a);
        let other = lock(Owner::Process(3), Kind::Read, 0, 100);
        assert_eq!(
            t.conflict(KEY, &other).map(|l| (l.owner, l.start)),
            Some((b, 0)),
            "b's write lock remains"
        );
    }

    #[test]
    fn flock_and_record_locks_are_separate() {
        let t = LockTable::default();
        let f = Lock {
            owner: Owner::File(1),
            kind: Kind::Write,
            start: 0,
            end: u64::MAX,
            flock: true,
        };
        t.acquire(KEY, f, None).unwrap();
        assert!(
            t.acquire(KEY, lock(Owner::Process(9), Kind::Write, 0, 10), None)
                .is_ok()
        );
    }
}
