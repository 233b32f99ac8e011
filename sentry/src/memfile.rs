//! The memory file: one memfd holding all application memory of the sandbox.
//!
//! Platforms map ranges of it into application address spaces; the sentry maps the
//! whole of it once, so it reads and writes application memory with plain memory
//! copies and no host calls. Space is handed out in page-aligned ranges; freed
//! ranges are punched out so the host gets the memory back.
//!
//! This module and `mm::io` are where the sentry touches raw memory.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use abi::{Errno, PAGE_SIZE};
use memmap2::{MmapOptions, MmapRaw};
use parking_lot::Mutex;

/// Virtual size reserved for the sentry's view of the file. Only pages in use cost
/// memory; this bounds the sandbox's total application memory.
const RESERVE: u64 = 256 << 30;
/// The file grows in steps of this size (it is sparse, so the step costs nothing).
const GROW_STEP: u64 = 1 << 30;

pub struct MemoryFile {
    file: File,
    view: MmapRaw,
    alloc: Mutex<Allocator>,
    /// The most bytes that may be in use at once: the container's memory
    /// limit less what the sentry itself needs. The sentry touches most
    /// pages through its own view (syscall data, file data, copy-on-write
    /// copies), so they count in its resident set: were the host's OOM
    /// killer left to act, it would choose the sentry. Past the limit,
    /// allocations fail instead, and the application is refused (ENOSPC,
    /// ENOMEM) or killed (a fault: `mm::FaultError::OutOfMemory`).
    limit: AtomicU64,
}

/// The sandbox's memory file, made on first use (boot makes it before it
/// confines itself).
static GLOBAL: OnceLock<Arc<MemoryFile>> = OnceLock::new();

#[derive(Default)]
struct Allocator {
    /// End of the highest range ever handed out.
    top: u64,
    /// Current file size.
    size: u64,
    /// Free ranges below `top`: offset -> length.
    free: BTreeMap<u64, u64>,
    /// Bytes handed out and not released.
    used: u64,
    /// Pages with more than one owner (address spaces sharing them after fork):
    /// page offset -> owners beyond the first. Absent means one owner.
    extra_owners: HashMap<u64, u32>,
}

impl MemoryFile {
    pub fn new() -> std::io::Result<MemoryFile> {
        let fd = nix::sys::memfd::memfd_create(
            c"runsc-memory",
            nix::sys::memfd::MemFdCreateFlag::empty(),
        )?;
        let file = File::from(fd);
        let view = MmapOptions::new()
            .len(RESERVE as usize)
            .no_reserve_swap()
            .map_raw(&file)?;
        Ok(MemoryFile {
            file,
            view,
            alloc: Mutex::new(Allocator::default()),
            limit: AtomicU64::new(physical_memory().min(RESERVE)),
        })
    }

    /// The sandbox's memory file: application memory, shared mappings and the
    /// data of in-memory files all live in this one.
    pub fn global() -> std::io::Result<Arc<MemoryFile>> {
        if let Some(m) = GLOBAL.get() {
            return Ok(m.clone());
        }
        let made = Arc::new(MemoryFile::new()?);
        Ok(GLOBAL.get_or_init(|| made).clone())
    }

    /// Limits the bytes in use at once (the sandbox's memory budget).
    pub fn set_limit(&self, bytes: u64) {
        self.limit.store(bytes.min(RESERVE), Ordering::Relaxed);
    }

    /// Sets the limit from the container's memory limit (None: the host's
    /// memory): the application may have all of it but the sentry's own
    /// share (its heap, stacks and page tables), so that the host's OOM
    /// killer never has to choose the sandbox.
    pub fn set_container_limit(&self, limit: Option<u64>) {
        const MIN_RESERVE: u64 = 16 << 20;
        const MAX_RESERVE: u64 = 64 << 20;
        self.set_limit(match limit {
            Some(limit) => {
                let reserve = (limit / 4).clamp(MIN_RESERVE, MAX_RESERVE);
                limit.saturating_sub(reserve).max(PAGE_SIZE)
            }
            None => physical_memory(),
        });
    }

