//! The memory manager of one application address space.
//!
//! It keeps two maps: the VMAs (what the application asked for: ranges, protection,
//! backing) and the PMAs (which pages are populated, and where in the memory file
//! they live). Pages are populated on first touch, by a fault the platform reports
//! or by the sentry copying to or from the range, and mapped into the platform's
//! address space on faults. The application never sees a page the MM did not
//! decide to map.
//!
//! Lock order: `MemoryManager::inner` before `MemoryFile`'s allocator. Platform calls
//! (injections) are made with `inner` held.

mod advice;
mod brk;
mod fault;
mod fork;
mod futex_word;
mod io;
mod limit;
mod mmap;
mod mremap;
mod page_cache;
mod pma;
mod vma;

use std::sync::Arc;

use abi::{Errno, PAGE_SIZE, page_down};
use parking_lot::Mutex;
use platform::{AddressSpace, Prot};

pub use fault::FaultError;
pub use fork::MmSnapshot;
pub use futex_word::FutexPlace;
pub use mmap::{MmapArgs, MmapFile};
pub use page_cache::{CacheSlot, PageCache};
pub use vma::{Backing, Mappable, Vma};

use crate::memfile::MemoryFile;
use pma::{Pma, PmaSet};
use vma::VmaSet;

/// Linux's user address limit with 4-level paging (`TASK_SIZE_MAX`): the end of
/// the canonical lower half minus a guard page. Argument checks (`access_ok`, TLS
/// bases, munmap's range) use it, so that they answer as on Linux; mappings
/// themselves stay below the platform's `max_addr`, which may be lower.
pub const TASK_SIZE_MAX: u64 = 0x7fff_ffff_f000;

/// Lowest address a mapping may have (Linux's default `vm.mmap_min_addr`).
pub const MMAP_MIN_ADDR: u64 = 0x10000;
/// Gap kept free below the stack so it can grow (Linux's `stack_guard_gap`).
const STACK_GUARD_GAP: u64 = 256 * PAGE_SIZE;

/// One area, as /proc/PID/maps describes it.
#[derive(Clone, Debug)]
pub struct AreaInfo {
    pub start: u64,
    pub end: u64,
    pub prot: Prot,
    pub shared: bool,
    pub offset: u64,
    pub name: Option<String>,
}

/// Where things go in a fresh address space.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// First address above the usable range.
    pub max_addr: u64,
    /// Top of the main thread's stack.
    pub stack_top: u64,
    /// Top-down mmap allocations start below this.
    pub mmap_base: u64,
    /// Where a position-independent executable is loaded.
    pub pie_base: u64,
}

impl Layout {
    /// A randomized layout, like Linux's with ASLR on.
    pub fn randomized(max_addr: u64, stack_limit: u64) -> Layout {
        let rand = |range: u64| page_down(crate::host::random_u64() % range);
        let stack_top = max_addr - PAGE_SIZE - rand(1 << 30);
        // Leave room for the stack to reach its limit, as Linux does (at least 128 MiB).
        let gap = stack_limit.clamp(128 << 20, max_addr / 6 * 5);
        let mmap_base = page_down(stack_top - gap) - rand(64 << 30);
        let pie_base = 0x5555_5555_4000 + rand(4 << 30);
        Layout {
            max_addr,
            stack_top,
            mmap_base,
            pie_base,
        }
    }
}

pub struct MemoryManager {
    space: Arc<dyn AddressSpace>,
    memfile: Arc<MemoryFile>,
    layout: Layout,
    inner: Mutex<Inner>,
    /// Sentry threads idle in this address space, for its next threads.
    pub idle_workers: crate::task::workers::IdleWorkers,
    /// A page could not be had within the sandbox's memory limit (for a
    /// fault, or for the sentry's own copy to or from the application): the
    /// process must be killed, as Linux's OOM killer would.
    out_of_memory: std::sync::atomic::AtomicBool,
}

struct Inner {
    vmas: VmaSet,
    pmas: PmaSet,
    brk_start: u64,
    brk: u64,
    /// RLIMIT_STACK: how far the stack may grow down.
    stack_limit: u64,
}

