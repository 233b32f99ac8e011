//! Small wrappers around host calls the sentry makes for itself.

/// Random bytes from the host (`getrandom(2)`), for ASLR, AT_RANDOM and `getrandom`.
pub fn random_bytes(buf: &mut [u8], flags: u32) -> Result<usize, abi::Errno> {
    // SAFETY: getrandom writes at most buf.len() bytes into the live buffer.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), flags) };
    if n < 0 {
        return Err(abi::Errno(nix::errno::Errno::last_raw() as u16));
    }
    Ok(n as usize)
}

pub fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    let _ = random_bytes(&mut b, 0);
    u64::from_le_bytes(b)
}

/// The host's `/proc/cpuinfo`, read once. `runsc boot` reads it before the
/// sandbox leaves the host's filesystem (`prime_host_files`); the sentry
/// opens no host path after that.
pub fn cpuinfo() -> &'static [u8] {
    static CPUINFO: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    CPUINFO.get_or_init(|| std::fs::read("/proc/cpuinfo").unwrap_or_default())
}

/// Reads every host file the sentry will ever want, while it still can.
pub fn prime_host_files() {
    cpuinfo();
}

/// The host's memory figures (`sysinfo(2)`), for /proc/meminfo.
pub fn sysinfo() -> libc::sysinfo {
    // SAFETY: all-zero is a valid sysinfo; the call fills the struct it is given.
    let mut si: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: `si` is a valid, writable sysinfo struct.
    unsafe { libc::sysinfo(&mut si) };
    si
}

/// (total, available) physical pages of the host, for in-memory filesystems' statfs.
pub fn memory_pages() -> (u64, u64) {
    // SAFETY: sysconf only reads system configuration.
    let (total, avail) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_AVPHYS_PAGES),
        )
    };
    (total.max(0) as u64, avail.max(0) as u64)
}

/// An entry of the sentry's own auxiliary vector (0 when absent).
pub fn auxval(key: u32) -> u64 {
    // SAFETY: getauxval only reads the process's auxiliary vector.
    unsafe { libc::getauxval(key as libc::c_ulong) }
}

/// The sentry's own limit of `resource`, when the host says.
pub fn rlimit(resource: u32) -> Option<(u64, u64)> {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one struct rlimit into `l`.
    let ok = unsafe { libc::getrlimit(resource as libc::__rlimit_resource_t, &mut l) } == 0;
    ok.then_some((l.rlim_cur, l.rlim_max))
}

fn last_errno() -> abi::Errno {
    abi::Errno(nix::errno::Errno::last_raw() as u16)
}

/// A new host epoll instance (close-on-exec), for the host-FD notifier.
pub fn epoll_create() -> Result<i32, abi::Errno> {
    // SAFETY: epoll_create1 takes no pointers.
    let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if fd < 0 { Err(last_errno()) } else { Ok(fd) }
}

/// Adds host `fd` to epoll `epfd` for `events`, with `fd` as the event's data.
pub fn epoll_add(epfd: i32, fd: i32, events: u32) -> Result<(), abi::Errno> {
    let mut ev = libc::epoll_event {
        events,
        u64: fd as u64,
    };
    // SAFETY: `ev` is a valid epoll_event the call only reads.
    let r = unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, fd, &mut ev) };
    if r < 0 { Err(last_errno()) } else { Ok(()) }
}

/// Removes host `fd` from epoll `epfd`.
pub fn epoll_del(epfd: i32, fd: i32) {
    // SAFETY: EPOLL_CTL_DEL ignores the event pointer (null is allowed).
    unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_DEL, fd, std::ptr::null_mut()) };
}

/// Waits (without a timeout) for events on `epfd`; returns (fd, events) pairs.
/// The thread calling it is the notifier's own, which nothing needs to wake.
pub fn epoll_wait(epfd: i32, out: &mut Vec<(i32, u32)>) -> Result<(), abi::Errno> {
    let mut evs = [libc::epoll_event { events: 0, u64: 0 }; 32];
    // SAFETY: the kernel writes at most evs.len() events into the live array.
    let n = unsafe { libc::epoll_wait(epfd, evs.as_mut_ptr(), evs.len() as i32, -1) };
    if n < 0 {
        return Err(last_errno());
    }
    out.clear();
    out.extend(evs[..n as usize].iter().map(|e| (e.u64 as i32, e.events)));
    Ok(())
}

/// The readiness of host `fd` for `events` right now (`poll` with a zero
/// timeout: it never sleeps).
pub fn poll_now(fd: i32, events: u32) -> u32 {
    let mut p = libc::pollfd {
        fd,
        events: events as i16,
        revents: 0,
    };
    // SAFETY: one valid pollfd; a zero timeout returns at once.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    if n > 0 { p.revents as u16 as u32 } else { 0 }
}

/// The host CPU the calling sentry thread runs on (`getcpu`'s answer: each
/// sentry thread is pinned to the CPU its application thread runs on).
pub fn current_cpu() -> usize {
    // SAFETY: sched_getcpu takes no arguments and only reads the CPU number.
    let cpu = unsafe { libc::sched_getcpu() };
    cpu.max(0) as usize
}
