//! Descriptors handed to runsc's own children (`boot`, `gofer`) by number,
//! and nothing else: what runsc's caller left open is never passed on.

use std::os::fd::{FromRawFd, OwnedFd};

use anyhow::bail;

/// Takes ownership of descriptor `fd`, inherited from the parent runsc.
pub fn adopt(fd: i32) -> anyhow::Result<OwnedFd> {
    if fd < 3 || nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFD).is_err() {
        bail!("descriptor {fd} was not inherited");
    }
    // SAFETY: the parent runsc passed this open descriptor for this process to own;
    // nothing else in this process refers to it, and it is adopted once.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Lets the next child inherit `fd` (clears close-on-exec).
pub fn inheritable(fd: &impl std::os::fd::AsRawFd, yes: bool) -> anyhow::Result<()> {
    let flags = if yes {
        nix::fcntl::FdFlag::empty()
    } else {
        nix::fcntl::FdFlag::FD_CLOEXEC
    };
    nix::fcntl::fcntl(fd.as_raw_fd(), nix::fcntl::FcntlArg::F_SETFD(flags))?;
    Ok(())
}

/// Marks every descriptor from 3 up close-on-exec, first thing in `main`.
///
/// runsc's caller may leave descriptors open across its exec (a shell's
/// `exec 77<secret`); without this, every child runsc starts (the sandbox,
/// the gofers, the exec waiter) would inherit them. After it, a child holds
/// its stdio and exactly the descriptors made `inheritable` for it. The ones
/// this process was handed by number stay open here (it adopts them) but are
/// not passed further.
pub fn seal_inherited() {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: close_range takes no pointers; with CLOSE_RANGE_CLOEXEC it only
    // sets a flag on our own descriptors.
    let r = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC) };
    if r == 0 {
        return;
    }
    // Kernels before 5.11: one descriptor at a time.
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    let fds: Vec<i32> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&fd| fd >= 3)
        .collect();
    for fd in fds {
        let _ = nix::fcntl::fcntl(
            fd,
            nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
        );
    }
}
