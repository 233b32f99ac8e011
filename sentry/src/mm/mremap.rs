//! mremap: resize or move a mapping. Moving re-labels memory-file pages; nothing is copied.

use abi::linux as l;
use abi::{Errno, PAGE_SIZE, page_up};

use super::{Inner, MMAP_MIN_ADDR, MemoryManager};

impl MemoryManager {
    pub fn mremap(
        &self,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: u64,
        new_addr: u64,
    ) -> Result<u64, Errno> {
        let (may_move, fixed, dontunmap) = (
            flags & l::MREMAP_MAYMOVE as u64 != 0,
            flags & l::MREMAP_FIXED as u64 != 0,
            flags & l::MREMAP_DONTUNMAP as u64 != 0,
        );
        let known = (l::MREMAP_MAYMOVE | l::MREMAP_FIXED | l::MREMAP_DONTUNMAP) as u64;
        if flags & !known != 0
            || !old.is_multiple_of(PAGE_SIZE)
            || (fixed || dontunmap) && !may_move
        {
            return Err(Errno::EINVAL);
        }
        let old_len = page_up(old_len).ok_or(Errno::EINVAL)?;
        let new_len = page_up(new_len).ok_or(Errno::EINVAL)?;
        if new_len == 0 || dontunmap && old_len != new_len {
            return Err(Errno::EINVAL);
        }
        let old_end = old.checked_add(old_len).ok_or(Errno::EINVAL)?;
        let mut inner = self.inner.lock();
        let vma = inner.vmas.find(old).cloned().ok_or(Errno::EFAULT)?;
        if old_len == 0 && !(vma.shared && vma.shared_pages.is_some()) {
            // Linux duplicates only shared mappings (its old "duplicate shm" case).
            return Err(Errno::EINVAL);
        }
        if old_end > vma.end {
            return Err(Errno::EFAULT);
        }

        if fixed {
            if !new_addr.is_multiple_of(PAGE_SIZE) || new_addr < MMAP_MIN_ADDR {
                return Err(Errno::EINVAL);
            }
            let new_end = new_addr
                .checked_add(new_len)
                .filter(|&e| e <= self.layout.max_addr)
                .ok_or(Errno::EINVAL)?;
            if new_addr < old_end && old < new_end {
                return Err(Errno::EINVAL);
            }
            self.unmap_locked(&mut inner, new_addr, new_end);
            if old_len == 0 {
                return Ok(Self::duplicate_locked(
                    &mut inner, &vma, old, new_len, new_addr,
                ));
            }
            return Ok(self.move_locked(&mut inner, old, old_len, new_len, new_addr, dontunmap));
        }
        if old_len == 0 {
            // A new area over the same shared pages, never in place.
            if !may_move {
                return Err(Errno::ENOMEM);
            }
            let dest = self.new_place(&inner, new_len)?;
            return Ok(Self::duplicate_locked(&mut inner, &vma, old, new_len, dest));
        }
        if new_len <= old_len && !dontunmap {
            self.unmap_locked(&mut inner, old + new_len, old_end);
            return Ok(old);
        }
        // Grow in place if the area ends here and the space after it is free.
        let grow_end = old
            .checked_add(new_len)
            .filter(|&e| e <= self.layout.max_addr);
        if let Some(grow_end) = grow_end.filter(|_| old_end == vma.end && !dontunmap)
            && !inner.vmas.overlaps(old_end, grow_end)
        {
            let mut grown = inner
                .vmas
                .remove_range(vma.start, vma.end)
                .pop()
                .ok_or(Errno::EFAULT)?;
            grown.end = grow_end;
            inner.vmas.insert(grown);
            return Ok(old);
        }
        if !may_move {
            return Err(Errno::ENOMEM);
        }
        let dest = self.new_place(&inner, new_len)?;
        Ok(self.move_locked(&mut inner, old, old_len, new_len, dest, dontunmap))
    }

    /// mremap with an old size of 0: a second area at `dest` (free), `new_len`
    /// long, over the same shared pages as `vma` from `old` on.
    fn duplicate_locked(
        inner: &mut super::Inner,
        vma: &super::Vma,
        old: u64,
        new_len: u64,
        dest: u64,
    ) -> u64 {
        let mut dup = vma.clone();
        let skip = old - vma.start;
        if let super::Backing::File { offset, .. } = &mut dup.backing {
            *offset += skip;
        }
        if let Some(sp) = &mut dup.shared_pages {
            sp.first += skip / PAGE_SIZE;
        }
        dup.start = dest;
        dup.end = dest + new_len;
        dup.growsdown = false;
        inner.vmas.insert(dup);
        dest
    }

    /// Where a moved or duplicated area of `len` bytes goes: the highest free
    /// place below the mmap base (ENOMEM when there is none).
    fn new_place(&self, inner: &Inner, len: u64) -> Result<u64, Errno> {
        inner
            .vmas
            .find_gap_top_down(len, self.layout.mmap_base, MMAP_MIN_ADDR)
            .ok_or(Errno::ENOMEM)
    }

    /// Moves `[old, old+old_len)` to `dest` with size `new_len` (the destination is free).
    fn move_locked(
        &self,
        inner: &mut super::Inner,
        old: u64,
        old_len: u64,
        new_len: u64,
        dest: u64,
        dontunmap: bool,
    ) -> u64 {
        let keep = old_len.min(new_len);
        let mut parts = inner.vmas.remove_range(old, old + old_len);
        if dontunmap {
            // The old range stays mapped, empty.
            for v in &parts {
                inner.vmas.insert(v.clone());
            }
        }
        inner.pmas.relocate(old, old + keep, dest);
        for p in inner.pmas.remove_range(old + keep, old + old_len) {
            self.memfile.free(p.offset, p.end - p.start);
        }
        self.platform_unmap(old, old + old_len);
        let mut at = dest;
        for v in parts.iter_mut() {
            let len = v.end - v.start;
            v.start = at;
            v.end = at + len;
            at += len;
        }
        if let Some(last) = parts.last_mut() {
            last.end = dest + new_len;
        }
        for v in parts {
            inner.vmas.insert(v);
        }
        dest
    }
}
