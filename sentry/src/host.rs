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

/// The host CPU the calling sentry thread runs on (`getcpu`'s answer: each
/// sentry thread is pinned to the CPU its application thread runs on).
pub fn current_cpu() -> usize {
    // SAFETY: sched_getcpu takes no arguments and only reads the CPU number.
    let cpu = unsafe { libc::sched_getcpu() };
    cpu.max(0) as usize
}
