//! Robust futexes: when a thread dies, every lock on its robust list
//! (set_robust_list) that it still holds is marked FUTEX_OWNER_DIED and one
//! waiter is woken, so that the next locker learns the owner died.

use abi::Errno;

use super::Task;
use crate::futex::{FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS};

/// Linux's ROBUST_LIST_LIMIT: a list longer than this (or circular) is not
/// walked further.
const LIST_LIMIT: usize = 2048;

impl Task {
    /// Walks the robust list of the exiting thread. The list is the
    /// application's memory: anything unreadable just ends the walk.
    pub(super) fn release_robust_futexes(&self) {
        let (head, _len) = self.robust_list;
        if head == 0 {
            return;
        }
        let _ = self.walk_robust_list(head);
    }

    fn walk_robust_list(&self, head: u64) -> Result<(), Errno> {
        // struct robust_list_head { next, futex_offset, list_op_pending }
        let first: u64 = self.mm.read_obj(head)?;
        let offset: i64 = self.mm.read_obj(head + 8)?;
        let pending: u64 = self.mm.read_obj(head + 16)?;
        let mut entry = first;
        let mut seen = 0;
        while entry != head && entry != 0 && seen < LIST_LIMIT {
            // The low bit of an entry marks a PI lock; the address is the rest.
            let next: u64 = self.mm.read_obj(entry & !1)?;
            if entry != pending {
                self.owner_died((entry & !1).wrapping_add_signed(offset));
            }
            entry = next;
            seen += 1;
        }
        if pending != 0 {
            self.owner_died((pending & !1).wrapping_add_signed(offset));
        }
        Ok(())
    }

    /// Marks the lock word at `addr` as left by a dead owner, if this thread
    /// holds it, and wakes a waiter.
    fn owner_died(&self, addr: u64) {
        let tid = self.tid as u32;
        let Ok(old) = self.mm.atomic_update_u32(addr, |v| {
            ((v & FUTEX_TID_MASK) == tid).then_some((v & FUTEX_WAITERS) | FUTEX_OWNER_DIED)
        }) else {
            return;
        };
        if (old & FUTEX_TID_MASK) == tid
            && old & FUTEX_WAITERS != 0
            && let Ok(key) = self.mm.futex_place(addr, false)
        {
            self.kernel.futexes.wake(key, 1, u32::MAX);
        }
    }
}
