//! Populated ranges: which application pages have memory-file pages behind them.

use std::collections::BTreeMap;

/// `[start, end)` of the address space is backed by the memory file from `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pma {
    pub start: u64,
    pub end: u64,
    pub offset: u64,
    /// Private pages that may still be shared with another address space (after
    /// fork): mapped without write permission, copied on the first write.
    pub cow: bool,
}

#[derive(Default, Clone)]
pub struct PmaSet {
    map: BTreeMap<u64, Pma>,
}

impl PmaSet {
    pub fn find(&self, addr: u64) -> Option<Pma> {
        self.map
            .range(..=addr)
            .next_back()
            .map(|(_, p)| *p)
            .filter(|p| addr < p.end)
    }

    pub fn insert(&mut self, pma: Pma) {
        self.map.insert(pma.start, pma);
    }

    /// The populated pieces of `[start, end)`, cut to fit.
    pub fn pieces(&self, start: u64, end: u64) -> Vec<Pma> {
        let first = self
            .map
            .range(..start)
            .next_back()
            .map(|(&k, _)| k)
            .unwrap_or(start);
        self.map
            .range(first..end)
            .map(|(_, p)| *p)
            .filter(|p| p.end > start)
            .map(|p| {
                let s = p.start.max(start);
                Pma {
                    start: s,
                    end: p.end.min(end),
                    offset: p.offset + (s - p.start),
                    cow: p.cow,
                }
            })
            .collect()
    }

    /// The holes of `[start, end)`.
    pub fn holes(&self, start: u64, end: u64) -> Vec<(u64, u64)> {
        let mut holes = Vec::new();
        let mut at = start;
        for p in self.pieces(start, end) {
            if p.start > at {
                holes.push((at, p.start));
            }
            at = p.end;
        }
        if at < end {
            holes.push((at, end));
        }
        holes
    }

    /// Removes `[start, end)` and returns the memory-file ranges it held.
    pub fn remove_range(&mut self, start: u64, end: u64) -> Vec<Pma> {
        let pieces = self.pieces(start, end);
        for p in &pieces {
            let whole = self.find(p.start).expect("piece comes from the set");
            self.map.remove(&whole.start);
            if whole.start < p.start {
                self.insert(Pma {
                    end: p.start,
                    ..whole
                });
            }
            if p.end < whole.end {
                self.insert(Pma {
                    start: p.end,
                    offset: whole.offset + (p.end - whole.start),
                    ..whole
                });
            }
        }
        pieces
    }

    /// Moves the pieces of `[start, end)` by `delta` bytes (mremap).
    pub fn relocate(&mut self, start: u64, end: u64, new_start: u64) {
        for p in self.remove_range(start, end) {
            self.insert(Pma {
                start: p.start - start + new_start,
                end: p.end - start + new_start,
                ..p
            });
        }
    }

    /// Sets the copy-on-write mark of every piece of `[start, end)`.
    pub fn set_cow(&mut self, start: u64, end: u64, cow: bool) {
        for p in self.remove_range(start, end) {
            self.insert(Pma { cow, ..p });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_holes_and_removal() {
        let mut s = PmaSet::default();
        s.insert(Pma {
            start: 0x1000,
            end: 0x4000,
            offset: 0x10000,
            cow: false,
        });
        s.insert(Pma {
            start: 0x6000,
            end: 0x7000,
            offset: 0x20000,
            cow: false,
        });
        assert_eq!(
            s.holes(0x0, 0x8000),
            vec![(0, 0x1000), (0x4000, 0x6000), (0x7000, 0x8000)]
        );
        let removed = s.remove_range(0x2000, 0x3000);
        assert_eq!(
            removed,
            vec![Pma {
                start: 0x2000,
                end: 0x3000,
                offset: 0x11000,
                cow: false,
            }]
        );
        assert_eq!(
            s.find(0x3000),
            Some(Pma {
                start: 0x3000,
                end: 0x4000,
                offset: 0x12000,
                cow: false,
            })
        );
        assert_eq!(
            s.find(0x1000),
            Some(Pma {
                start: 0x1000,
                end: 0x2000,
                offset: 0x10000,
                cow: false,
            })
        );
        s.set_cow(0x1800, 0x3800, true);
        assert_eq!(s.find(0x1000).map(|p| p.cow), Some(false));
        assert_eq!(
            s.find(0x1800).map(|p| (p.cow, p.offset)),
            Some((true, 0x10800))
        );
        assert_eq!(
            s.find(0x3000).map(|p| (p.cow, p.offset)),
            Some((true, 0x12000))
        );
        assert_eq!(s.find(0x3800).map(|p| p.cow), Some(false));
        s.relocate(0x6000, 0x7000, 0x9000);
        assert_eq!(s.find(0x9000).map(|p| p.offset), Some(0x20000));
        assert!(s.find(0x6000).is_none());
    }
}
