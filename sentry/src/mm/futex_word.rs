//! What futexes need of an address space: where a futex word lives (a
//! process-shared futex in a MAP_SHARED area is the same futex in every
//! process that maps it), and atomic updates of the word.

use std::sync::Arc;

use abi::Errno;

use super::MemoryManager;
use super::io::Need;

/// Where a futex word is: one address space's address, or a memory-file offset
/// that several address spaces share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FutexPlace {
    Private { space: usize, addr: u64 },
    Shared { offset: u64 },
}

impl MemoryManager {
    /// Where the futex word at `addr` lives. Without FUTEX_PRIVATE_FLAG
    /// (`private` false), a word in a MAP_SHARED area is keyed by its page in
    /// the memory file, as Linux keys shared futexes by inode and page.
    pub fn futex_place(self: &Arc<Self>, addr: u64, private: bool) -> Result<FutexPlace, Errno> {
        let shared = !private
            && self
                .inner
                .lock()
                .vmas
                .find(addr)
                .ok_or(Errno::EFAULT)?
                .shared;
        if !shared {
            return Ok(FutexPlace::Private {
                space: Arc::as_ptr(self) as usize,
                addr,
            });
        }
        let mut offset = None;
        self.for_each_piece(addr, 4, Need::Read, |_, p| {
            offset.get_or_insert(p.offset);
        })?;
        offset
            .map(|offset| FutexPlace::Shared { offset })
            .ok_or(Errno::EFAULT)
    }

    /// Atomically replaces the u32 at `addr` by `update(old)` (nothing is
    /// written when it says None); returns the old value. The word must be
    /// writable by the application.
    pub fn atomic_update_u32(
        &self,
        addr: u64,
        mut update: impl FnMut(u32) -> Option<u32>,
    ) -> Result<u32, Errno> {
        if !addr.is_multiple_of(4) {
            return Err(Errno::EINVAL);
        }
        let mut offset = None;
        self.for_each_piece(addr, 4, Need::Write, |_, p| {
            offset.get_or_insert(p.offset);
        })?;
        let offset = offset.ok_or(Errno::EFAULT)?;
        Ok(self.memfile.update_u32(offset, &mut update))
    }
}
