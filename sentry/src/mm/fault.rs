//! Demand paging: faults the platform reports.

use abi::signal::{SEGV_ACCERR, SEGV_MAPERR};
use abi::{PAGE_SIZE, page_down};

use super::MemoryManager;

/// Pages populated and mapped around a faulting address at once: fewer traps, and
/// untouched memory-file pages cost the host nothing.
const FAULT_WINDOW: u64 = 32 * PAGE_SIZE;

impl MemoryManager {
    /// Handles a fault at `addr`; `host_code` is the platform's `si_code`. On success
    /// the access can be retried; otherwise the `si_code` of the SIGSEGV to deliver.
    pub fn handle_fault(&self, addr: u64, host_code: i32) -> Result<(), i32> {
        // Pages are mapped with exactly their area's protection: if the host says the
        // protection forbade the access, so does the area.
        if host_code == SEGV_ACCERR {
            return Err(SEGV_ACCERR);
        }
        if addr >= self.layout.max_addr {
            return Err(SEGV_MAPERR);
        }
        let mut inner = self.inner.lock();
        let vma = inner.find_or_grow(addr).ok_or(SEGV_MAPERR)?;
        if vma.prot.is_none() {
            return Err(SEGV_ACCERR);
        }
        let base = page_down(addr) & !(FAULT_WINDOW - 1);
        let start = base.max(vma.start);
        let end = (base + FAULT_WINDOW).min(vma.end);
        self.populate(&mut inner, &vma, start, end)
            .map_err(|_| SEGV_MAPERR)?;
        self.platform_map(&inner, start, end, vma.prot)
            .map_err(|_| SEGV_MAPERR)
    }
}
