//! mmap, munmap and mprotect.

use std::sync::Arc;

use abi::linux as l;
use abi::{Errno, PAGE_SIZE, page_up};
use platform::Prot;

use super::page_cache::{PageCache, SharedPages};
use super::vma::{Backing, Mappable, Vma};
use super::{Inner, MMAP_MIN_ADDR, MemoryManager};

/// The file side of a file mapping, as the descriptor allows it.
pub struct MmapFile {
    /// `None` for files that cannot be mapped (ENODEV, after the access checks).
    pub mappable: Option<Arc<dyn Mappable>>,
    pub readable: bool,
    pub writable: bool,
    /// The file's path, shown in /proc/PID/maps.
    pub path: Option<String>,
    /// The file is on a noexec mount: nothing of it may be mapped executable.
    pub noexec: bool,
}

/// The arguments of `mmap(2)`, with the descriptor already resolved.
pub struct MmapArgs {
    pub addr: u64,
    pub len: u64,
    pub prot: u64,
    pub flags: u64,
    pub file: Option<MmapFile>,
    pub offset: u64,
}

const MAP_TYPE: u64 = 0x0f;
/// Flags Linux knows (MAP_SHARED_VALIDATE rejects anything else).
/// `MAP_32BIT` (x86-64 only): an address in the low 2 GiB.
const MAP_32BIT: u64 = 0x40;

const KNOWN_FLAGS: u64 = (l::MAP_SHARED
    | l::MAP_PRIVATE
    | l::MAP_FIXED
    | l::MAP_ANONYMOUS
    | l::MAP_GROWSDOWN
    | l::MAP_DENYWRITE
    | l::MAP_EXECUTABLE
    | l::MAP_LOCKED
    | l::MAP_NORESERVE
    | l::MAP_POPULATE
    | l::MAP_NONBLOCK
    | l::MAP_STACK
    | l::MAP_HUGETLB
    | l::MAP_SYNC
    | l::MAP_FIXED_NOREPLACE) as u64;
const PROT_KNOWN: u64 = (l::PROT_READ
    | l::PROT_WRITE
    | l::PROT_EXEC
    | l::PROT_SEM
    | l::PROT_GROWSDOWN
    | l::PROT_GROWSUP) as u64;

impl MemoryManager {
    pub fn mmap(&self, a: MmapArgs) -> Result<u64, Errno> {
        let shared = match a.flags & MAP_TYPE {
            t if t == l::MAP_SHARED as u64 => true,
            t if t == l::MAP_PRIVATE as u64 => false,
            t if t == l::MAP_SHARED_VALIDATE as u64 => {
                if a.flags & !KNOWN_FLAGS & !(0x3f << 26) != 0 {
                    return Err(Errno::EOPNOTSUPP);
                }
                true
            }
            _ => return Err(Errno::EINVAL),
        };
        if a.len == 0 || !a.offset.is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        let len = page_up(a.len).ok_or(Errno::ENOMEM)?;
        if a.offset.checked_add(len).is_none() {
            return Err(Errno::EOVERFLOW);
        }
        if a.flags & l::MAP_HUGETLB as u64 != 0 {
            // No huge page pool in the sandbox, as on a host with none reserved.
            return Err(Errno::ENOMEM);
        }
        let prot = Prot::from_bits(a.prot);
        let anonymous = a.flags & l::MAP_ANONYMOUS as u64 != 0;
        let path: Option<Arc<str>> = if anonymous {
            None
        } else {
            a.file
                .as_ref()
                .and_then(|f| f.path.as_deref())
                .map(Arc::from)
        };
        let backing = if anonymous {
            Backing::Anonymous
        } else {
            let file = a.file.ok_or(Errno::EBADF)?;
            if !file.readable || (shared && prot.write && !file.writable) {
                return Err(Errno::EACCES);
            }
            if file.noexec && prot.exec {
                return Err(Errno::EPERM);
            }
            Backing::File {
                file: file.mappable.ok_or(Errno::ENODEV)?,
                offset: a.offset,
            }
        };

        let mut inner = self.inner.lock();
        let fixed = a.flags & (l::MAP_FIXED | l::MAP_FIXED_NOREPLACE) as u64 != 0;
        let start = if fixed {
            if !a.addr.is_multiple_of(PAGE_SIZE) {
                return Err(Errno::EINVAL);
            }
            if a.addr
                .checked_add(len)
                .is_none_or(|e| e > self.layout.max_addr)
            {
                return Err(Errno::ENOMEM);
            }
            if a.addr < MMAP_MIN_ADDR {
                return Err(Errno::EPERM);
            }
            if a.flags & l::MAP_FIXED_NOREPLACE as u64 != 0
                && inner.vmas.overlaps(a.addr, a.addr + len)
            {
                return Err(Errno::EEXIST);
            }
            self.unmap_locked(&mut inner, a.addr, a.addr + len);
            a.addr
        } else if a.flags & MAP_32BIT != 0 {
            Self::pick_address_32bit(&inner, a.addr, len)?
        } else {
            self.pick_address(&inner, a.addr, len)?
        };
        // Shared areas, and private ones of files that keep a page cache, take
        // their pages from the object's cache (private ones copy on write).
        let shared_pages = match &backing {
            Backing::Anonymous if shared => Some(SharedPages {
                cache: PageCache::anonymous(self.memfile.clone()),
                first: 0,
            }),
            Backing::File { file, offset } if shared || file.cache_slot().is_some() => {
                Some(SharedPages {
                    cache: PageCache::of_file(&self.memfile, file),
                    first: offset / PAGE_SIZE,
                })
            }
            _ => None,
        };
        if let Some(sp) = &shared_pages
            && shared
            && prot.write
        {
            sp.cache.mark_writable();
        }
        let vma = Vma {
            start,
            end: start + len,
            prot,
            shared,
            backing,
            growsdown: a.flags & l::MAP_GROWSDOWN as u64 != 0,
            name: None,
            path,
            shared_pages,
        };
        inner.vmas.insert(vma.clone());
        if a.flags & l::MAP_POPULATE as u64 != 0 && !prot.is_none() {
            self.populate(&mut inner, &vma, vma.start, vma.end)?;
            self.platform_map(&inner, vma.start, vma.end, prot)?;
        }
        Ok(start)
    }

