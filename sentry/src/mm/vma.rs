//! Virtual memory areas: what the application asked to have mapped where.

use std::collections::BTreeMap;
use std::sync::Arc;

use platform::Prot;

/// A file that can back memory mappings: its bytes are copied into the memory
/// file when a page of a mapping is first touched.
pub trait Mappable: Send + Sync {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many (0 at the end).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize;
    /// Identity shown in `/proc/PID/maps`.
    fn name(&self) -> String;
    /// Writes back what a shared mapping changed (files that cannot be
    /// written keep their contents).
    fn write_at(&self, _offset: u64, _data: &[u8]) {}
    /// The file's size: shared mappings write back no further.
    fn size(&self) -> u64 {
        u64::MAX
    }
    /// Where the file keeps the page cache its shared mappings use, so that
    /// every mapping (in any process) shares the same pages. None: each
    /// mmap gets a cache of its own.
    fn cache_slot(&self) -> Option<&super::page_cache::CacheSlot> {
        None
    }
    /// Files whose data already lives in memory-file pages (tmpfs): those
    /// pages for `[first, first+count)`, each with a reference of the
    /// caller's own, so shared mappings map the file itself. None: the page
    /// cache keeps copies.
    fn memory_pages(&self, _first: u64, _count: u64) -> Option<Result<Vec<u64>, abi::Errno>> {
        None
    }
}

#[derive(Clone)]
pub enum Backing {
    /// Zero-filled memory.
    Anonymous,
    /// Filled from `file`, whose byte `offset` is at the area's start.
    File {
        file: Arc<dyn Mappable>,
        offset: u64,
    },
}

#[derive(Clone)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub prot: Prot,
    /// MAP_SHARED (only meaningful once address spaces are forked or files written back).
    pub shared: bool,
    pub backing: Backing,
    /// The stack: grows down on faults just below it.
    pub growsdown: bool,
    /// `[heap]`, `[stack]`...
    pub name: Option<&'static str>,
    /// Path of the mapped file, for /proc/PID/maps.
    pub path: Option<Arc<str>>,
    /// The pages every mapping of the object shares: MAP_SHARED areas write
    /// them in place; private file areas start from them copy-on-write.
    pub shared_pages: Option<super::page_cache::SharedPages>,
}

impl Vma {
    pub fn anonymous(start: u64, end: u64, prot: Prot, name: Option<&'static str>) -> Vma {
        Vma {
            start,
            end,
            prot,
            shared: false,
            backing: Backing::Anonymous,
            growsdown: false,
            name,
            path: None,
            shared_pages: None,
        }
    }

    /// The part of `self` from `at` on (the caller keeps `[start, at)`).
    fn split_off(&mut self, at: u64) -> Vma {
        let mut tail = self.clone();
        tail.start = at;
        if let Backing::File { offset, .. } = &mut tail.backing {
            *offset += at - self.start;
        }
        if let Some(sp) = &mut tail.shared_pages {
            sp.first += (at - self.start) / abi::PAGE_SIZE;
        }
        self.end = at;
        tail
    }

    /// Writes what `[start, end)` of a shared, writable file area changed back
    /// to the file (msync, munmap).
    pub fn write_back(&self, start: u64, end: u64) {
        if let Some(sp) = &self.shared_pages
            && self.shared
            && self.prot.write
        {
            let first = sp.first + (start.max(self.start) - self.start) / abi::PAGE_SIZE;
            let count = (end.min(self.end) - start.max(self.start)).div_ceil(abi::PAGE_SIZE);
            sp.cache.write_back(first, count);
        }
    }

    /// File offset of address `addr` inside a file-backed area.
    pub fn file_offset(&self, addr: u64) -> Option<(Arc<dyn Mappable>, u64)> {
        match &self.backing {
            Backing::File { file, offset } => Some((file.clone(), offset + (addr - self.start))),
            Backing::Anonymous => None,
        }
    }
}

/// The areas of one address space, ordered by start.
#[derive(Default, Clone)]
pub struct VmaSet {
    map: BTreeMap<u64, Vma>,
}

impl VmaSet {
    /// The area containing `addr`.
    pub fn find(&self, addr: u64) -> Option<&Vma> {
        self.map
            .range(..=addr)
            .next_back()
            .map(|(_, v)| v)
            .filter(|v| addr < v.end)
    }

    pub fn find_mut(&mut self, addr: u64) -> Option<&mut Vma> {
        self.map
            .range_mut(..=addr)
            .next_back()
            .map(|(_, v)| v)
            .filter(|v| addr < v.end)
    }

