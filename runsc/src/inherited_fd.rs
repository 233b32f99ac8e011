//! Descriptors handed to runsc's own children (`boot`, `gofer`) by number.

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