    /// A free range for a non-fixed mapping: the hint if it is free, else top-down.
    fn pick_address(&self, inner: &Inner, hint: u64, len: u64) -> Result<u64, Errno> {
        if let Some(h) = page_up(hint).filter(|&h| h >= MMAP_MIN_ADDR)
            && h.checked_add(len)
                .is_some_and(|e| e <= self.layout.max_addr)
            && !inner.vmas.overlaps(h, h + len)
        {
            return Ok(h);
        }
        inner
            .vmas
            .find_gap_top_down(len, self.layout.mmap_base, MMAP_MIN_ADDR)
            .or_else(|| {
                inner
                    .vmas
                    .find_gap_top_down(len, self.layout.max_addr, MMAP_MIN_ADDR)
            })
            .ok_or(Errno::ENOMEM)
    }

    /// MAP_32BIT: as Linux on x86-64, the hint if it fits, else a free range in
    /// the second gigabyte (`0x40000000..0x80000000`), so the area's addresses
    /// fit 31 bits (32-bit code segments, old JITs).
    fn pick_address_32bit(inner: &Inner, hint: u64, len: u64) -> Result<u64, Errno> {
        const BEGIN: u64 = 0x4000_0000;
        const END: u64 = 0x8000_0000;
        if let Some(h) = page_up(hint).filter(|&h| h >= MMAP_MIN_ADDR)
            && h.checked_add(len).is_some_and(|e| e <= END)
            && !inner.vmas.overlaps(h, h + len)
        {
            return Ok(h);
        }
        inner
            .vmas
            .find_gap_top_down(len, END, BEGIN)
            .ok_or(Errno::ENOMEM)
    }

    pub fn munmap(&self, addr: u64, len: u64) -> Result<(), Errno> {
        // Linux's checks are against its user limit, not ours: unmapping up to
        // TASK_SIZE_MAX works (the part above `max_addr` holds nothing).
        if !addr.is_multiple_of(PAGE_SIZE)
            || len == 0
            || addr > super::TASK_SIZE_MAX
            || len > super::TASK_SIZE_MAX - addr
        {
            return Err(Errno::EINVAL);
        }
        let end = page_up(addr + len).ok_or(Errno::EINVAL)?;
        let mut inner = self.inner.lock();
        self.unmap_locked(&mut inner, addr, end);
        Ok(())
    }

    pub fn mprotect(&self, addr: u64, len: u64, prot_bits: u64) -> Result<(), Errno> {
        if !addr.is_multiple_of(PAGE_SIZE) || prot_bits & !PROT_KNOWN != 0 {
            return Err(Errno::EINVAL);
        }
        if len == 0 {
            return Ok(());
        }
        let len = page_up(len).ok_or(Errno::ENOMEM)?;
        let end = addr.checked_add(len).ok_or(Errno::ENOMEM)?;
        let prot = Prot::from_bits(prot_bits);
        let mut inner = self.inner.lock();
        if !inner.vmas.covers(addr, end) {
            return Err(Errno::ENOMEM);
        }
        for vma in inner.vmas.range_mut(addr, end) {
            vma.prot = prot;
            if let Some(sp) = vma
                .shared_pages
                .as_ref()
                .filter(|_| vma.shared && prot.write)
            {
                sp.cache.mark_writable();
            }
        }
        // Re-map what is populated with the new protection; the rest faults in later.
        self.platform_map(&inner, addr, end, prot)
    }
}

impl MemoryManager {
    /// msync: writes what shared file mappings of `[addr, addr+len)` changed back
    /// to their files (MS_ASYNC does it at once too). ENOMEM when part of the
    /// range is not mapped.
    pub fn msync(&self, addr: u64, len: u64, flags: u64) -> Result<(), Errno> {
        const MS_ASYNC: u64 = 1;
        const MS_INVALIDATE: u64 = 2;
        const MS_SYNC: u64 = 4;
        if !addr.is_multiple_of(PAGE_SIZE)
            || flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
            || flags & (MS_ASYNC | MS_SYNC) == MS_ASYNC | MS_SYNC
        {
            return Err(Errno::EINVAL);
        }
        let end = addr
            .checked_add(page_up(len).ok_or(Errno::ENOMEM)?)
            .ok_or(Errno::ENOMEM)?;
        let inner = self.inner.lock();
        if !inner.vmas.covers(addr, end) {
            return Err(Errno::ENOMEM);
        }
        for v in inner.vmas.iter().filter(|v| v.end > addr && v.start < end) {
            v.write_back(addr, end);
        }
        Ok(())
    }
}