    /// The first area that ends above `addr`.
    pub fn next_from(&self, addr: u64) -> Option<&Vma> {
        self.find(addr)
            .or_else(|| self.map.range(addr..).next().map(|(_, v)| v))
    }

    /// The last area that starts below `addr`.
    pub fn prev_below(&self, addr: u64) -> Option<&Vma> {
        self.map.range(..addr).next_back().map(|(_, v)| v)
    }

    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.next_from(start).is_some_and(|v| v.start < end)
    }

    /// Whether `[start, end)` is entirely covered by areas (no holes).
    pub fn covers(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        while at < end {
            match self.find(at) {
                Some(v) => at = v.end,
                None => return false,
            }
        }
        true
    }

    /// Splits the area containing `at` so that an area boundary falls on `at`.
    pub fn split_at(&mut self, at: u64) {
        let Some((&start, _)) = self.map.range(..at).next_back() else {
            return;
        };
        let vma = self.map.get_mut(&start).expect("present");
        if vma.end > at {
            let tail = vma.split_off(at);
            self.map.insert(at, tail);
        }
    }

    /// Removes and returns the areas (cut to fit) inside `[start, end)`.
    pub fn remove_range(&mut self, start: u64, end: u64) -> Vec<Vma> {
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.map.range(start..end).map(|(&k, _)| k).collect();
        keys.into_iter()
            .filter_map(|k| self.map.remove(&k))
            .collect()
    }

    pub fn insert(&mut self, vma: Vma) {
        debug_assert!(!self.overlaps(vma.start, vma.end));
        self.map.insert(vma.start, vma);
    }

    /// Mutable areas inside `[start, end)`, after splitting at both ends.
    pub fn range_mut(&mut self, start: u64, end: u64) -> impl Iterator<Item = &mut Vma> {
        self.split_at(start);
        self.split_at(end);
        self.map.range_mut(start..end).map(|(_, v)| v)
    }

    /// The highest free range of `len` bytes ending at or below `below` and starting
    /// at or above `min`.
    pub fn find_gap_top_down(&self, len: u64, below: u64, min: u64) -> Option<u64> {
        let mut hole_end = below;
        for (_, v) in self.map.range(..below).rev() {
            if v.end < hole_end && hole_end - v.end >= len {
                return Some(hole_end - len);
            }
            hole_end = hole_end.min(v.start);
            if hole_end < min.saturating_add(len) {
                return None;
            }
        }
        (hole_end >= min.saturating_add(len)).then(|| hole_end - len)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Vma> {
        self.map.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ranges: &[(u64, u64)]) -> VmaSet {
        let mut s = VmaSet::default();
        for &(a, b) in ranges {
            s.insert(Vma::anonymous(a, b, Prot::READ, None));
        }
        s
    }

    #[test]
    fn find_split_remove() {
        let mut s = set(&[(0x1000, 0x5000), (0x8000, 0x9000)]);
        assert_eq!(s.find(0x4fff).map(|v| v.start), Some(0x1000));
        assert!(s.find(0x5000).is_none());
        let removed = s.remove_range(0x2000, 0x3000);
        assert_eq!(removed.len(), 1);
        assert_eq!((removed[0].start, removed[0].end), (0x2000, 0x3000));
        assert_eq!(s.find(0x1000).map(|v| v.end), Some(0x2000));
        assert_eq!(
            s.find(0x3000).map(|v| (v.start, v.end)),
            Some((0x3000, 0x5000))
        );
        assert!(s.covers(0x3000, 0x5000));
        assert!(!s.covers(0x1000, 0x5000));
    }

    #[test]
    fn gaps_are_found_top_down() {
        let s = set(&[(0x10000, 0x20000), (0x30000, 0x40000)]);
        assert_eq!(s.find_gap_top_down(0x1000, 0x50000, 0x1000), Some(0x4f000));
        assert_eq!(s.find_gap_top_down(0x10000, 0x40000, 0x1000), Some(0x20000));
        assert_eq!(s.find_gap_top_down(0x20000, 0x40000, 0x1000), None);
    }

    #[test]
    fn file_offsets_follow_splits() {
        struct F;
        impl Mappable for F {
            fn read_at(&self, _: u64, _: &mut [u8]) -> usize {
                0
            }
            fn name(&self) -> String {
                "f".into()
            }
        }
        let mut s = VmaSet::default();
        let mut v = Vma::anonymous(0x1000, 0x4000, Prot::READ, None);
        v.backing = Backing::File {
            file: Arc::new(F),
            offset: 0x10000,
        };
        s.insert(v);
        s.split_at(0x3000);
        assert_eq!(
            s.find(0x3000).unwrap().file_offset(0x3800).unwrap().1,
            0x12800
        );
    }
}
