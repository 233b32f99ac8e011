//! Structures of the x86-64 Linux ABI that cross the user/kernel boundary.
//!
//! Each is `repr(C)` with the kernel's exact layout and derives `zerocopy` traits so
//! the sentry copies them to and from application memory without `unsafe`.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `struct timespec`.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

/// `struct timeval`.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Timeval {
    pub tv_sec: i64,
    pub tv_usec: i64,
}

/// `struct itimerval` (setitimer): the interval first, then the value.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Itimerval {
    pub interval: Timeval,
    pub value: Timeval,
}

/// `struct itimerspec` (timer_settime, timerfd_settime).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Itimerspec {
    pub interval: Timespec,
    pub value: Timespec,
}

/// `struct sigevent` (timer_create): value, signal, how to notify, then a
/// union whose first member is the thread id for SIGEV_THREAD_ID.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Sigevent {
    pub value: u64,
    pub signo: i32,
    pub notify: i32,
    pub tid: i32,
    pub pad: [u32; 11],
}

/// `struct tms` (times), in clock ticks.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Tms {
    pub utime: i64,
    pub stime: i64,
    pub cutime: i64,
    pub cstime: i64,
}

/// `struct rusage`: CPU times, then fourteen counters (zero in the sandbox).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Rusage {
    pub utime: Timeval,
    pub stime: Timeval,
    pub counters: [i64; 14],
}

/// `struct timezone` (obsolete, still filled by `gettimeofday`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Timezone {
    pub tz_minuteswest: i32,
    pub tz_dsttime: i32,
}

/// Length of each field of `struct new_utsname`.
pub const UTS_FIELD_LEN: usize = 65;

/// `struct new_utsname` as returned by `uname(2)`.
#[repr(C)]
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Utsname {
    pub sysname: [u8; UTS_FIELD_LEN],
    pub nodename: [u8; UTS_FIELD_LEN],
    pub release: [u8; UTS_FIELD_LEN],
    pub version: [u8; UTS_FIELD_LEN],
    pub machine: [u8; UTS_FIELD_LEN],
    pub domainname: [u8; UTS_FIELD_LEN],
}

/// `struct rlimit64` (also the layout of `struct rlimit` on x86-64).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Rlimit {
    pub cur: u64,
    pub max: u64,
}

/// `struct iovec`.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Iovec {
    pub base: u64,
    pub len: u64,
}

/// `struct stat` of x86-64 (`fstat`, `newfstatat`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub nlink: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub pad0: u32,
    pub rdev: u64,
    pub size: i64,
    pub blksize: i64,
    pub blocks: i64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    pub reserved: [i64; 3],
}

/// The kernel's `struct sigaction` for `rt_sigaction` on x86-64 (handler, flags,
/// restorer, mask: not glibc's order).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct KernelSigaction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

/// `stack_t` (sigaltstack).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct StackT {
    pub sp: u64,
    pub flags: i32,
    pub pad: u32,
    pub size: u64,
}

/// x86-64 `struct sigcontext`: the registers a signal frame saves.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct SigContext {
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rsp: u64,
    pub rip: u64,
    pub eflags: u64,
    pub cs: u16,
    pub gs: u16,
    pub fs: u16,
    pub ss: u16,
    pub err: u64,
    pub trapno: u64,
    pub oldmask: u64,
    pub cr2: u64,
    /// Where the FP/XSAVE state was saved (0: none).
    pub fpstate: u64,
    pub reserved: [u64; 8],
}

/// x86-64 `struct ucontext` as signal frames hold it.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct UContext {
    pub flags: u64,
    pub link: u64,
    pub stack: StackT,
    pub mcontext: SigContext,
    pub sigmask: u64,
}

/// `struct rt_sigframe` on x86-64: the handler's return address (`sa_restorer`),
/// the context, the siginfo. The FP state follows, 64-byte aligned.
#[repr(C)]
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct RtSigframe {
    pub restorer: u64,
    pub uc: UContext,
    pub info: SigInfo,
}

/// `struct robust_list_head`: only its size is checked by `set_robust_list`.
pub const ROBUST_LIST_HEAD_SIZE: usize = 24;

/// `struct sysinfo` (x86-64 layout, 112 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Sysinfo {
    pub uptime: i64,
    pub loads: [u64; 3],
    pub totalram: u64,
    pub freeram: u64,
    pub sharedram: u64,
    pub bufferram: u64,
    pub totalswap: u64,
    pub freeswap: u64,
    pub procs: u16,
    pub pad: u16,
    pub pad2: u32,
    pub totalhigh: u64,
    pub freehigh: u64,
    pub mem_unit: u32,
    pub pad3: u32,
}

/// `struct __user_cap_header_struct`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct CapHeader {
    pub version: u32,
    pub pid: i32,
}

/// `struct __user_cap_data_struct`: one 32-bit half of each set.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct CapData {
    pub effective: u32,
    pub permitted: u32,
    pub inheritable: u32,
}