impl MemoryManager {
    pub fn new(
        space: Arc<dyn AddressSpace>,
        memfile: Arc<MemoryFile>,
        layout: Layout,
        stack_limit: u64,
    ) -> Self {
        let inner = Inner {
            vmas: VmaSet::default(),
            pmas: PmaSet::default(),
            brk_start: 0,
            brk: 0,
            stack_limit,
        };
        MemoryManager {
            space,
            memfile,
            layout,
            inner: Mutex::new(inner),
            idle_workers: Default::default(),
            out_of_memory: Default::default(),
        }
    }

    /// Whether memory ran out since the last look (and forgets it).
    pub fn take_out_of_memory(&self) -> bool {
        self.out_of_memory
            .swap(false, std::sync::atomic::Ordering::Relaxed)
    }

    /// Passes `e` on, remembering it when it says memory ran out.
    fn note_out_of_memory(&self, e: Errno) -> Errno {
        if e == Errno::ENOMEM {
            self.out_of_memory
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        e
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    pub fn address_space(&self) -> &Arc<dyn AddressSpace> {
        &self.space
    }

    /// Sets the start (and current end) of the heap, just above the executable.
    pub fn set_brk_start(&self, addr: u64) {
        let mut inner = self.inner.lock();
        inner.brk_start = addr;
        inner.brk = addr;
    }

    /// Names the area starting at `start` (`[stack]`).
    pub fn name_area(&self, start: u64, name: &'static str) {
        let mut inner = self.inner.lock();
        if let Some(v) = inner.vmas.find_mut(start) {
            v.name = Some(name);
        }
    }

    /// Every area in address order, as /proc/PID/maps shows them.
    pub fn areas(&self) -> Vec<AreaInfo> {
        let inner = self.inner.lock();
        inner
            .vmas
            .iter()
            .map(|v| AreaInfo {
                start: v.start,
                end: v.end,
                prot: v.prot,
                shared: v.shared,
                offset: match &v.backing {
                    Backing::File { offset, .. } => *offset,
                    Backing::Anonymous => 0,
                },
                name: v
                    .path
                    .as_deref()
                    .map(str::to_string)
                    .or_else(|| v.name.map(str::to_string)),
            })
            .collect()
    }

    /// Bytes of memory-file pages populated for this address space.
    pub fn populated_bytes(&self) -> u64 {
        self.inner
            .lock()
            .pmas
            .pieces(0, u64::MAX)
            .iter()
            .map(|p| p.end - p.start)
            .sum()
    }

    /// Unmaps `[start, end)`: areas, their memory, and the platform mappings.
    fn unmap_locked(&self, inner: &mut Inner, start: u64, end: u64) {
        // Nothing lies at or above `max_addr`; an empty range is nothing to do.
        let end = end.min(self.layout.max_addr);
        if start >= end {
            return;
        }
        for v in inner.vmas.remove_range(start, end) {
            v.write_back(v.start, v.end);
        }
        for p in inner.pmas.remove_range(start, end) {
            self.memfile.free(p.offset, p.end - p.start);
        }
        self.platform_unmap(start, end);
    }

    fn platform_unmap(&self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        if let Err(e) = self.space.unmap(start, end - start) {
            tracing::error!("unmapping {start:#x}-{end:#x} from the address space: {e}");
        }
    }

    /// Allocates memory-file pages for the holes of `[start, end)`, which lies in `vma`,
    /// filling them from the area's file if it has one.
    fn populate(&self, inner: &mut Inner, vma: &Vma, start: u64, end: u64) -> Result<(), Errno> {
        // Whole pages (areas are page aligned, so this stays inside `vma`).
        let (start, end) = (page_down(start), abi::page_up(end).ok_or(Errno::EFAULT)?);
        if let Some(sp) = &vma.shared_pages {
            // Pages from the cache every mapping shares (copy-on-write for
            // private areas), one piece per run that is contiguous in the
            // memory file.
            for (hs, he) in inner.pmas.holes(start, end) {
                let first = sp.first + (hs - vma.start) / PAGE_SIZE;
                let offsets = sp
                    .cache
                    .pages(first, (he - hs) / PAGE_SIZE)
                    .map_err(|e| self.note_out_of_memory(e))?;
                let mut at = hs;
                for run in offsets.chunk_by(|a, b| b.wrapping_sub(*a) == PAGE_SIZE) {
                    let len = run.len() as u64 * PAGE_SIZE;
                    inner.pmas.insert(Pma {
                        start: at,
                        end: at + len,
                        offset: run[0],
                        cow: !vma.shared,
                    });
                    at += len;
                }
            }
            return Ok(());
        }
        for (hs, he) in inner.pmas.holes(start, end) {
            let len = he - hs;
            let offset = self
                .memfile
                .allocate(len)
                .map_err(|e| self.note_out_of_memory(e))?;
            if let Some((file, foff)) = vma.file_offset(hs) {
                let mut buf = vec![0u8; len as usize];
                let mut done = 0;
                while done < buf.len() {
                    let n = file.read_at(foff + done as u64, &mut buf[done..]);
                    if n == 0 {
                        break;
                    }
                    done += n;
                }
                self.memfile.write(offset, &buf[..done]);
            }
            inner.pmas.insert(Pma {
                start: hs,
                end: he,
                offset,
                cow: false,
            });
        }
        Ok(())
    }

    /// Maps the populated pieces of `[start, end)` into the platform with `prot`
    /// (without write permission where pages are copy-on-write).
    fn platform_map(&self, inner: &Inner, start: u64, end: u64, prot: Prot) -> Result<(), Errno> {
        if prot.is_none() {
            self.platform_unmap(start, end);
            return Ok(());
        }
        // Pieces that continue each other in the memory file go in one call:
        // each call is an injected mmap on ptrace.
        let mut run: Option<Pma> = None;
        for p in inner.pmas.pieces(start, end) {
            match &mut run {
                Some(r)
                    if r.end == p.start
                        && r.offset + (r.end - r.start) == p.offset
                        && r.cow == p.cow =>
                {
                    r.end = p.end;
                }
                _ => {
                    if let Some(r) = run.replace(p) {
                        self.map_piece(&r, prot)?;
                    }
                }
            }
        }
        if let Some(r) = run {
            self.map_piece(&r, prot)?;
        }
        Ok(())
    }

    /// Maps one populated piece with `prot` (without write when copy-on-write).
    fn map_piece(&self, p: &Pma, prot: Prot) -> Result<(), Errno> {
        let prot = if p.cow {
            Prot {
                write: false,
                ..prot
            }
        } else {
            prot
        };
        self.space
            .map(p.start, p.end - p.start, p.offset, prot)
            .map_err(|e| {
                tracing::error!(
                    "mapping {:#x}-{:#x} into the address space: {e}",
                    p.start,
                    p.end
                );
                Errno::ENOMEM
            })
    }
}

impl Inner {
    /// The area containing `addr`, growing the stack down to it if that is where it is.
    fn find_or_grow(&mut self, addr: u64) -> Option<Vma> {
        if let Some(v) = self.vmas.find(addr) {
            return Some(v.clone());
        }
        let above = self.vmas.next_from(addr)?.clone();
        let new_start = page_down(addr);
        if !above.growsdown || above.end - new_start > self.stack_limit {
            return None;
        }
        if self
            .vmas
            .prev_below(addr)
            .is_some_and(|p| p.end + STACK_GUARD_GAP > new_start)
        {
            return None;
        }
        let mut grown = self.vmas.remove_range(above.start, above.end).pop()?;
        grown.start = new_start;
        self.vmas.insert(grown.clone());
        Some(grown)
    }
}

impl Drop for MemoryManager {
    fn drop(&mut self) {
        let inner = self.inner.get_mut();
        for v in inner.vmas.iter() {
            v.write_back(v.start, v.end);
        }
        for p in inner.pmas.remove_range(0, u64::MAX) {
            self.memfile.free(p.offset, p.end - p.start);
        }
    }
}
