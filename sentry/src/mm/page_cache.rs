//! Pages that every MAP_SHARED mapping of one object shares: anonymous shared
//! memory (kept across fork) or a file (the same pages for every process that
//! maps it, filled from the file on first touch and written back on msync,
//! munmap and when the last mapping goes). Files whose data is in the memory
//! file already (tmpfs) hand out their own pages instead: nothing is cached
//! or written back for them.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use abi::{Errno, PAGE_SIZE};
use parking_lot::Mutex;

use super::vma::Mappable;
use crate::memfile::MemoryFile;

pub struct PageCache {
    memfile: Arc<MemoryFile>,
    /// Page index in the object -> its page in the memory file (one reference
    /// held by the cache; each mapping's populated page holds another).
    pages: Mutex<BTreeMap<u64, u64>>,
    /// Where pages come from and go back to; None for anonymous memory.
    file: Option<Arc<dyn Mappable>>,
    /// Some mapping could write the pages (only then are they written back:
    /// the file may be open read-only).
    writable: AtomicBool,
}

/// Where a shared area's pages are: the cache, and the page index at the
/// area's start.
#[derive(Clone)]
pub struct SharedPages {
    pub cache: Arc<PageCache>,
    pub first: u64,
}

impl PageCache {
    pub fn anonymous(memfile: Arc<MemoryFile>) -> Arc<PageCache> {
        Arc::new(PageCache {
            memfile,
            pages: Mutex::new(BTreeMap::new()),
            file: None,
            writable: AtomicBool::new(false),
        })
    }

    /// The cache of `file`: the one its mappings already use, if any.
    pub fn of_file(memfile: &Arc<MemoryFile>, file: &Arc<dyn Mappable>) -> Arc<PageCache> {
        let make = || {
            Arc::new(PageCache {
                memfile: memfile.clone(),
                pages: Mutex::new(BTreeMap::new()),
                file: Some(file.clone()),
                writable: AtomicBool::new(false),
            })
        };
        let Some(slot) = file.cache_slot() else {
            return make();
        };
        let mut slot = slot.lock();
        if let Some(cache) = slot.upgrade() {
            return cache;
        }
        let cache = make();
        *slot = Arc::downgrade(&cache);
        cache
    }

    /// The memory-file pages holding pages `[first, first+count)`, read from
    /// the file the first time; pages not cached yet are allocated together
    /// (so that they can be mapped in one piece). The caller gets a reference
    /// of its own to each (to free when unmapped).
    pub fn pages(&self, first: u64, count: u64) -> Result<Vec<u64>, Errno> {
        if let Some(file) = &self.file
            && let Some(pages) = file.memory_pages(first, count)
        {
            return pages;
        }
        let mut pages = self.pages.lock();
        let missing: Vec<u64> = (first..first + count)
            .filter(|i| !pages.contains_key(i))
            .collect();
        if !missing.is_empty() {
            let base = self.memfile.allocate(missing.len() as u64 * PAGE_SIZE)?;
            for (k, &index) in missing.iter().enumerate() {
                let offset = base + k as u64 * PAGE_SIZE;
                pages.insert(index, offset);
            }
            if let Some(file) = &self.file {
                self.fill(&pages, &missing, file.as_ref());
            }
        }
        let offsets: Vec<u64> = (first..first + count).map(|i| pages[&i]).collect();
        for &o in &offsets {
            self.memfile.share(o, PAGE_SIZE);
        }
        Ok(offsets)
    }

    /// Reads the file's bytes into newly cached pages, a run of consecutive
    /// pages at a time.
    fn fill(&self, pages: &BTreeMap<u64, u64>, missing: &[u64], file: &dyn Mappable) {
        for run in missing.chunk_by(|a, b| b - a == 1) {
            let mut buf = vec![0u8; run.len() * PAGE_SIZE as usize];
            let mut done = 0;
            while done < buf.len() {
                let n = file.read_at(run[0] * PAGE_SIZE + done as u64, &mut buf[done..]);
                if n == 0 {
                    break;
                }
                done += n;
            }
            for (k, &index) in run.iter().enumerate() {
                let from = k * PAGE_SIZE as usize;
                if from >= done {
                    break;
                }
                let to = (from + PAGE_SIZE as usize).min(done);
                self.memfile.write(pages[&index], &buf[from..to]);
            }
        }
    }

    /// A mapping that may write the pages exists (a writable MAP_SHARED area).
    pub fn mark_writable(&self) {
        self.writable.store(true, Ordering::Relaxed);
    }

    /// Writes the cached pages of `[first, first+count)` back to the file, up
    /// to the file's size (a mapping never grows its file).
    pub fn write_back(&self, first: u64, count: u64) {
        let Some(file) = &self.file else {
            return;
        };
        if !self.writable.load(Ordering::Relaxed) {
            return;
        }
        let size = file.size();
        let pages = self.pages.lock();
        for (&index, &offset) in pages.range(first..first.saturating_add(count)) {
            let at = index * PAGE_SIZE;
            if at >= size {
                break;
            }
            let len = (size - at).min(PAGE_SIZE) as usize;
            let mut buf = vec![0u8; len];
            self.memfile.read(offset, &mut buf);
            file.write_at(at, &buf);
        }
    }

    /// A write through the file (write(2)) reaching pages mappings share.
    pub fn update(&self, offset: u64, data: &[u8]) {
        let pages = self.pages.lock();
        let mut done = 0usize;
        while done < data.len() {
            let at = offset + done as u64;
            let (index, within) = (at / PAGE_SIZE, at % PAGE_SIZE);
            let n = ((PAGE_SIZE - within) as usize).min(data.len() - done);
            if let Some(&page) = pages.get(&index) {
                self.memfile.write(page + within, &data[done..done + n]);
            }
            done += n;
        }
    }
}

impl Drop for PageCache {
    fn drop(&mut self) {
        self.write_back(0, u64::MAX);
        for (_, offset) in std::mem::take(self.pages.get_mut()) {
            self.memfile.free(offset, PAGE_SIZE);
        }
    }
}

/// What a file keeps to hand every mapping the same cache.
pub type CacheSlot = Mutex<Weak<PageCache>>;
