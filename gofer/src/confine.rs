//! Confinement: every name the server resolves is one validated component,
//! looked up from a directory descriptor it holds, without following symlinks
//! and without leaving that directory.
//!
//! All node handles descend from the mount root one component at a time, so no
//! handle can name anything outside it; the `openat2` resolve flags make the
//! kernel refuse any step that would (a symlink, a magic link, `..`).
//! `RESOLVE_BENEATH` rather than `RESOLVE_IN_ROOT`: with single components the
//! two agree, except that an escape attempt fails instead of being clamped.
//! Mount points below the root (bind mounts) are crossed.
//!
//! What this does not cover: a directory the server holds being moved outside
//! the root by the host (not through the gofer) keeps being served where it is.

use std::ffi::{CStr, CString};
use std::os::fd::{BorrowedFd, OwnedFd};

use abi::Errno;

use crate::sys;

/// `openat2` resolve flags for every lookup: stay beneath the directory, follow
/// no symlinks of any kind.
pub(crate) const RESOLVE: u64 =
    libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS | libc::RESOLVE_NO_SYMLINKS;

/// Longest name of a directory entry (`NAME_MAX`).
pub(crate) const NAME_MAX: usize = 255;

/// Checks that `name` is a single path component and returns it NUL-terminated.
///
/// Errors: empty → `ENOENT` (as Linux says for `""`); `.`, `..`, or a name with
/// `/` or NUL → `EINVAL` (the sentry resolves those itself and never sends them);
/// longer than `NAME_MAX` → `ENAMETOOLONG`.
pub(crate) fn component(name: &[u8]) -> Result<CString, Errno> {
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name == b"." || name == b".." || name.contains(&b'/') {
        return Err(Errno::EINVAL);
    }
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    CString::new(name).map_err(|_| Errno::EINVAL)
}

/// An `O_PATH` handle of `name` in `dir` (the symlink itself if it is one).
pub(crate) fn lookup(dir: BorrowedFd<'_>, name: &CStr) -> Result<OwnedFd, Errno> {
    sys::openat2(dir, name, libc::O_PATH | libc::O_NOFOLLOW, 0, RESOLVE)
}

/// Opens `name` in `dir` for I/O, never following a symlink and never blocking
/// (a FIFO without a peer must not stall the gofer).
pub(crate) fn open_in(
    dir: BorrowedFd<'_>,
    name: &CStr,
    flags: i32,
    mode: u32,
) -> Result<OwnedFd, Errno> {
    let flags = flags | libc::O_NOFOLLOW | libc::O_NOCTTY | libc::O_NONBLOCK;
    sys::openat2(dir, name, flags, mode, RESOLVE)
}

/// Opens the directory `dir` (an `O_PATH` handle) itself for I/O.
pub(crate) fn open_dir(dir: BorrowedFd<'_>, flags: i32) -> Result<OwnedFd, Errno> {
    open_in(dir, c".", flags | libc::O_DIRECTORY, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_rules() {
        assert_eq!(component(b""), Err(Errno::ENOENT));
        assert_eq!(component(b"."), Err(Errno::EINVAL));
        assert_eq!(component(b".."), Err(Errno::EINVAL));
        assert_eq!(component(b"a/b"), Err(Errno::EINVAL));
        assert_eq!(component(b"/"), Err(Errno::EINVAL));
        assert_eq!(component(b"a\0b"), Err(Errno::EINVAL));
        assert_eq!(component(&[b'x'; 256]), Err(Errno::ENAMETOOLONG));
        assert_eq!(component(&[b'x'; 255]).unwrap().as_bytes().len(), 255);
        assert_eq!(component(b"...").unwrap().as_bytes(), b"...");
        assert_eq!(component(b"\xff\xfe").unwrap().as_bytes(), b"\xff\xfe");
    }
}