    /// The limit `set_limit` set (the reserve's size without one).
    pub fn limit(&self) -> u64 {
        self.limit.load(Ordering::Relaxed)
    }

    /// Bytes in use now.
    pub fn used(&self) -> u64 {
        self.alloc.lock().used
    }

    /// The descriptor platforms map from.
    pub fn raw_fd(&self) -> i32 {
        self.file.as_raw_fd()
    }

    /// Allocates `len` bytes (a multiple of the page size) of zeroed memory;
    /// ENOMEM past the limit.
    pub fn allocate(&self, len: u64) -> Result<u64, Errno> {
        let mut a = self.alloc.lock();
        if a.used.saturating_add(len) > self.limit() {
            return Err(Errno::ENOMEM);
        }
        debug_assert!(len.is_multiple_of(PAGE_SIZE) && len > 0);
        if let Some((&off, &flen)) = a.free.iter().find(|&(_, &flen)| flen >= len) {
            a.free.remove(&off);
            if flen > len {
                a.free.insert(off + len, flen - len);
            }
            a.used += len;
            return Ok(off);
        }
        let off = a.top;
        let end = off
            .checked_add(len)
            .filter(|&e| e <= RESERVE)
            .ok_or(Errno::ENOMEM)?;
        if end > a.size {
            let size = end.div_ceil(GROW_STEP) * GROW_STEP;
            self.file
                .set_len(size.min(RESERVE))
                .map_err(|_| Errno::ENOMEM)?;
            a.size = size.min(RESERVE);
        }
        a.top = end;
        a.used += len;
        Ok(off)
    }

    /// Gives every page of `[off, off+len)` one more owner: `free` then releases a
    /// page only when its last owner frees it.
    pub fn share(&self, off: u64, len: u64) {
        let mut a = self.alloc.lock();
        for page in (off..off + len).step_by(PAGE_SIZE as usize) {
            *a.extra_owners.entry(page).or_insert(0) += 1;
        }
    }

    /// Whether any page of `[off, off+len)` has more than one owner.
    pub fn is_shared(&self, off: u64, len: u64) -> bool {
        let a = self.alloc.lock();
        !a.extra_owners.is_empty()
            && (off..off + len)
                .step_by(PAGE_SIZE as usize)
                .any(|page| a.extra_owners.contains_key(&page))
    }

    /// Drops one owner of each page of the range; pages left without an owner go
    /// back to the pool and their memory to the host (they read as zeroes when
    /// handed out again).
    pub fn free(&self, off: u64, len: u64) {
        if len == 0 {
            return;
        }
        let mut a = self.alloc.lock();
        if a.extra_owners.is_empty() {
            self.release(&mut a, off, len);
            return;
        }
        // Release the runs of pages whose last owner this was.
        let mut run: Option<(u64, u64)> = None;
        for page in (off..off + len).step_by(PAGE_SIZE as usize) {
            let last_owner = match a.extra_owners.get_mut(&page) {
                Some(extra) => {
                    *extra -= 1;
                    if *extra == 0 {
                        a.extra_owners.remove(&page);
                    }
                    false
                }
                None => true,
            };
            run = match (run, last_owner) {
                (Some((s, e)), true) if e == page => Some((s, page + PAGE_SIZE)),
                (Some((s, e)), _) => {
                    self.release(&mut a, s, e - s);
                    last_owner.then_some((page, page + PAGE_SIZE))
                }
                (None, true) => Some((page, page + PAGE_SIZE)),
                (None, false) => None,
            };
        }
        if let Some((s, e)) = run {
            self.release(&mut a, s, e - s);
        }
    }

    fn release(&self, a: &mut Allocator, off: u64, len: u64) {
        let _ = nix::fcntl::fallocate(
            self.file.as_raw_fd(),
            nix::fcntl::FallocateFlags::FALLOC_FL_PUNCH_HOLE
                | nix::fcntl::FallocateFlags::FALLOC_FL_KEEP_SIZE,
            off as i64,
            len as i64,
        );
        a.used = a.used.saturating_sub(len);
        let (mut start, mut end) = (off, off + len);
        if let Some((&poff, &plen)) = a.free.range(..start).next_back()
            && poff + plen == start
        {
            a.free.remove(&poff);
            start = poff;
        }
        if let Some(nlen) = a.free.remove(&end) {
            end += nlen;
        }
        if end == a.top {
            a.top = start;
        } else {
            a.free.insert(start, end - start);
        }
    }

