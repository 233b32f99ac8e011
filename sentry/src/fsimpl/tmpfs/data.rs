//! A tmpfs file's bytes: sparse pages of the memory file, as Linux's shmem
//! keeps them. A page exists only once something was written to it (or
//! fallocate asked for it); holes read as zeroes and cost nothing, so no size
//! the application picks is ever allocated as one buffer. Truncation and hole
//! punching give pages back. Shared mappings of the file map these very
//! pages (`map_pages`).
//!
//! Each page present holds one reference of the memory file (`MemoryFile::
//! share`/`free` count them) and one page of the filesystem's `Space`.

use std::collections::BTreeMap;
use std::sync::Arc;

use abi::{Errno, PAGE_SIZE};

use super::space::Space;
use crate::memfile::MemoryFile;

/// The largest size a file may have (Linux's MAX_LFS_FILESIZE).
pub const MAX_SIZE: u64 = i64::MAX as u64;

pub struct FileData {
    memfile: Arc<MemoryFile>,
    space: Arc<Space>,
    size: u64,
    /// Page index in the file -> its page in the memory file.
    pages: BTreeMap<u64, u64>,
}

/// Pages `[first, end)` that cover bytes `[offset, offset+len)`.
fn page_span(offset: u64, len: u64) -> (u64, u64) {
    let end = offset.saturating_add(len);
    (offset / PAGE_SIZE, end.div_ceil(PAGE_SIZE))
}

