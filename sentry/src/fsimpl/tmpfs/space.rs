//! How much a tmpfs may hold: its `size=` in pages, and the pages its files
//! hold now. Running out is ENOSPC, as on Linux.

use std::sync::atomic::{AtomicU64, Ordering};

use abi::{Errno, PAGE_SIZE};

use crate::memfile::MemoryFile;

pub struct Space {
    max_pages: AtomicU64,
    used_pages: AtomicU64,
}

impl Space {
    /// A tmpfs of at most `max_bytes` (rounded up to whole pages).
    pub fn new(max_bytes: u64) -> Space {
        Space {
            max_pages: AtomicU64::new(max_bytes.div_ceil(PAGE_SIZE)),
            used_pages: AtomicU64::new(0),
        }
    }

    /// Linux's default size: half of the memory there is (here: the
    /// sandbox's memory budget at the time the filesystem is made).
    pub fn default_size() -> u64 {
        MemoryFile::global().map_or(1 << 30, |m| m.limit() / 2)
    }

    /// Takes `pages` more pages, all or none.
    pub fn reserve(&self, pages: u64) -> Result<(), Errno> {
        let max = self.max_pages.load(Ordering::Relaxed);
        self.used_pages
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(pages).filter(|&n| n <= max)
            })
            .map(|_| ())
            .map_err(|_| Errno::ENOSPC)
    }

    /// Gives back `pages` pages.
    pub fn release(&self, pages: u64) {
        let _ = self
            .used_pages
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                Some(used.saturating_sub(pages))
            });
    }

    pub fn max_pages(&self) -> u64 {
        self.max_pages.load(Ordering::Relaxed)
    }

    pub fn used_pages(&self) -> u64 {
        self.used_pages.load(Ordering::Relaxed)
    }
}

/// The size a tmpfs `size=` option asks for: bytes with an optional k, m, g,
/// t, p or e suffix, or a percentage of `memory`. None when malformed.
pub fn parse_size(value: &str, memory: u64) -> Option<u64> {
    if let Some(percent) = value.strip_suffix('%') {
        let p: u64 = percent.parse().ok()?;
        return Some((memory / 100).saturating_mul(p));
    }
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (digits, suffix) = value.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let shift = match suffix {
        "" => 0,
        "k" | "K" => 10,
        "m" | "M" => 20,
        "g" | "G" => 30,
        "t" | "T" => 40,
        "p" | "P" => 50,
        "e" | "E" => 60,
        _ => return None,
    };
    n.checked_mul(1u64 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_is_all_or_nothing() {
        let s = Space::new(3 * PAGE_SIZE);
        s.reserve(2).unwrap();
        assert_eq!(s.reserve(2), Err(Errno::ENOSPC));
        assert_eq!(s.used_pages(), 2);
        s.release(2);
        s.reserve(3).unwrap();
    }

    #[test]
    fn sizes_parse_as_mount_options() {
        assert_eq!(parse_size("4096", 0), Some(4096));
        assert_eq!(parse_size("64m", 0), Some(64 << 20));
        assert_eq!(parse_size("2G", 0), Some(2 << 30));
        assert_eq!(parse_size("50%", 1000), Some(500));
        assert_eq!(parse_size("12q", 0), None);
        assert_eq!(parse_size("", 0), None);
        assert_eq!(parse_size("99999999e", 0), None);
    }
}
