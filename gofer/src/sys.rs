//! Thin wrappers over the host calls the server makes. Each returns the host's
//! errno on failure; none interprets paths beyond what its caller passes (single
//! validated names relative to held descriptors, or the empty path).

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use abi::Errno;

/// The errno of the last failed host call.
fn last_errno() -> Errno {
    Errno(
        io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO) as u16,
    )
}

/// Turns a `-1`-on-error return into a `Result`.
fn check(ret: libc::c_long) -> Result<libc::c_long, Errno> {
    if ret < 0 { Err(last_errno()) } else { Ok(ret) }
}

/// `struct open_how` of `openat2(2)` (libc's is `non_exhaustive`).
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

/// `openat2(dir, name, flags, mode, resolve)`; `O_CLOEXEC` is always added.
pub(crate) fn openat2(
    dir: BorrowedFd<'_>,
    name: &CStr,
    flags: i32,
    mode: u32,
    resolve: u64,
) -> Result<OwnedFd, Errno> {
    let how = OpenHow {
        flags: (flags | libc::O_CLOEXEC) as u32 as u64,
        mode: mode as u64,
        resolve,
    };
    loop {
        // SAFETY: openat2 reads the NUL-terminated name and `how` (of the size
        // passed); both outlive the call.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                dir.as_raw_fd(),
                name.as_ptr(),
                &how as *const OpenHow,
                size_of::<OpenHow>(),
            )
        };
        match check(ret) {
            // SAFETY: openat2 returned a new descriptor nothing else owns.
            Ok(fd) => return Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) }),
            Err(Errno::EINTR) | Err(Errno::EAGAIN) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// `fstat` of the node itself (also works on `O_PATH` descriptors and symlinks).
pub(crate) fn fstat(fd: BorrowedFd<'_>) -> Result<libc::stat, Errno> {
    // SAFETY: an all-zero `struct stat` is valid plain data.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: the path is a static empty string and `st` is writable for the call.
    let ret = unsafe {
        libc::fstatat(
            fd.as_raw_fd(),
            c"".as_ptr(),
            &mut st,
            libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    check(ret as _).map(|_| st)
}

/// The kernel's x86-64 `struct statfs` (libc hides `f_fsid`'s fields).
#[repr(C)]
#[derive(Default)]
pub(crate) struct KStatfs {
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

pub(crate) fn fstatfs(fd: BorrowedFd<'_>) -> Result<KStatfs, Errno> {
    let mut st = KStatfs::default();
    // SAFETY: `st` has the layout of the kernel's struct statfs and is writable.
    let ret = unsafe { libc::syscall(libc::SYS_fstatfs, fd.as_raw_fd(), &mut st as *mut KStatfs) };
    check(ret).map(|_| st)
}

pub(crate) fn mkdirat(dir: BorrowedFd<'_>, name: &CStr, mode: u32) -> Result<(), Errno> {
    // SAFETY: the name is NUL-terminated and outlives the call.
    check(unsafe { libc::mkdirat(dir.as_raw_fd(), name.as_ptr(), mode) } as _).map(drop)
}

pub(crate) fn mknodat(dir: BorrowedFd<'_>, name: &CStr, mode: u32) -> Result<(), Errno> {
    // SAFETY: the name is NUL-terminated and outlives the call.
    check(unsafe { libc::mknodat(dir.as_raw_fd(), name.as_ptr(), mode, 0) } as _).map(drop)
}

pub(crate) fn symlinkat(target: &CStr, dir: BorrowedFd<'_>, name: &CStr) -> Result<(), Errno> {
    // SAFETY: both strings are NUL-terminated and outlive the call.
    check(unsafe { libc::symlinkat(target.as_ptr(), dir.as_raw_fd(), name.as_ptr()) } as _)
        .map(drop)
}

/// `linkat` without `AT_SYMLINK_FOLLOW`: links the named node itself.
pub(crate) fn linkat(
    old_dir: BorrowedFd<'_>,
    old_name: &CStr,
    new_dir: BorrowedFd<'_>,
    new_name: &CStr,
) -> Result<(), Errno> {
    // SAFETY: both names are NUL-terminated and outlive the call.
    let ret = unsafe {
        libc::linkat(
            old_dir.as_raw_fd(),
            old_name.as_ptr(),
            new_dir.as_raw_fd(),
            new_name.as_ptr(),
            0,
        )
    };
    check(ret as _).map(drop)
}

pub(crate) fn unlinkat(dir: BorrowedFd<'_>, name: &CStr, flags: i32) -> Result<(), Errno> {
    // SAFETY: the name is NUL-terminated and outlives the call.
    check(unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), flags) } as _).map(drop)
}

pub(crate) fn renameat2(
    old_dir: BorrowedFd<'_>,
    old_name: &CStr,
    new_dir: BorrowedFd<'_>,
    new_name: &CStr,
    flags: u32,
) -> Result<(), Errno> {
    // The raw call: glibc may turn flags 0 into `renameat`, another syscall.
    // SAFETY: both names are NUL-terminated and outlive the call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            old_dir.as_raw_fd(),
            old_name.as_ptr(),
            new_dir.as_raw_fd(),
            new_name.as_ptr(),
            flags,
        )
    };
    check(ret).map(drop)
}

