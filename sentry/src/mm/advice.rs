//! madvise and mincore.

use abi::linux as l;
use abi::{Errno, PAGE_SIZE, page_up};

use super::MemoryManager;
use super::vma::Backing;

impl MemoryManager {
    pub fn madvise(&self, addr: u64, len: u64, advice: u64) -> Result<(), Errno> {
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        let len = page_up(len).ok_or(Errno::EINVAL)?;
        let end = addr.checked_add(len).ok_or(Errno::EINVAL)?;
        let advice = advice as u32;
        let drop_pages = advice == l::MADV_DONTNEED || advice == l::MADV_FREE;
        let hint = [
            l::MADV_NORMAL,
            l::MADV_RANDOM,
            l::MADV_SEQUENTIAL,
            l::MADV_WILLNEED,
            l::MADV_DONTFORK,
            l::MADV_DOFORK,
            l::MADV_MERGEABLE,
            l::MADV_UNMERGEABLE,
            l::MADV_HUGEPAGE,
            l::MADV_NOHUGEPAGE,
            l::MADV_DONTDUMP,
            l::MADV_DODUMP,
            l::MADV_COLD,
            l::MADV_PAGEOUT,
        ]
        .contains(&advice);
        if !drop_pages && !hint {
            return Err(Errno::EINVAL);
        }
        if len == 0 {
            return Ok(());
        }
        let mut inner = self.inner.lock();
        if drop_pages {
            let mut at = addr;
            while let Some(vma) = inner
                .vmas
                .next_from(at)
                .filter(|v| at < end && v.start < end)
                .cloned()
            {
                let (s, e) = (vma.start.max(addr), vma.end.min(end));
                // Private pages are dropped: they read as zeroes (or the file) again.
                // Shared memory keeps its contents, only the mapping goes.
                if !vma.shared || matches!(vma.backing, Backing::File { .. }) {
                    for p in inner.pmas.remove_range(s, e) {
                        self.memfile.free(p.offset, p.end - p.start);
                    }
                }
                self.platform_unmap(s, e);
                at = e;
            }
        }
        if inner.vmas.covers(addr, end) {
            Ok(())
        } else {
            Err(Errno::ENOMEM)
        }
    }

    /// One byte per page of `[addr, addr+len)`: 1 if the page is resident.
    pub fn mincore(&self, addr: u64, len: u64) -> Result<Vec<u8>, Errno> {
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        let len = page_up(len).ok_or(Errno::ENOMEM)?;
        let end = addr
            .checked_add(len)
            .filter(|&e| e <= self.layout.max_addr)
            .ok_or(Errno::ENOMEM)?;
        let inner = self.inner.lock();
        if !inner.vmas.covers(addr, end) {
            return Err(Errno::ENOMEM);
        }
        let mut out = vec![0u8; (len / PAGE_SIZE) as usize];
        // Populated is not the same as touched (faults populate a window around the
        // page); the memory file knows which pages were really touched.
        for p in inner.pmas.pieces(addr, end) {
            let first = ((p.start - addr) / PAGE_SIZE) as usize;
            for (i, resident) in self
                .memfile
                .resident(p.offset, p.end - p.start)
                .into_iter()
                .enumerate()
            {
                out[first + i] = resident as u8;
            }
        }
        Ok(out)
    }
}