/// Size of the kernel's signal set (`sigset_t` in `rt_sig*` calls).
pub const KERNEL_SIGSET_SIZE: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_kernel() {
        assert_eq!(size_of::<Stat>(), 144);
        assert_eq!(size_of::<Sysinfo>(), 112);
        assert_eq!(size_of::<Utsname>(), 390);
        assert_eq!(size_of::<SigContext>(), 256);
        assert_eq!(size_of::<UContext>(), 304);
        assert_eq!(size_of::<RtSigframe>(), 440);
        assert_eq!(size_of::<Rusage>(), 144);
        assert_eq!(size_of::<Sigevent>(), 64);
        assert_eq!(size_of::<Itimerval>(), 32);
        assert_eq!(size_of::<KernelSigaction>(), 32);
        assert_eq!(size_of::<Timespec>(), 16);
        assert_eq!(size_of::<Rlimit>(), 16);
        assert_eq!(size_of::<Iovec>(), 16);
    }
}

/// `siginfo_t`: 128 bytes whose interpretation depends on the signal and code.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct SigInfo {
    pub words: [u64; 16],
}

impl SigInfo {
    /// A siginfo for `signo` with `code` and, for faults, `addr`.
    pub fn new(signo: i32, code: i32) -> SigInfo {
        let mut s = SigInfo { words: [0; 16] };
        s.words[0] = signo as u32 as u64;
        s.words[1] = code as u32 as u64;
        s
    }
    pub fn signo(&self) -> i32 {
        self.words[0] as u32 as i32
    }
    /// `si_code` follows `si_signo` and `si_errno` (offset 8).
    pub fn code(&self) -> i32 {
        self.words[1] as u32 as i32
    }
    /// Sets `si_addr` (the union starts at offset 16).
    pub fn with_addr(mut self, addr: u64) -> SigInfo {
        self.words[2] = addr;
        self
    }
    /// `si_addr` for SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP.
    pub fn addr(&self) -> u64 {
        self.words[2]
    }
    /// `si_pid` for signals sent by a process.
    pub fn pid(&self) -> i32 {
        self.words[2] as u32 as i32
    }
    /// Sets `si_pid` and `si_uid` (a signal sent by a process, or SIGCHLD).
    pub fn with_sender(mut self, pid: i32, uid: u32) -> SigInfo {
        self.words[2] = (pid as u32 as u64) | ((uid as u64) << 32);
        self
    }
    /// Sets SIGCHLD's `si_status`.
    pub fn with_status(mut self, status: i32) -> SigInfo {
        self.words[3] = status as u32 as u64;
        self
    }
}

impl core::fmt::Debug for SigInfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "SigInfo{{signo: {}, code: {}, addr: {:#x}}}",
            self.signo(),
            self.code(),
            self.addr()
        )
    }
}

/// `struct statx_timestamp`.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct StatxTimestamp {
    pub sec: i64,
    pub nsec: u32,
    pub reserved: i32,
}

/// `struct statx` (256 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Statx {
    pub mask: u32,
    pub blksize: u32,
    pub attributes: u64,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub mode: u16,
    pub spare0: u16,
    pub ino: u64,
    pub size: u64,
    pub blocks: u64,
    pub attributes_mask: u64,
    pub atime: StatxTimestamp,
    pub btime: StatxTimestamp,
    pub ctime: StatxTimestamp,
    pub mtime: StatxTimestamp,
    pub rdev_major: u32,
    pub rdev_minor: u32,
    pub dev_major: u32,
    pub dev_minor: u32,
    pub mnt_id: u64,
    pub dio_mem_align: u32,
    pub dio_offset_align: u32,
    pub spare: [u64; 12],
}

/// `struct statfs` of x86-64.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Statfs {
    pub f_type: i64,
    pub f_bsize: i64,
    pub f_blocks: u64,
    pub f_bfree: u64,
    pub f_bavail: u64,
    pub f_files: u64,
    pub f_ffree: u64,
    pub f_fsid: [i32; 2],
    pub f_namelen: i64,
    pub f_frsize: i64,
    pub f_flags: i64,
    pub f_spare: [i64; 4],
}

/// Linux's `MAJOR()`/`MINOR()` of a `dev_t`.
pub fn dev_major(dev: u64) -> u32 {
    (((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff)) as u32
}

pub fn dev_minor(dev: u64) -> u32 {
    (((dev >> 12) & 0xffff_ff00) | (dev & 0xff)) as u32
}

#[cfg(test)]
mod statx_tests {
    use super::*;

    #[test]
    fn statx_and_statfs_sizes() {
        assert_eq!(size_of::<Statx>(), 256);
        assert_eq!(size_of::<Statfs>(), 120);
        assert_eq!((dev_major(0x0801), dev_minor(0x0801)), (8, 1));
    }
}

/// `struct flock` of x86-64 (fcntl record locks).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Flock {
    pub l_type: i16,
    pub l_whence: i16,
    pub pad0: i32,
    pub l_start: i64,
    pub l_len: i64,
    pub l_pid: i32,
    pub pad1: i32,
}
