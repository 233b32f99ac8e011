//! File syscalls on the descriptors the sandbox has: its stdio and read-only files
//! of the root (the VFS and the gofer replace the latter).

use std::sync::Arc;

use abi::linux as l;
use abi::types::{Iovec, Stat};
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::hostfile::RootFileOps;
use sentry::task::Task;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

const RO_NOTE: &str =
    "files of the root are read-only until the gofer serves them (EROFS on write opens)";

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (l::__NR_read, Some(read), Full),
        (l::__NR_write, Some(write), Full),
        (l::__NR_readv, Some(readv), Full),
        (l::__NR_writev, Some(writev), Full),
        (l::__NR_pread64, Some(pread64), Full),
        (l::__NR_pwrite64, Some(pwrite64), Full),
        (l::__NR_open, Some(open), Partial(RO_NOTE)),
        (l::__NR_openat, Some(openat), Partial(RO_NOTE)),
        (l::__NR_close, Some(close), Full),
        (
            l::__NR_lseek,
            Some(lseek),
            Partial("SEEK_DATA/SEEK_HOLE unsupported (EINVAL)"),
        ),
        (l::__NR_fstat, Some(fstat), Full),
        (l::__NR_stat, Some(stat), Partial(RO_NOTE)),
        (l::__NR_lstat, Some(lstat), Partial(RO_NOTE)),
        (l::__NR_newfstatat, Some(newfstatat), Partial(RO_NOTE)),
        (l::__NR_access, Some(access), Partial(RO_NOTE)),
        (l::__NR_faccessat, Some(faccessat), Partial(RO_NOTE)),
        (l::__NR_faccessat2, Some(faccessat2), Partial(RO_NOTE)),
        (
            l::__NR_ioctl,
            Some(ioctl),
            Partial("TCGETS and TIOCGWINSZ on terminals; ENOTTY otherwise"),
        ),
    ]
}

/// Linux caps a single read or write at this many bytes.
const MAX_RW_COUNT: usize = 0x7fff_f000;
/// Data moves through the sentry in chunks of this size.
const CHUNK: usize = 1 << 20;
const PATH_MAX: usize = 4096;
const UIO_MAXIOV: usize = 1024;

fn readable_file(t: &Task, fd: i32) -> Result<Arc<OpenFile>, Errno> {
    let f = t.fds.get(fd)?;
    if !f.readable() {
        Err(Errno::EBADF)
    } else {
        Ok(f)
    }
}

fn writable_file(t: &Task, fd: i32) -> Result<Arc<OpenFile>, Errno> {
    let f = t.fds.get(fd)?;
    if !f.writable() {
        Err(Errno::EBADF)
    } else {
        Ok(f)
    }
}