impl FileData {
    pub fn new(memfile: Arc<MemoryFile>, space: Arc<Space>) -> FileData {
        FileData {
            memfile,
            space,
            size: 0,
            pages: BTreeMap::new(),
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// 512-byte blocks the file's pages take (st_blocks).
    pub fn blocks(&self) -> u64 {
        self.pages.len() as u64 * (PAGE_SIZE / 512)
    }

    /// Copies bytes at `offset` into `buf`; returns how many (0 at the end).
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> usize {
        if offset >= self.size {
            return 0;
        }
        let n = (buf.len() as u64).min(self.size - offset) as usize;
        self.each_piece(offset, n, |at, page, range| {
            let dst = &mut buf[range];
            match page {
                Some(p) => self.memfile.read(p + at % PAGE_SIZE, dst),
                None => dst.fill(0),
            }
        });
        n
    }

    /// Writes `buf` at `offset`, allocating the pages it reaches. A write that
    /// would pass the largest file size is shortened (EFBIG when nothing is
    /// left); one that finds no room writes what fits (ENOSPC or ENOMEM when
    /// nothing does).
    pub fn write(&mut self, offset: u64, buf: &[u8]) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        if offset >= MAX_SIZE {
            return Err(Errno::EFBIG);
        }
        let mut len = (buf.len() as u64).min(MAX_SIZE - offset);
        let (first, end) = page_span(offset, len);
        if let Err(e) = self.fill_holes(first, end) {
            // Write as far as the pages that could be had reach.
            let room = self.pages_from(first, end, e)?;
            len = len.min(room * PAGE_SIZE - offset % PAGE_SIZE);
        }
        let len = len as usize;
        self.each_piece(offset, len, |at, page, range| {
            let page = page.expect("pages for a write were allocated");
            self.memfile.write(page + at % PAGE_SIZE, &buf[range]);
        });
        self.size = self.size.max(offset + len as u64);
        Ok(len)
    }

    /// Allocates pages one at a time from `first` until one cannot be had;
    /// returns how many consecutive pages from `first` are present (the
    /// error `e` when none is).
    fn pages_from(&mut self, first: u64, end: u64, e: Errno) -> Result<u64, Errno> {
        let mut at = first;
        while at < end && self.fill_holes(at, at + 1).is_ok() {
            at += 1;
        }
        if at == first { Err(e) } else { Ok(at - first) }
    }

    /// Makes every page of `[first, end)` present, all or none: ENOSPC when
    /// the filesystem is full, ENOMEM past the sandbox's memory budget.
    fn fill_holes(&mut self, first: u64, end: u64) -> Result<(), Errno> {
        let present = self.pages.range(first..end).count() as u64;
        let missing = (end - first) - present;
        if missing == 0 {
            return Ok(());
        }
        self.space.reserve(missing)?;
        let base = match self.memfile.allocate(missing * PAGE_SIZE) {
            Ok(base) => base,
            Err(e) => {
                self.space.release(missing);
                return Err(e);
            }
        };
        let mut next = base;
        for index in first..end {
            if let std::collections::btree_map::Entry::Vacant(v) = self.pages.entry(index) {
                v.insert(next);
                next += PAGE_SIZE;
            }
        }
        Ok(())
    }

    /// Calls `f(offset, page, range)` for each piece of `[offset, offset+len)`
    /// that lies in one page: the file offset of the piece, its page if
    /// present, and the piece's range within the caller's buffer.
    fn each_piece(
        &self,
        offset: u64,
        len: usize,
        mut f: impl FnMut(u64, Option<u64>, std::ops::Range<usize>),
    ) {
        let mut done = 0usize;
        while done < len {
            let at = offset + done as u64;
            let n = ((PAGE_SIZE - at % PAGE_SIZE) as usize).min(len - done);
            f(
                at,
                self.pages.get(&(at / PAGE_SIZE)).copied(),
                done..done + n,
            );
            done += n;
        }
    }

    /// Sets the size (truncate): pages past the new end go, and the end's
    /// page reads as zeroes past it.
    pub fn set_size(&mut self, size: u64) -> Result<(), Errno> {
        if size > MAX_SIZE {
            return Err(Errno::EFBIG);
        }
        if size < self.size {
            self.drop_pages(size.div_ceil(PAGE_SIZE), u64::MAX);
        }
        // Bytes past the old end (mapped writes there) read as zeroes once
        // the file grows over them, and past the new end once it shrank.
        let tail = self.size.min(size);
        self.zero(tail, tail.next_multiple_of(PAGE_SIZE) - tail);
        self.size = size;
        Ok(())
    }

    /// FALLOC_FL_PUNCH_HOLE: `[offset, offset+len)` reads as zeroes, and its
    /// whole pages are given back. The size stays.
    pub fn punch_hole(&mut self, offset: u64, len: u64) {
        let end = offset.saturating_add(len);
        let (first, last) = (offset.div_ceil(PAGE_SIZE), end / PAGE_SIZE);
        if first < last {
            self.drop_pages(first, last);
        }
        // The partial pages at either end.
        let head_end = end.min(first * PAGE_SIZE);
        self.zero(offset, head_end.saturating_sub(offset));
        let tail_start = (last * PAGE_SIZE).max(offset);
        if first <= last {
            self.zero(tail_start, end.saturating_sub(tail_start));
        }
    }

    /// fallocate(2) without flags or with FALLOC_FL_KEEP_SIZE: the pages of
    /// the range are made present (ENOSPC, all or none, when they do not
    /// fit); without `keep_size` the file grows to the range's end.
    pub fn allocate(&mut self, offset: u64, len: u64, keep_size: bool) -> Result<(), Errno> {
        let end = offset
            .checked_add(len)
            .filter(|&e| e <= MAX_SIZE)
            .ok_or(Errno::EFBIG)?;
        let (first, last) = page_span(offset, len);
        self.fill_holes(first, last).map_err(|_| Errno::ENOSPC)?;
        if !keep_size && end > self.size {
            self.size = end;
        }
        Ok(())
    }

    /// lseek(SEEK_DATA): the first offset at or after `offset` in a page that
    /// holds data (ENXIO at or past the end).
    pub fn seek_data(&self, offset: u64) -> Result<u64, Errno> {
        if offset >= self.size {
            return Err(Errno::ENXIO);
        }
        let (&index, _) = self
            .pages
            .range(offset / PAGE_SIZE..)
            .next()
            .ok_or(Errno::ENXIO)?;
        let at = (index * PAGE_SIZE).max(offset);
        if at >= self.size {
            Err(Errno::ENXIO)
        } else {
            Ok(at)
        }
    }

    /// lseek(SEEK_HOLE): the first offset at or after `offset` in a hole;
    /// the end of the file counts as one.
    pub fn seek_hole(&self, offset: u64) -> Result<u64, Errno> {
        if offset >= self.size {
            return Err(Errno::ENXIO);
        }
        let mut index = offset / PAGE_SIZE;
        for (&i, _) in self.pages.range(index..) {
            if i != index {
                break;
            }
            index += 1;
        }
        Ok((index * PAGE_SIZE).max(offset).min(self.size))
    }

    /// The memory-file pages of file pages `[first, first+count)`, for a
    /// shared mapping: the file's own pages (allocated where there are
    /// holes), each with a reference of the caller's own to free when
    /// unmapped. Pages wholly past the end are the mapping's alone.
    pub fn map_pages(&mut self, first: u64, count: u64) -> Result<Vec<u64>, Errno> {
        let end = first.saturating_add(count);
        let in_file = end.min(self.size.div_ceil(PAGE_SIZE)).max(first);
        self.fill_holes(first, in_file)?;
        let mut out = Vec::with_capacity(count as usize);
        for index in first..end {
            match self.pages.get(&index) {
                Some(&page) => {
                    self.memfile.share(page, PAGE_SIZE);
                    out.push(page);
                }
                None => match self.memfile.allocate(PAGE_SIZE) {
                    Ok(page) => out.push(page),
                    Err(e) => {
                        for &page in &out {
                            self.memfile.free(page, PAGE_SIZE);
                        }
                        return Err(e);
                    }
                },
            }
        }
        Ok(out)
    }

    /// Zeroes `len` bytes at `offset` in the pages that are present.
    fn zero(&self, offset: u64, len: u64) {
        let mut done = 0;
        while done < len {
            let at = offset + done;
            let n = (PAGE_SIZE - at % PAGE_SIZE).min(len - done);
            if let Some(&page) = self.pages.get(&(at / PAGE_SIZE)) {
                self.memfile.zero(page + at % PAGE_SIZE, n);
            }
            done += n;
        }
    }

    /// Gives back the pages of `[first, end)`. A page a shared mapping holds
    /// too is zeroed and kept instead: the mapping must see what the file
    /// now reads (Linux unmaps such pages; no reverse map here).
    fn drop_pages(&mut self, first: u64, end: u64) {
        let mut gone = Vec::new();
        let mut kept = Vec::new();
        for (&index, &page) in self.pages.range(first..end) {
            if self.memfile.is_shared(page, PAGE_SIZE) {
                kept.push(page);
            } else {
                gone.push(index);
            }
        }
        for page in kept {
            self.memfile.zero(page, PAGE_SIZE);
        }
        let freed = gone.iter().filter_map(|i| self.pages.remove(i)).collect();
        self.free(freed);
    }

    /// Gives pages back to the memory file (in runs, one host call each) and
    /// to the filesystem.
    fn free(&self, mut pages: Vec<u64>) {
        self.space.release(pages.len() as u64);
        pages.sort_unstable();
        for run in pages.chunk_by(|a, b| b - a == PAGE_SIZE) {
            self.memfile.free(run[0], run.len() as u64 * PAGE_SIZE);
        }
    }
}

impl Drop for FileData {
    fn drop(&mut self) {
        let pages = std::mem::take(&mut self.pages);
        self.free(pages.into_values().collect());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(max_pages: u64) -> FileData {
        let memfile = Arc::new(MemoryFile::new().unwrap());
        FileData::new(memfile, Arc::new(Space::new(max_pages * PAGE_SIZE)))
    }

    fn read_all(d: &FileData, offset: u64, len: usize) -> Vec<u8> {
        let mut buf = vec![0xffu8; len];
        let n = d.read(offset, &mut buf);
        buf.truncate(n);
        buf
    }

    #[test]
    fn a_huge_sparse_file_costs_nothing() {
        let mut d = data(16);
        d.set_size(100 << 40).unwrap();
        assert_eq!(d.size(), 100 << 40);
        assert_eq!(d.blocks(), 0);
        assert_eq!(read_all(&d, 50 << 40, 10), vec![0; 10]);
        assert_eq!(d.write((100 << 40) - 2, b"xyz").unwrap(), 3);
        assert_eq!(d.size(), (100 << 40) + 1);
        assert_eq!(d.blocks(), 2 * 8, "the write spans two pages");
        assert_eq!(read_all(&d, (100 << 40) - 3, 10), b"\0xyz");
    }

    #[test]
    fn writes_stop_at_the_largest_size() {
        let mut d = data(4);
        assert_eq!(d.write(MAX_SIZE, b"a"), Err(Errno::EFBIG));
        assert_eq!(d.write(MAX_SIZE - 1, b"ab").unwrap(), 1);
        assert_eq!(d.size(), MAX_SIZE);
        assert_eq!(d.set_size(MAX_SIZE + 1), Err(Errno::EFBIG));
        assert_eq!(d.allocate(MAX_SIZE, 1, false), Err(Errno::EFBIG));
    }

    #[test]
    fn a_full_filesystem_writes_what_fits() {
        let mut d = data(2);
        let big = vec![7u8; 3 * PAGE_SIZE as usize];
        assert_eq!(d.write(100, &big).unwrap(), 2 * PAGE_SIZE as usize - 100);
        assert_eq!(d.write(2 * PAGE_SIZE, b"x"), Err(Errno::ENOSPC));
        assert_eq!(d.allocate(0, 3 * PAGE_SIZE, false), Err(Errno::ENOSPC));
        assert_eq!(
            d.size(),
            2 * PAGE_SIZE,
            "a failed fallocate changes nothing"
        );
        d.set_size(0).unwrap();
        assert_eq!(d.blocks(), 0);
        assert_eq!(
            d.write(0, &big[..2 * PAGE_SIZE as usize]).unwrap(),
            2 * PAGE_SIZE as usize
        );
    }

    #[test]
    fn truncate_frees_and_zeroes_the_tail() {
        let mut d = data(8);
        d.write(0, &[1u8; 3 * PAGE_SIZE as usize]).unwrap();
        d.set_size(PAGE_SIZE + 10).unwrap();
        assert_eq!(d.blocks(), 2 * 8);
        d.set_size(3 * PAGE_SIZE).unwrap();
        let back = read_all(&d, PAGE_SIZE, 2 * PAGE_SIZE as usize);
        assert_eq!(&back[..10], &[1u8; 10]);
        assert!(
            back[10..].iter().all(|&b| b == 0),
            "regrown bytes are zeroes"
        );
    }

    #[test]
    fn punched_holes_read_as_zeroes_and_free_pages() {
        let mut d = data(8);
        d.write(0, &[9u8; 4 * PAGE_SIZE as usize]).unwrap();
        d.punch_hole(100, 2 * PAGE_SIZE);
        assert_eq!(d.size(), 4 * PAGE_SIZE);
        assert_eq!(d.blocks(), 3 * 8, "one whole page inside the hole is gone");
        let back = read_all(&d, 0, 4 * PAGE_SIZE as usize);
        assert!(back[..100].iter().all(|&b| b == 9));
        assert!(
            back[100..100 + 2 * PAGE_SIZE as usize]
                .iter()
                .all(|&b| b == 0)
        );
        assert!(back[100 + 2 * PAGE_SIZE as usize..].iter().all(|&b| b == 9));
        // Inside one page.
        d.punch_hole(3 * PAGE_SIZE + 1, 2);
        assert_eq!(read_all(&d, 3 * PAGE_SIZE, 4), vec![9, 0, 0, 9]);
    }

    #[test]
    fn seek_data_and_hole_follow_pages() {
        let mut d = data(8);
        d.set_size(10 * PAGE_SIZE).unwrap();
        d.write(3 * PAGE_SIZE + 5, b"a").unwrap();
        d.write(4 * PAGE_SIZE, b"b").unwrap();
        assert_eq!(d.seek_data(0).unwrap(), 3 * PAGE_SIZE);
        assert_eq!(d.seek_data(3 * PAGE_SIZE + 7).unwrap(), 3 * PAGE_SIZE + 7);
        assert_eq!(d.seek_hole(3 * PAGE_SIZE).unwrap(), 5 * PAGE_SIZE);
        assert_eq!(d.seek_hole(1).unwrap(), 1);
        assert_eq!(d.seek_data(5 * PAGE_SIZE), Err(Errno::ENXIO));
        assert_eq!(d.seek_hole(10 * PAGE_SIZE), Err(Errno::ENXIO));
        d.write(9 * PAGE_SIZE, b"c").unwrap();
        assert_eq!(d.seek_hole(9 * PAGE_SIZE).unwrap(), 10 * PAGE_SIZE);
    }

    #[test]
    fn mapped_pages_are_the_files() {
        let mut d = data(8);
        d.set_size(2 * PAGE_SIZE).unwrap();
        let pages = d.map_pages(0, 3).unwrap();
        assert_eq!(d.blocks(), 2 * 8, "the page past the end is not the file's");
        d.memfile.write(pages[1] + 1, b"m");
        assert_eq!(read_all(&d, PAGE_SIZE, 2), b"\0m");
        d.punch_hole(0, PAGE_SIZE);
        let mut seen = [1u8; 1];
        d.memfile.read(pages[0], &mut seen);
        assert_eq!(
            seen,
            [0],
            "a punched page a mapping holds reads zeroes there"
        );
        for p in pages {
            d.memfile.free(p, PAGE_SIZE);
        }
        assert_eq!(
            read_all(&d, PAGE_SIZE, 2),
            b"\0m",
            "the file keeps its pages"
        );
    }

    #[test]
    fn dropping_gives_everything_back() {
        let memfile = Arc::new(MemoryFile::new().unwrap());
        let space = Arc::new(Space::new(1 << 30));
        let mut d = FileData::new(memfile.clone(), space.clone());
        d.write(0, &[1u8; 5000]).unwrap();
        d.allocate(1 << 20, 8192, true).unwrap();
        assert_eq!(space.used_pages(), 4);
        assert_eq!(memfile.used(), 4 * PAGE_SIZE);
        drop(d);
        assert_eq!(space.used_pages(), 0);
        assert_eq!(memfile.used(), 0);
    }
}
