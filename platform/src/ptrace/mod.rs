//! The ptrace platform.
//!
//! Each application address space is a *stub* process forked from the sentry and
//! emptied of everything but one page of code (`syscall; int3`). The sentry thread
//! that runs a task traces the task's stub thread: `PTRACE_SYSEMU` runs application
//! code until its next system call, which the host never executes; faults and
//! signals arrive as signal-delivery stops. Address-space changes are `mmap`/`munmap`
//! calls injected into the stub, mapping ranges of the memory file. Each
//! application thread is a thread of the stub, traced by the sentry thread that
//! runs it (`stub_threads.rs`). The stub's own seccomp filter admits only the
//! injected calls.

mod address_space;
mod affinity;
mod context;
mod shared;
mod stub_page;
mod stub_process;
mod stub_seccomp;
mod stub_threads;
mod thread;

use std::sync::Arc;

/// The `clone` flags injected into a stub to make a stub thread (with a zero
/// stack): the sentry's own seccomp filter, which stubs inherit, must let
/// them through.
pub use stub_seccomp::{VSYSCALL_ENTRIES, kernel_program, vsyscall_passthrough};
pub use stub_threads::CLONE_FLAGS as STUB_THREAD_CLONE_FLAGS;

use crate::{AddressSpace, Context, Platform, Result};
use shared::Shared;

/// The signal `Context::interrupt` sends to a running stub thread. The stub never
/// has children, so a real SIGCHLD cannot be confused with it (and the siginfo's
/// sender is checked too).
pub(crate) const INTERRUPT_SIGNAL: i32 = libc::SIGCHLD;

pub struct PtracePlatform {
    shared: Arc<Shared>,
}

impl PtracePlatform {
    /// A ptrace platform whose address spaces map the memory file open at `memfd`
    /// (the descriptor must stay open, at that number, for the platform's life).
    pub fn new(memfd: i32) -> Result<PtracePlatform> {
        Ok(PtracePlatform {
            shared: Arc::new(Shared::new(memfd)?),
        })
    }
}

impl Platform for PtracePlatform {
    fn name(&self) -> &'static str {
        "ptrace"
    }

    fn max_user_address(&self) -> u64 {
        self.shared.stub.start()
    }

    fn new_address_space(&self) -> Result<Arc<dyn AddressSpace>> {
        Ok(Arc::new(address_space::PtraceAddressSpace::new(
            self.shared.clone(),
        )?))
    }

    fn new_context(&self) -> Result<Arc<dyn Context>> {
        self.shared.cpus.pin_current_thread();
        Ok(Arc::new(context::PtraceContext::new()))
    }
}