/// Reads up to `count` bytes into `addr`: at `pos`, or at the file offset (advanced)
/// when `pos` is `None`.
fn do_read(t: &Task, f: &OpenFile, addr: u64, count: usize, pos: Option<u64>) -> SysResult {
    let count = count.min(MAX_RW_COUNT);
    if count == 0 {
        return Ok(0);
    }
    let seekable = f.ops.seekable();
    let mut offset = match pos {
        Some(p) => p,
        None if seekable => *f.offset.lock(),
        None => 0,
    };
    let mut done = 0;
    let mut buf = vec![0u8; count.min(CHUNK)];
    while done < count {
        let want = (count - done).min(buf.len());
        let n = match f.ops.read(offset, &mut buf[..want]) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        // Like Linux, the buffer is only touched when there is data for it (a read
        // at end of file with a bad pointer returns 0).
        match t.mm.copy_out(addr + done as u64, &buf[..n]) {
            Ok(()) => {}
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
        done += n;
        offset += n as u64;
        // Streams return what they have; only regular files are read on to `count`.
        if n < want || !seekable {
            break;
        }
    }
    if pos.is_none() && seekable {
        *f.offset.lock() = offset;
    }
    Ok(done as u64)
}

/// Writes `count` bytes from `addr`, moving them through the sentry in chunks.
fn write_from(t: &Task, f: &OpenFile, addr: u64, count: usize, pos: Option<u64>) -> SysResult {
    let count = count.min(MAX_RW_COUNT);
    let mut done = 0usize;
    let mut buf = vec![0u8; count.min(CHUNK)];
    while done < count {
        let len = (count - done).min(buf.len());
        if let Err(e) = t.mm.copy_in(addr + done as u64, &mut buf[..len]) {
            return if done == 0 { Err(e) } else { Ok(done as u64) };
        }
        let n = match do_write(f, &buf[..len], pos.map(|p| p + done as u64)) {
            Ok(n) => n as usize,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += n;
        if n < len {
            break;
        }
    }
    Ok(done as u64)
}

fn do_write(f: &OpenFile, data: &[u8], pos: Option<u64>) -> SysResult {
    if data.is_empty() {
        return Ok(0);
    }
    let seekable = f.ops.seekable();
    let append = *f.flags.lock() & l::O_APPEND != 0;
    let offset = match pos {
        Some(p) => p,
        None if seekable && append => f.ops.size()?,
        None if seekable => *f.offset.lock(),
        None => 0,
    };
    let n = f.ops.write(offset, data)?;
    if pos.is_none() && seekable {
        *f.offset.lock() = offset + n as u64;
    }
    Ok(n as u64)
}

fn read(t: &mut Task, a: &Args) -> SysResult {
    let f = readable_file(t, a.i32(0))?;
    do_read(t, &f, a.ptr(1), a.usize(2), None)
}

fn write(t: &mut Task, a: &Args) -> SysResult {
    let f = writable_file(t, a.i32(0))?;
    if a.usize(2) == 0 {
        return Ok(0);
    }
    write_from(t, &f, a.ptr(1), a.usize(2), None)
}

/// The file and position of pread/pwrite, checked in Linux's order: descriptor,
/// negative position, not seekable, then the access mode.
fn positioned(t: &Task, a: &Args, write: bool) -> Result<(Arc<OpenFile>, u64), Errno> {
    let f = t.fds.get(a.i32(0))?;
    if a.i64(3) < 0 {
        return Err(Errno::EINVAL);
    }
    if !f.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    if (write && !f.writable()) || (!write && !f.readable()) {
        return Err(Errno::EBADF);
    }
    Ok((f, a.u64(3)))
}

fn pread64(t: &mut Task, a: &Args) -> SysResult {
    let (f, pos) = positioned(t, a, false)?;
    do_read(t, &f, a.ptr(1), a.usize(2), Some(pos))
}

fn pwrite64(t: &mut Task, a: &Args) -> SysResult {
    let (f, pos) = positioned(t, a, true)?;
    write_from(t, &f, a.ptr(1), a.usize(2), Some(pos))
}

/// Reads an iovec array, checking its count and total length as Linux does.
fn read_iovecs(t: &Task, addr: u64, count: i32) -> Result<Vec<Iovec>, Errno> {
    if count < 0 || count as usize > UIO_MAXIOV {
        return Err(Errno::EINVAL);
    }
    let mut iovs = vec![Iovec { base: 0, len: 0 }; count as usize];
    t.mm.copy_in(addr, zerocopy::IntoBytes::as_mut_bytes(iovs.as_mut_slice()))?;
    let mut total: u64 = 0;
    for iov in &iovs {
        total = total
            .checked_add(iov.len)
            .filter(|&t| t <= i64::MAX as u64)
            .ok_or(Errno::EINVAL)?;
    }
    Ok(iovs)
}

fn readv(t: &mut Task, a: &Args) -> SysResult {
    let f = readable_file(t, a.i32(0))?;
    let iovs = read_iovecs(t, a.ptr(1), a.i32(2))?;
    let mut total = 0u64;
    for iov in iovs.iter().filter(|i| i.len > 0) {
        let n = match do_read(t, &f, iov.base, iov.len as usize, None) {
            Ok(n) => n,
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        };
        total += n;
        if n < iov.len || !f.ops.seekable() {
            break;
        }
    }
    Ok(total)
}

fn writev(t: &mut Task, a: &Args) -> SysResult {
    let f = writable_file(t, a.i32(0))?;
    let iovs = read_iovecs(t, a.ptr(1), a.i32(2))?;
    let total: u64 = iovs.iter().map(|i| i.len).sum();
    if total as usize <= CHUNK {
        // Small writes go out in one piece, so a pipe sees them whole as on Linux.
        let mut data = vec![0u8; total as usize];
        let mut at = 0;
        for iov in &iovs {
            t.mm.copy_in(iov.base, &mut data[at..at + iov.len as usize])?;
            at += iov.len as usize;
        }
        return do_write(&f, &data, None);
    }
    let mut done = 0u64;
    for iov in iovs.iter().filter(|i| i.len > 0) {
        let n = match write_from(t, &f, iov.base, iov.len as usize, None) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += n;
        if n < iov.len {
            break;
        }
    }
    Ok(done)
}

/// Resolves a path argument relative to `dirfd` into an absolute path.
fn resolve_path(t: &Task, dirfd: i32, path: &str) -> Result<String, Errno> {
    if path.starts_with('/') {
        return Ok(path.to_string());
    }
    if dirfd == l::AT_FDCWD {
        return Ok(sentry::loader::absolute_path(&t.cwd, path));
    }
    // Directories opened from the root know their path.
    let f = t.fds.get(dirfd)?;
    let is_dir = f.ops.stat()?.mode & libc::S_IFMT == libc::S_IFDIR;
    let dir = f.ops.path().filter(|_| is_dir).ok_or(Errno::ENOTDIR)?;
    Ok(sentry::loader::absolute_path(&dir, path))
}

fn read_path(t: &Task, addr: u64) -> Result<String, Errno> {
    let bytes = t.mm.read_cstring(addr, PATH_MAX - 1)?;
    String::from_utf8(bytes).map_err(|_| Errno::ENOENT)
}

fn do_openat(t: &mut Task, dirfd: i32, path_addr: u64, flags: u32) -> SysResult {
    let path = read_path(t, path_addr)?;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let acc = flags & l::O_ACCMODE;
    let creating = flags & (l::O_CREAT | l::O_TRUNC | l::__O_TMPFILE) != 0;
    let full = resolve_path(t, dirfd, &path)?;
    let extra = (flags & (l::O_NOFOLLOW | l::O_DIRECTORY | l::O_PATH)) as i32;
    let file = t.kernel.rootfs.open_with(&full, extra)?;
    if (acc != l::O_RDONLY || creating) && flags & l::O_PATH == 0 {
        return Err(if file.is_dir() {
            Errno::EISDIR
        } else {
            Errno::EROFS
        });
    }
    let ops = Arc::new(RootFileOps {
        file: Arc::new(file),
    });
    let status = flags & (l::O_ACCMODE | l::O_APPEND | l::O_NONBLOCK | l::O_PATH);
    let open = OpenFile::new(ops, status);
    let limit = t.limits.cur(l::RLIMIT_NOFILE);
    let fd = t.fds.install(open, flags & l::O_CLOEXEC != 0, 0, limit)?;
    Ok(fd as u64)
}

fn openat(t: &mut Task, a: &Args) -> SysResult {
    do_openat(t, a.i32(0), a.ptr(1), a.u32(2))
}

fn open(t: &mut Task, a: &Args) -> SysResult {
    do_openat(t, l::AT_FDCWD, a.ptr(0), a.u32(1))
}

fn close(t: &mut Task, a: &Args) -> SysResult {
    t.fds.remove(a.i32(0)).map(|_| 0)
}

fn lseek(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.get(a.i32(0))?;
    if !f.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    let off = a.i64(1);
    let mut cur = f.offset.lock();
    let base = match a.u32(2) {
        w if w == l::SEEK_SET => 0,
        w if w == l::SEEK_CUR => *cur as i64,
        w if w == l::SEEK_END => f.ops.size()? as i64,
        _ => return Err(Errno::EINVAL),
    };
    let new = base.checked_add(off).ok_or(Errno::EOVERFLOW)?;
    if new < 0 {
        return Err(Errno::EINVAL);
    }
    *cur = new as u64;
    Ok(new as u64)
}

fn fstat(t: &mut Task, a: &Args) -> SysResult {
    let st = t.fds.get(a.i32(0))?.ops.stat()?;
    t.mm.write_obj(a.ptr(1), &st)?;
    Ok(0)
}

/// Stats `path` relative to `dirfd`, honouring AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW.
fn stat_at(t: &Task, dirfd: i32, path_addr: u64, flags: u32) -> Result<Stat, Errno> {
    let path = read_path(t, path_addr)?;
    if path.is_empty() {
        if flags & l::AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        if dirfd == l::AT_FDCWD {
            return Ok(t.kernel.rootfs.open_with(&t.cwd, libc::O_PATH)?.stat());
        }
        return t.fds.get(dirfd)?.ops.stat();
    }
    let full = resolve_path(t, dirfd, &path)?;
    let nofollow = if flags & l::AT_SYMLINK_NOFOLLOW != 0 {
        libc::O_NOFOLLOW
    } else {
        0
    };
    Ok(t.kernel
        .rootfs
        .open_with(&full, libc::O_PATH | nofollow)?
        .stat())
}

fn stat_path(t: &mut Task, dirfd: i32, path_addr: u64, buf: u64, flags: u32) -> SysResult {
    let known = l::AT_SYMLINK_NOFOLLOW | l::AT_EMPTY_PATH | l::AT_NO_AUTOMOUNT;
    if flags & !known != 0 {
        return Err(Errno::EINVAL);
    }
    let st = stat_at(t, dirfd, path_addr, flags)?;
    t.mm.write_obj(buf, &st)?;
    Ok(0)
}

fn newfstatat(t: &mut Task, a: &Args) -> SysResult {
    stat_path(t, a.i32(0), a.ptr(1), a.ptr(2), a.u32(3))
}

fn stat(t: &mut Task, a: &Args) -> SysResult {
    stat_path(t, l::AT_FDCWD, a.ptr(0), a.ptr(1), 0)
}

fn lstat(t: &mut Task, a: &Args) -> SysResult {
    stat_path(t, l::AT_FDCWD, a.ptr(0), a.ptr(1), l::AT_SYMLINK_NOFOLLOW)
}

fn ioctl(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.get(a.i32(0))?;
    let request = a.u32(1);
    // The argument sizes of the requests files answer: struct termios, struct winsize.
    let size = match request {
        r if r == abi::ioctl::TCGETS => 36,
        r if r == abi::ioctl::TIOCGWINSZ => 8,
        _ => return Err(Errno::ENOTTY),
    };
    let mut buf = vec![0u8; size];
    let ret = f.ops.ioctl(request, &mut buf)?;
    t.mm.copy_out(a.ptr(2), &buf)?;
    Ok(ret)
}

fn faccess(t: &mut Task, dirfd: i32, path_addr: u64, mode: u32, flags: u32) -> SysResult {
    const R_OK: u32 = 4;
    const W_OK: u32 = 2;
    const X_OK: u32 = 1;
    if mode & !(R_OK | W_OK | X_OK) != 0
        || flags & !(l::AT_EACCESS | l::AT_SYMLINK_NOFOLLOW | l::AT_EMPTY_PATH) != 0
    {
        return Err(Errno::EINVAL);
    }
    let st = stat_at(t, dirfd, path_addr, flags)?;
    if mode & W_OK != 0 {
        return Err(Errno::EROFS);
    }
    let (uid, gid) = if flags & l::AT_EACCESS != 0 {
        (t.creds.euid, t.creds.egid)
    } else {
        (t.creds.uid, t.creds.gid)
    };
    let any_exec = st.mode & 0o111 != 0 || st.mode & libc::S_IFMT == libc::S_IFDIR;
    if uid == 0 {
        // Root may read anything and execute what anyone may execute.
        return if mode & X_OK != 0 && !any_exec {
            Err(Errno::EACCES)
        } else {
            Ok(0)
        };
    }
    let shift = if st.uid == uid {
        6
    } else if st.gid == gid || t.creds.groups.contains(&st.gid) {
        3
    } else {
        0
    };
    let granted = (st.mode >> shift) & 7;
    if granted & mode == mode {
        Ok(0)
    } else {
        Err(Errno::EACCES)
    }
}

fn access(t: &mut Task, a: &Args) -> SysResult {
    faccess(t, l::AT_FDCWD, a.ptr(0), a.u32(1), 0)
}

fn faccessat(t: &mut Task, a: &Args) -> SysResult {
    faccess(t, a.i32(0), a.ptr(1), a.u32(2), 0)
}

fn faccessat2(t: &mut Task, a: &Args) -> SysResult {
    faccess(t, a.i32(0), a.ptr(1), a.u32(2), a.u32(3))
}
