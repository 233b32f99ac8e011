//! fork: a child address space that starts as a copy of its parent's. MAP_SHARED
//! areas share their pages; private pages are shared copy-on-write: mapped without
//! write permission in both address spaces and copied by the first writer.

use std::sync::Arc;

use abi::{Errno, page_down, page_up};
use platform::AddressSpace;

use super::pma::PmaSet;
use super::{Inner, MemoryManager};
use crate::memfile::MemoryFile;

/// What a forked child's memory manager starts from. Holds its own reference to
/// every page it names, released if the child is never made.
pub struct MmSnapshot {
    memfile: Arc<MemoryFile>,
    layout: super::Layout,
    inner: Option<Inner>,
}

impl MemoryManager {
    /// Takes the child's copy of this address space. The parent's writable private
    /// pages are re-mapped read-only, so that its next write copies them too.
    pub fn fork(&self) -> Result<MmSnapshot, Errno> {
        let mut inner = self.inner.lock();
        let areas: Vec<(u64, u64, bool, platform::Prot)> = inner
            .vmas
            .iter()
            .map(|v| (v.start, v.end, v.shared, v.prot))
            .collect();
        tracing::debug!("fork of an address space with {} areas", areas.len());
        let mut child_pmas = PmaSet::default();
        for &(start, end, shared, prot) in &areas {
            if !shared {
                inner.pmas.set_cow(start, end, true);
            }
            for p in inner.pmas.pieces(start, end) {
                self.memfile.share(p.offset, p.end - p.start);
                child_pmas.insert(p);
            }
            if !shared && prot.write {
                self.platform_map(&inner, start, end, prot)?;
            }
        }
        let child = Inner {
            vmas: inner.vmas.clone(),
            pmas: child_pmas,
            brk_start: inner.brk_start,
            brk: inner.brk,
            stack_limit: inner.stack_limit,
        };
        Ok(MmSnapshot {
            memfile: self.memfile.clone(),
            layout: self.layout,
            inner: Some(child),
        })
    }

    /// The child's memory manager, in its own (empty) platform address space: pages
    /// are mapped in as the child faults on them.
    pub fn from_fork(space: Arc<dyn AddressSpace>, mut snapshot: MmSnapshot) -> MemoryManager {
        let inner = snapshot.inner.take().expect("a snapshot is used once");
        MemoryManager {
            space,
            memfile: snapshot.memfile.clone(),
            layout: snapshot.layout,
            inner: parking_lot::Mutex::new(inner),
            idle_workers: Default::default(),
            out_of_memory: Default::default(),
        }
    }

    /// Gives the copy-on-write pieces of `[start, end)` pages of their own: a copy
    /// when another address space still shares the page, else just the mark
    /// removed. Returns whether anything changed (the range needs re-mapping).
    /// The range is widened to whole pages.
    pub(super) fn break_cow(&self, inner: &mut Inner, start: u64, end: u64) -> Result<bool, Errno> {
        let (start, end) = (page_down(start), page_up(end).ok_or(Errno::EFAULT)?);
        let mut changed = false;
        for p in inner.pmas.pieces(start, end) {
            if !p.cow {
                continue;
            }
            changed = true;
            let len = p.end - p.start;
            if !self.memfile.is_shared(p.offset, len) {
                inner.pmas.set_cow(p.start, p.end, false);
                continue;
            }
            let copy = self
                .memfile
                .allocate(len)
                .map_err(|e| self.note_out_of_memory(e))?;
            self.memfile.copy(p.offset, copy, len);
            inner.pmas.remove_range(p.start, p.end);
            inner.pmas.insert(super::pma::Pma {
                offset: copy,
                cow: false,
                ..p
            });
            self.memfile.free(p.offset, len);
        }
        Ok(changed)
    }
}

impl Drop for MmSnapshot {
    fn drop(&mut self) {
        if let Some(mut inner) = self.inner.take() {
            for p in inner.pmas.remove_range(0, u64::MAX) {
                self.memfile.free(p.offset, p.end - p.start);
            }
        }
    }
}
