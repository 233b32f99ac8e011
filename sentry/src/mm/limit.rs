//! RLIMIT_AS: how large the address space may grow.

use super::MemoryManager;

impl MemoryManager {
    /// Whether mapping `grow` more bytes, of which `replaced` replace bytes
    /// mapped now (MAP_FIXED over existing areas), stays within `limit`
    /// (Linux's may_expand_vm).
    pub fn may_expand(&self, grow: u64, replaced: u64, limit: u64) -> bool {
        if limit == u64::MAX {
            return true;
        }
        let mapped: u64 = self.inner.lock().vmas.iter().map(|v| v.end - v.start).sum();
        mapped
            .saturating_sub(replaced)
            .saturating_add(grow)
            .le(&limit)
    }

    /// Bytes of `[start, end)` that areas cover now.
    pub fn mapped_in(&self, start: u64, end: u64) -> u64 {
        let inner = self.inner.lock();
        let mut at = start;
        let mut total = 0;
        while at < end {
            let Some(v) = inner.vmas.next_from(at) else {
                break;
            };
            if v.start >= end {
                break;
            }
            let (s, e) = (v.start.max(at), v.end.min(end));
            total += e - s;
            at = v.end;
        }
        total
    }
}
