//! The Linux x86-64 ABI as data: syscall numbers and names, errno values, flags and
//! structures. No behaviour lives here.
//!
//! Constants come from `linux-raw-sys` (re-exported as [`linux`], [`ioctl`], [`prctl`]);
//! structures that cross the user boundary are defined in [`types`] with `zerocopy`
//! derives.

pub mod errno;
pub mod sysno;
pub mod types;

pub use errno::Errno;
pub use linux_raw_sys::general as linux;
pub use linux_raw_sys::ioctl;
pub use linux_raw_sys::prctl;

/// Page size of x86-64.
pub const PAGE_SIZE: u64 = 4096;

/// Rounds `x` down to a page boundary.
pub const fn page_down(x: u64) -> u64 {
    x & !(PAGE_SIZE - 1)
}

/// Rounds `x` up to a page boundary, or `None` on overflow.
pub const fn page_up(x: u64) -> Option<u64> {
    match x.checked_add(PAGE_SIZE - 1) {
        Some(v) => Some(v & !(PAGE_SIZE - 1)),
        None => None,
    }
}

/// Signal numbers used across crates.
pub mod signal {
    pub const SIGHUP: i32 = 1;
    pub const SIGINT: i32 = 2;
    pub const SIGQUIT: i32 = 3;
    pub const SIGILL: i32 = 4;
    pub const SIGTRAP: i32 = 5;
    pub const SIGABRT: i32 = 6;
    pub const SIGBUS: i32 = 7;
    pub const SIGFPE: i32 = 8;
    pub const SIGKILL: i32 = 9;
    pub const SIGUSR1: i32 = 10;
    pub const SIGSEGV: i32 = 11;
    pub const SIGUSR2: i32 = 12;
    pub const SIGPIPE: i32 = 13;
    pub const SIGALRM: i32 = 14;
    pub const SIGTERM: i32 = 15;
    pub const SIGCHLD: i32 = 17;
    pub const SIGCONT: i32 = 18;
    pub const SIGSTOP: i32 = 19;
    pub const SIGTSTP: i32 = 20;
    pub const SIGTTIN: i32 = 21;
    pub const SIGTTOU: i32 = 22;
    pub const SIGXFSZ: i32 = 25;
    pub const SIGWINCH: i32 = 28;
    pub const SIGSYS: i32 = 31;
    /// The first real-time signal as the kernel numbers them (glibc keeps
    /// the first two for itself).
    pub const SIGRTMIN: i32 = 32;
    /// Highest signal number (`_NSIG - 1`).
    pub const SIGRTMAX: i32 = 64;

    /// `si_code` values for SIGSEGV.
    pub const SEGV_MAPERR: i32 = 1;
    pub const SEGV_ACCERR: i32 = 2;
    /// `si_code` of a signal the kernel raised itself (e.g. a general protection fault).
    pub const SI_KERNEL: i32 = 0x80;
    /// `si_code` of a signal sent by kill(2).
    pub const SI_USER: i32 = 0;
    /// `si_code` of a signal sent by tkill(2)/tgkill(2).
    pub const SI_TKILL: i32 = -6;
    /// `si_code` of a POSIX timer's signal.
    pub const SI_TIMER: i32 = -2;
}

/// `arch_prctl(2)` codes.
pub mod arch_prctl {
    pub const ARCH_SET_GS: u32 = 0x1001;
    pub const ARCH_SET_FS: u32 = 0x1002;
    pub const ARCH_GET_FS: u32 = 0x1003;
    pub const ARCH_GET_GS: u32 = 0x1004;
    pub const ARCH_GET_CPUID: u32 = 0x1011;
    pub const ARCH_SET_CPUID: u32 = 0x1012;
}
