//! How application code runs and traps.
//!
//! The sentry decides everything; a platform only runs application code until it
//! traps back with a system call, a fault or a signal. The contract:
//!
//! - [`Platform`] creates address spaces and execution contexts;
//! - [`AddressSpace`] maps ranges of the sentry's memory file into the application;
//! - [`Context::switch`] runs a thread's [`CpuState`] in an address space until it
//!   traps, returning an [`Exit`]; [`Context::interrupt`] makes a running switch
//!   return soon, from any thread;
//! - [`AddressSpace::new_thread`], [`AddressSpace::adopt_thread`] and
//!   [`AddressSpace::release_thread`] add and remove application threads, each run
//!   by its own sentry thread.
//!
//! All unsafe host-execution code of the sandbox lives in this crate.

pub mod cpu_state;
pub mod ptrace;

use std::any::Any;
use std::sync::Arc;

pub use abi::types::SigInfo;
pub use cpu_state::{CpuState, FpState};

/// Errors of the platform itself (never caused by application input).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("host call {what} failed: {errno}")]
    Host {
        what: &'static str,
        errno: nix::errno::Errno,
    },
    #[error("stub process {pid} is gone: {status}")]
    StubDied { pid: i32, status: String },
    #[error("{0}")]
    Unsupported(String),
}

impl Error {
    pub(crate) fn host(what: &'static str) -> impl FnOnce(nix::errno::Errno) -> Error {
        move |errno| Error::Host { what, errno }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Memory protection of a mapping, as the application asked for it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prot {
    pub read: bool,
    pub write: bool,
    pub exec: bool,
}

impl Prot {
    pub const NONE: Prot = Prot {
        read: false,
        write: false,
        exec: false,
    };
    pub const READ: Prot = Prot {
        read: true,
        write: false,
        exec: false,
    };
    pub const READ_WRITE: Prot = Prot {
        read: true,
        write: true,
        exec: false,
    };
    pub const READ_EXEC: Prot = Prot {
        read: true,
        write: false,
        exec: true,
    };

    /// From `PROT_*` bits (unknown bits are the caller's to reject).
    pub fn from_bits(bits: u64) -> Prot {
        Prot {
            read: bits & abi::linux::PROT_READ as u64 != 0,
            write: bits & abi::linux::PROT_WRITE as u64 != 0,
            exec: bits & abi::linux::PROT_EXEC as u64 != 0,
        }
    }

    /// As `PROT_*` bits.
    pub fn bits(self) -> u64 {
        let mut b = 0;
        if self.read {
            b |= abi::linux::PROT_READ as u64;
        }
        if self.write {
            b |= abi::linux::PROT_WRITE as u64;
        }
        if self.exec {
            b |= abi::linux::PROT_EXEC as u64;
        }
        b
    }

    pub fn is_none(self) -> bool {
        !(self.read || self.write || self.exec)
    }
}

/// Why [`Context::switch`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The application made a system call; its number is `CpuState::regs.orig_rax`.
    Syscall,
    /// A memory access faulted at `addr`. `code` is the host's `si_code`
    /// (`SEGV_MAPERR`: nothing mapped there; `SEGV_ACCERR`: the mapping's protection
    /// forbade the access). The access type is not known on every platform.
    Fault { signo: i32, addr: u64, code: i32 },
    /// Any other signal the application's execution raised (`int3`, `ud2`, a
    /// general protection fault, a divide error...).
    Signal(SigInfo),
    /// The application called entry `addr` of the vsyscall page (gettimeofday,
    /// time or getcpu, as old static binaries do), which the host emulates. The
    /// registers are as at the call: `rip` is the entry, `rsp` points at the
    /// return address; the sentry serves the call and returns, as Linux does.
    /// (On a host in `vsyscall=none` mode such a call is a plain fault.)
    Vsyscall { addr: u64 },
    /// [`Context::interrupt`] was called.
    Interrupted,
}

/// A platform backend.
pub trait Platform: Send + Sync {
    /// The name used by `--platform`.
    fn name(&self) -> &'static str;
    /// The first address above the application's usable range.
    fn max_user_address(&self) -> u64;
    /// A new, empty address space.
    fn new_address_space(&self) -> Result<Arc<dyn AddressSpace>>;
    /// A new execution context, to be used by the calling thread.
    fn new_context(&self) -> Result<Arc<dyn Context>>;
}

/// An application address space. Ranges of the memory file are mapped into it;
/// everything else faults.
pub trait AddressSpace: Send + Sync {
    /// Maps `len` bytes of the memory file at `memfile_offset` at `addr` with `prot`,
    /// replacing whatever was mapped there.
    fn map(&self, addr: u64, len: u64, memfile_offset: u64, prot: Prot) -> Result<()>;
    /// Unmaps a range (holes are fine).
    fn unmap(&self, addr: u64, len: u64) -> Result<()>;
    /// CPU time application code has used in this address space, all threads
    /// together (`CLOCK_PROCESS_CPUTIME_ID`), when the platform can tell.
    fn cpu_time(&self) -> Option<std::time::Duration>;
    /// For the platform's own context to find its concrete type.
    fn as_any(&self) -> &dyn Any;

