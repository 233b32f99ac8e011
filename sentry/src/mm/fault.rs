//! Demand paging: faults the platform reports.

use abi::signal::{SEGV_ACCERR, SEGV_MAPERR};
use abi::{PAGE_SIZE, page_down};

use super::MemoryManager;

/// Why a fault could not be resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultError {
    /// The access is the application's error: SIGSEGV with this `si_code`.
    Segv(i32),
    /// The page could not be had within the sandbox's memory limit: the
    /// process is killed, as Linux's OOM killer would.
    OutOfMemory,
}

/// SIGSEGV with `code`, or the OOM kill when memory ran out.
fn fault_error(e: abi::Errno, code: i32) -> FaultError {
    if e == abi::Errno::ENOMEM {
        FaultError::OutOfMemory
    } else {
        FaultError::Segv(code)
    }
}

/// Pages populated and mapped around a faulting address at once: fewer traps, and
/// untouched memory-file pages cost the host nothing.
const FAULT_WINDOW: u64 = 32 * PAGE_SIZE;
/// Pages copied at once on a write to copy-on-write memory: a child that execs soon
/// after fork touches few of them.
const COW_WINDOW: u64 = 4 * PAGE_SIZE;

impl MemoryManager {
    /// Handles a fault at `addr`; `host_code` is the platform's `si_code`. On success
    /// the access can be retried; otherwise what to do to the application.
    /// `first_try` says the thread did not just fault at the same address: another
    /// thread may have changed the mapping since the host reported the fault.
    pub fn handle_fault(
        &self,
        addr: u64,
        host_code: i32,
        first_try: bool,
    ) -> Result<(), FaultError> {
        // Pages are mapped with exactly their area's protection, but for
        // copy-on-write pages, mapped without write: if the host says the
        // protection forbade the access, so does the area, unless the page is
        // copy-on-write in a writable area.
        if host_code == SEGV_ACCERR {
            return self.copy_on_write_fault(addr, first_try);
        }
        if addr >= self.layout.max_addr {
            return Err(FaultError::Segv(SEGV_MAPERR));
        }
        let mut inner = self.inner.lock();
        let vma = inner
            .find_or_grow(addr)
            .ok_or(FaultError::Segv(SEGV_MAPERR))?;
        if vma.prot.is_none() {
            return Err(FaultError::Segv(SEGV_ACCERR));
        }
        let base = page_down(addr) & !(FAULT_WINDOW - 1);
        let start = base.max(vma.start);
        let end = (base + FAULT_WINDOW).min(vma.end);
        self.populate(&mut inner, &vma, start, end)
            .map_err(|e| fault_error(e, SEGV_MAPERR))?;
        self.platform_map(&inner, start, end, vma.prot)
            .map_err(|e| fault_error(e, SEGV_MAPERR))
    }

    /// A write (or, as far as the host tells, any access) to a copy-on-write page.
    /// The page gets a copy of its own; an access that still faults after that is a
    /// real protection violation, which the next fault reports. A fault on a
    /// writable page that is no longer copy-on-write was reported before another
    /// thread copied it: the first time, the access is retried.
    fn copy_on_write_fault(&self, addr: u64, first_try: bool) -> Result<(), FaultError> {
        let mut inner = self.inner.lock();
        let vma = inner
            .vmas
            .find(addr)
            .cloned()
            .ok_or(FaultError::Segv(SEGV_ACCERR))?;
        let cow = inner.pmas.find(addr).is_some_and(|p| p.cow);
        if !cow && vma.prot.write && first_try {
            return Ok(());
        }
        if !cow || !vma.prot.write {
            tracing::debug!(
                "protection fault at {addr:#x}: area {:#x}-{:#x} {:?}, copy-on-write {cow}",
                vma.start,
                vma.end,
                vma.prot
            );
            return Err(FaultError::Segv(SEGV_ACCERR));
        }
        let base = page_down(addr) & !(COW_WINDOW - 1);
        let start = base.max(vma.start);
        let end = (base + COW_WINDOW).min(vma.end);
        self.break_cow(&mut inner, start, end)
            .map_err(|e| fault_error(e, SEGV_ACCERR))?;
        self.platform_map(&inner, start, end, vma.prot)
            .map_err(|e| fault_error(e, SEGV_ACCERR))
    }
}