    fn check(&self, off: u64, len: usize) {
        assert!(
            off.checked_add(len as u64).is_some_and(|e| e <= RESERVE),
            "memory file range out of bounds"
        );
    }

    /// Copies bytes at `off` into `dst`.
    pub fn read(&self, off: u64, dst: &mut [u8]) {
        self.check(off, dst.len());
        // SAFETY: the range lies inside the reserved view (checked) and inside the
        // file (callers only pass allocated ranges, and the file is never shrunk).
        // Application threads may write these pages concurrently; a racy byte copy
        // is what Linux's copy_from_user gives too.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.view.as_ptr().add(off as usize),
                dst.as_mut_ptr(),
                dst.len(),
            )
        }
    }

    /// Copies `src` to `off`.
    pub fn write(&self, off: u64, src: &[u8]) {
        self.check(off, src.len());
        // SAFETY: as in `read`, for writing.
        unsafe {
            std::ptr::copy_nonoverlapping(
                src.as_ptr(),
                self.view.as_mut_ptr().add(off as usize),
                src.len(),
            )
        }
    }

    /// Reads up to `len` bytes of host file `fd` at `file_offset` straight into
    /// the memory file at `off` (no staging copy).
    pub fn pread_into(
        &self,
        off: u64,
        len: usize,
        fd: std::os::fd::RawFd,
        file_offset: u64,
    ) -> Result<usize, Errno> {
        self.check(off, len);
        loop {
            // SAFETY: the destination lies inside the reserved view (checked) and in
            // allocated pages of the file; the kernel writes at most `len` bytes there.
            let n = unsafe {
                libc::pread(
                    fd,
                    self.view.as_mut_ptr().add(off as usize).cast(),
                    len,
                    file_offset as libc::off_t,
                )
            };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = nix::errno::Errno::last();
            if e != nix::errno::Errno::EINTR {
                return Err(Errno(e as i32 as u16));
            }
        }
    }

    /// Copies `len` bytes from `src` to `dst` (ranges that do not overlap).
    pub fn copy(&self, src: u64, dst: u64, len: u64) {
        self.check(src, len as usize);
        self.check(dst, len as usize);
        debug_assert!(src + len <= dst || dst + len <= src);
        // SAFETY: both ranges lie inside the view (checked) and in allocated pages;
        // callers pass distinct allocations, so they do not overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.view.as_ptr().add(src as usize),
                self.view.as_mut_ptr().add(dst as usize),
                len as usize,
            )
        }
    }

    /// Atomically replaces the u32 at `off` (4-byte aligned) by `update(old)`,
    /// unless it says None; returns the old value. Application threads may
    /// change the word at the same time: this is a compare-and-swap loop.
    pub fn update_u32(&self, off: u64, update: &mut dyn FnMut(u32) -> Option<u32>) -> u32 {
        self.check(off, 4);
        assert!(off.is_multiple_of(4), "unaligned atomic word");
        // SAFETY: the word lies inside the view (checked), is 4-byte aligned
        // (asserted) and in an allocated page; AtomicU32 has u32's layout, and
        // every access to it here is atomic, as the application's are.
        let word = unsafe { &*(self.view.as_ptr().add(off as usize) as *const AtomicU32) };
        let mut old = word.load(Ordering::SeqCst);
        loop {
            let Some(new) = update(old) else {
                return old;
            };
            match word.compare_exchange(old, new, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => return old,
                Err(actual) => old = actual,
            }
        }
    }

    /// Zeroes `len` bytes at `off`.
    pub fn zero(&self, off: u64, len: u64) {
        self.check(off, len as usize);
        // SAFETY: as in `write`.
        unsafe { std::ptr::write_bytes(self.view.as_mut_ptr().add(off as usize), 0, len as usize) }
    }
}