    /// Creates the platform half of a new application thread in this address
    /// space (`clone(CLONE_THREAD)`). Called on the parent's sentry thread, which
    /// must already run a thread here. The result is handed to the child's sentry
    /// thread, which calls [`AddressSpace::adopt_thread`]. A `NewThread` dropped
    /// without being adopted costs an idle host thread until the address space
    /// is dropped.
    fn new_thread(&self) -> Result<NewThread> {
        Err(Error::Unsupported("threads on this platform".into()))
    }

    /// Makes the calling sentry thread the runner of `thread`: from then on
    /// [`Context::switch`], [`Context::load_fp`], [`AddressSpace::map`] and
    /// [`AddressSpace::unmap`] on this sentry thread act on it. Call it after
    /// [`Platform::new_context`] on the same thread (the thread follows the
    /// context's CPU pinning). A sentry thread runs at most one thread per address
    /// space.
    fn adopt_thread(&self, thread: NewThread) -> Result<()> {
        drop(thread);
        Err(Error::Unsupported("threads on this platform".into()))
    }

    /// Ends the calling sentry thread's application thread (its exit); the other
    /// threads and the address space live on. The sentry thread must call this
    /// before it exits if the address space is to outlive it.
    fn release_thread(&self) -> Result<()> {
        Err(Error::Unsupported("threads on this platform".into()))
    }
}

/// The platform half of a new application thread, on its way from the parent's
/// sentry thread ([`AddressSpace::new_thread`]) to the child's
/// ([`AddressSpace::adopt_thread`]). Opaque; only the platform that made it can
/// use it.
pub struct NewThread(Box<dyn Any + Send>);

impl NewThread {
    pub(crate) fn new<T: Any + Send>(inner: T) -> NewThread {
        NewThread(Box::new(inner))
    }

    pub(crate) fn downcast<T: Any>(self) -> Result<T> {
        self.0
            .downcast::<T>()
            .map(|b| *b)
            .map_err(|_| Error::Unsupported("a thread from another platform".into()))
    }
}

impl std::fmt::Debug for NewThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewThread")
    }
}

/// An execution context: runs application threads until they trap.
pub trait Context: Send + Sync {
    /// Runs `cpu` in `space` until the application traps.
    fn switch(&self, space: &Arc<dyn AddressSpace>, cpu: &mut CpuState) -> Result<Exit>;
    /// Makes the current or next `switch` return [`Exit::Interrupted`] soon.
    /// Callable from any thread.
    fn interrupt(&self);
    /// Reads the thread's floating-point/XSAVE state into `cpu.fp` if it is not
    /// already there (signal frames need it; syscalls usually don't).
    fn load_fp(&self, space: &Arc<dyn AddressSpace>, cpu: &mut CpuState) -> Result<()>;
}

/// The platforms `--platform` accepts, and whether this build has them.
pub const PLATFORMS: &[(&str, bool)] = &[("ptrace", true), ("kvm", false), ("systrap", false)];