/// The target of the symlink `fd` refers to (an `O_PATH` descriptor of it).
pub(crate) fn readlink(fd: BorrowedFd<'_>) -> Result<Vec<u8>, Errno> {
    // Linux symlink targets are below PATH_MAX bytes.
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    // SAFETY: the path is a static empty string; `buf` is writable for its length.
    let n = unsafe {
        libc::readlinkat(
            fd.as_raw_fd(),
            c"".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    let n = check(n as _)? as usize;
    buf.truncate(n);
    Ok(buf)
}

/// Changes the owner of the node `fd` refers to, never following a symlink.
pub(crate) fn fchown(fd: BorrowedFd<'_>, uid: u32, gid: u32) -> Result<(), Errno> {
    // SAFETY: the path is a static empty string.
    let ret = unsafe {
        libc::fchownat(
            fd.as_raw_fd(),
            c"".as_ptr(),
            uid,
            gid,
            libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    check(ret as _).map(drop)
}

/// `fchmodat2(fd, "", mode, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)`: changes the
/// mode of the node an `O_PATH` descriptor refers to (Linux 6.6+).
pub(crate) fn fchmod_path_fd(fd: BorrowedFd<'_>, mode: u32) -> Result<(), Errno> {
    // SAFETY: the path is a static empty string; the other arguments are integers.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_fchmodat2,
            fd.as_raw_fd(),
            c"".as_ptr(),
            mode,
            libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    check(ret).map(drop)
}

/// `fchmod` of an open (not `O_PATH`) descriptor.
pub(crate) fn fchmod(fd: BorrowedFd<'_>, mode: u32) -> Result<(), Errno> {
    // SAFETY: plain integer arguments.
    check(unsafe { libc::fchmod(fd.as_raw_fd(), mode) } as _).map(drop)
}

pub(crate) fn ftruncate(fd: BorrowedFd<'_>, size: u64) -> Result<(), Errno> {
    let size = i64::try_from(size).map_err(|_| Errno::EFBIG)?;
    // SAFETY: plain integer arguments.
    check(unsafe { libc::ftruncate(fd.as_raw_fd(), size) } as _).map(drop)
}

/// `utimensat(fd, "", times, AT_EMPTY_PATH)` on the node itself (Linux 5.8+ for
/// `O_PATH` descriptors).
pub(crate) fn utimens(fd: BorrowedFd<'_>, times: &[libc::timespec; 2]) -> Result<(), Errno> {
    // SAFETY: the path is a static empty string; `times` holds two timespecs.
    let ret = unsafe {
        libc::utimensat(
            fd.as_raw_fd(),
            c"".as_ptr(),
            times.as_ptr(),
            libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    check(ret as _).map(drop)
}

pub(crate) fn fsync(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    // SAFETY: plain integer argument.
    check(unsafe { libc::fsync(fd.as_raw_fd()) } as _).map(drop)
}

pub(crate) fn lseek_set(fd: BorrowedFd<'_>, offset: u64) -> Result<(), Errno> {
    // SAFETY: plain integer arguments.
    check(unsafe { libc::lseek(fd.as_raw_fd(), offset as i64, libc::SEEK_SET) } as _).map(drop)
}

/// Reads `linux_dirent64` records into `buf`; returns the bytes filled.
pub(crate) fn getdents64(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is writable for its length.
    let n = unsafe {
        libc::syscall(
            libc::SYS_getdents64,
            fd.as_raw_fd(),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    check(n).map(|n| n as usize)
}

/// Largest xattr value or name list Linux handles (`XATTR_SIZE_MAX`).
pub(crate) const XATTR_SIZE_MAX: usize = 65536;

pub(crate) fn fgetxattr(fd: BorrowedFd<'_>, name: &CStr) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; XATTR_SIZE_MAX];
    // SAFETY: the name is NUL-terminated; `buf` is writable for its length.
    let n = unsafe {
        libc::fgetxattr(
            fd.as_raw_fd(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    let n = check(n as _)? as usize;
    buf.truncate(n);
    Ok(buf)
}

pub(crate) fn fsetxattr(
    fd: BorrowedFd<'_>,
    name: &CStr,
    value: &[u8],
    flags: i32,
) -> Result<(), Errno> {
    // SAFETY: the name is NUL-terminated; `value` is readable for its length.
    let ret = unsafe {
        libc::fsetxattr(
            fd.as_raw_fd(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            flags,
        )
    };
    check(ret as _).map(drop)
}

/// The NUL-separated list of xattr names.
pub(crate) fn flistxattr(fd: BorrowedFd<'_>) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; XATTR_SIZE_MAX];
    // SAFETY: `buf` is writable for its length.
    let n = unsafe { libc::flistxattr(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    let n = check(n as _)? as usize;
    buf.truncate(n);
    Ok(buf)
}

pub(crate) fn fremovexattr(fd: BorrowedFd<'_>, name: &CStr) -> Result<(), Errno> {
    // SAFETY: the name is NUL-terminated.
    check(unsafe { libc::fremovexattr(fd.as_raw_fd(), name.as_ptr()) } as _).map(drop)
}

/// Sets the process umask to 0: the sentry applies the application's umask
/// itself and sends final modes.
pub(crate) fn clear_umask() {
    // SAFETY: umask cannot fail and touches no memory.
    unsafe { libc::umask(0) };
}