/// The host's memory: what the sandbox could use at most without a limit.
fn physical_memory() -> u64 {
    use nix::unistd::{SysconfVar, sysconf};
    match sysconf(SysconfVar::_PHYS_PAGES) {
        Ok(Some(pages)) if pages > 0 => (pages as u64).saturating_mul(PAGE_SIZE),
        _ => RESERVE,
    }
}

impl MemoryFile {
    /// Whether each page of `[off, off+len)` holds memory (was ever touched), as the
    /// host's page cache says: untouched pages of the file are holes.
    pub fn resident(&self, off: u64, len: u64) -> Vec<bool> {
        self.check(off, len as usize);
        let pages = len.div_ceil(PAGE_SIZE) as usize;
        let mut vec = vec![0u8; pages];
        // SAFETY: the range is inside the view (checked) and page aligned (callers pass
        // page ranges); `vec` has one byte per page, as mincore writes.
        let r = unsafe {
            libc::mincore(
                self.view.as_mut_ptr().add(off as usize).cast(),
                len as usize,
                vec.as_mut_ptr(),
            )
        };
        if r != 0 {
            return vec![true; pages];
        }
        vec.into_iter().map(|b| b & 1 != 0).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocate_free_reuse_and_zero() {
        let m = MemoryFile::new().unwrap();
        let a = m.allocate(2 * PAGE_SIZE).unwrap();
        let b = m.allocate(PAGE_SIZE).unwrap();
        assert_ne!(a, b);
        m.write(a, b"hello");
        let mut buf = [0u8; 5];
        m.read(a, &mut buf);
        assert_eq!(&buf, b"hello");
        m.free(a, 2 * PAGE_SIZE);
        let c = m.allocate(PAGE_SIZE).unwrap();
        assert_eq!(c, a, "freed range is reused");
        m.read(c, &mut buf);
        assert_eq!(buf, [0; 5], "reused memory reads as zeroes");
    }

    #[test]
    fn the_limit_refuses_allocations_and_frees_count() {
        let m = MemoryFile::new().unwrap();
        m.set_limit(4 * PAGE_SIZE);
        let a = m.allocate(3 * PAGE_SIZE).unwrap();
        assert_eq!(m.used(), 3 * PAGE_SIZE);
        assert_eq!(m.allocate(2 * PAGE_SIZE), Err(Errno::ENOMEM));
        let b = m.allocate(PAGE_SIZE).unwrap();
        m.free(a, 3 * PAGE_SIZE);
        assert_eq!(m.used(), PAGE_SIZE);
        assert!(m.allocate(3 * PAGE_SIZE).is_ok());
        m.free(b, PAGE_SIZE);
    }

    #[test]
    fn shared_pages_are_released_by_their_last_owner() {
        let m = MemoryFile::new().unwrap();
        let a = m.allocate(3 * PAGE_SIZE).unwrap();
        m.share(a + PAGE_SIZE, PAGE_SIZE);
        assert!(m.is_shared(a, 3 * PAGE_SIZE));
        assert!(!m.is_shared(a, PAGE_SIZE));
        m.write(a + PAGE_SIZE, b"kept");
        m.free(a, 3 * PAGE_SIZE);
        // The middle page still has an owner: it is neither reused nor zeroed.
        assert!(!m.is_shared(a + PAGE_SIZE, PAGE_SIZE));
        let mut buf = [0u8; 4];
        m.read(a + PAGE_SIZE, &mut buf);
        assert_eq!(&buf, b"kept");
        let b = m.allocate(PAGE_SIZE).unwrap();
        assert_eq!(b, a, "the first page was released");
        let c = m.allocate(PAGE_SIZE).unwrap();
        assert_ne!(c, a + PAGE_SIZE, "the shared page was not");
        m.free(a + PAGE_SIZE, PAGE_SIZE);
        assert_eq!(m.allocate(PAGE_SIZE).unwrap(), a + PAGE_SIZE);
    }
}
