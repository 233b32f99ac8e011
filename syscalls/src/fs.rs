//! File syscalls on the descriptors the sandbox has: its stdio and read-only files
//! of the root (the VFS and the gofer replace the latter).

use std::sync::Arc;

use abi::linux as l;
use abi::types::Iovec;
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::task::Task;
use sentry::vfs::SetAttr;
use sentry::waiter::events::{READABLE, WRITABLE};

use crate::args::{Args, Handler, SysResult};
use crate::blocking::{io_wait, writes_fully};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (l::__NR_read, Some(read), Full),
        (l::__NR_write, Some(write), Full),
        (l::__NR_readv, Some(readv), Full),
        (l::__NR_writev, Some(writev), Full),
        (l::__NR_pread64, Some(pread64), Full),
        (l::__NR_pwrite64, Some(pwrite64), Full),
        (l::__NR_close, Some(close), Full),
        (l::__NR_lseek, Some(lseek), Full),
        (l::__NR_fstat, Some(fstat), Full),
        (
            l::__NR_ftruncate,
            Some(ftruncate),
            Partial("regular files of writable filesystems"),
        ),
        (
            l::__NR_fchmod,
            Some(fchmod),
            Partial("files opened from the VFS; EPERM for others"),
        ),
        (l::__NR_umask, Some(umask), Full),
        (l::__NR_preadv, Some(preadv), Full),
        (l::__NR_pwritev, Some(pwritev), Full),
        (
            l::__NR_preadv2,
            Some(preadv2),
            Partial("RWF_* flags are accepted as hints; RWF_APPEND appends"),
        ),
        (
            l::__NR_pwritev2,
            Some(pwritev2),
            Partial("RWF_* flags are accepted as hints; RWF_APPEND appends"),
        ),
        (l::__NR_fsync, Some(fsync), Full),
        (
            l::__NR_fallocate,
            Some(fallocate),
            Partial(
                "tmpfs and memfds as Linux's shmem (allocate, KEEP_SIZE, PUNCH_HOLE|KEEP_SIZE; other modes EOPNOTSUPP); gofer files as the host's file system",
            ),
        ),
        (l::__NR_fdatasync, Some(fsync), Full),
        (l::__NR_sync, Some(sync), Full),
        (l::__NR_syncfs, Some(syncfs), Full),
        (l::__NR_getdents64, Some(getdents64), Full),
        (
            l::__NR_ioctl,
            Some(ioctl),
            Partial(
                "FIOCLEX, FIONCLEX, FIONBIO; FIONREAD on pipes and inotify; terminal requests on ptys and host terminals (termios, window size, job control, pty master requests; TIOCPKT, TIOCSTI, TIOCEXCL, TIOCCONS, modem and serial requests are ENOTTY); ENOTTY otherwise",
            ),
        ),
    ]
}

/// Linux caps a single read or write at this many bytes.
const MAX_RW_COUNT: usize = 0x7fff_f000;
/// Data moves through the sentry in chunks of this size.
const CHUNK: usize = 1 << 20;
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

/// x86-64's TASK_SIZE (47-bit user addresses, less a guard page).
const TASK_SIZE: u64 = 0x7fff_ffff_f000;

/// Linux's `access_ok`, which read and write check before the position: a
/// buffer that runs past the user address space is EFAULT.
fn access_ok(addr: u64, count: u64) -> Result<(), Errno> {
    match addr.checked_add(count) {
        Some(end) if end <= TASK_SIZE => Ok(()),
        _ => Err(Errno::EFAULT),
    }
}

/// Linux's `rw_verify_area`: a position and count whose sum leaves the signed
/// 64-bit range is EINVAL. Every read and write of a file with a position
/// checks here before any data moves, so no such offset reaches a file.
pub(crate) fn verify_area(pos: u64, count: u64) -> Result<(), Errno> {
    let (pos, count) = (pos as i64, count as i64);
    if pos < 0 || count < 0 || pos.checked_add(count).is_none() {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// The position a read or write without one of its own uses: the file offset
/// of a seekable file (streams have none).
pub(crate) fn current_pos(f: &OpenFile) -> Option<u64> {
    f.ops.seekable().then(|| *f.offset.lock())
}

/// RLIMIT_FSIZE on a write of `count` bytes to `f` at `pos` (or where a write
/// without a position goes): how many bytes may be written (EFBIG and SIGXFSZ
/// when none may). Only regular files are limited. Asked once per call, before
/// the data moves in chunks, so that a write cut at the limit raises nothing.
pub(crate) fn write_budget(
    t: &Task,
    f: &OpenFile,
    pos: Option<u64>,
    count: u64,
) -> Result<u64, Errno> {
    if count == 0 || t.limit(l::RLIMIT_FSIZE) == sentry::task::RLIM_INFINITY {
        return Ok(count);
    }
    if f.ops.stat()?.mode & libc::S_IFMT != libc::S_IFREG {
        return Ok(count);
    }
    let start = match pos {
        Some(p) => p,
        None if *f.flags.lock() & l::O_APPEND != 0 => f.ops.size()?,
        None => *f.offset.lock(),
    };
    t.file_size_limit_write(start, count)
}

thread_local! {
    /// Each task thread's staging buffer for moving data between files and
    /// application memory (a fresh megabyte per call would be mapped and
    /// unmapped by the allocator every time).
    static IO_BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The thread's staging buffer, at least `len` bytes long, given back on drop.
struct IoBuffer(Vec<u8>);

fn io_buffer(len: usize) -> IoBuffer {
    let mut buf = IO_BUFFER.with(|b| b.take());
    if buf.len() < len {
        buf.resize(len, 0);
    }
    buf.truncate(len);
    IoBuffer(buf)
}

impl Drop for IoBuffer {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.0);
        IO_BUFFER.with(|b| b.set(buf));
    }
}

/// Reads up to `count` bytes into `addr`: at `pos`, or at the file offset (advanced)
/// when `pos` is `None`.
fn do_read(t: &Task, f: &OpenFile, addr: u64, count: usize, pos: Option<u64>) -> SysResult {
    t.mm.access_ok(addr, count as u64)?;
    let count = count.min(MAX_RW_COUNT);
    if count == 0 {
        return Ok(0);
    }
    let seekable = f.ops.seekable();
    if let (Some(fd), true) = (f.ops.host_fd(), seekable) {
        // Straight from the host file into the application's pages.
        let start = pos.unwrap_or_else(|| *f.offset.lock());
        let mut offset = start;
        let direct = t.mm.fill_user(addr, count, |memfile, moff, len, _| {
            let n = memfile.pread_into(moff, len, fd, offset)?;
            offset += n as u64;
            Ok(n)
        });
        match direct {
            Ok(n) => {
                if pos.is_none() {
                    *f.offset.lock() = start + n as u64;
                }
                if n > 0 {
                    sentry::notify::accessed(f);
                }
                return Ok(n as u64);
            }
            // A bad buffer: the staging path below tells EOF (0) from EFAULT.
            Err(Errno::EFAULT) => {}
            Err(e) => return Err(e),
        }
    }
    let mut offset = match pos {
        Some(p) => p,
        None if seekable => *f.offset.lock(),
        None => 0,
    };
    let mut done = 0;
    let mut guard = io_buffer(count.min(CHUNK));
    let buf = &mut guard.0;
    while done < count {
        let want = (count - done).min(buf.len());
        let n = match read_once(t, f, offset, &mut buf[..want]) {
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
    if done > 0 {
        sentry::notify::accessed(f);
    }
    Ok(done as u64)
}

/// One read of `f` at `offset` (ignored by streams), waiting as the
/// description says; terminals have their own rules (job control, VMIN/VTIME).
fn read_once(t: &Task, f: &OpenFile, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    if let Some(tty) = f.ops.terminal() {
        return crate::tty::read(t, f, &tty, buf);
    }
    let flags = *f.flags.lock();
    io_wait(t, f, READABLE, || f.ops.read_flags(offset, buf, flags))
}

/// Reads into a sentry buffer: at `pos`, or at the file offset (advanced) when
/// `pos` is `None`. One read (streams may return less).
pub(crate) fn read_file(
    t: &Task,
    f: &OpenFile,
    buf: &mut [u8],
    pos: Option<u64>,
) -> Result<usize, Errno> {
    if !f.readable() {
        return Err(Errno::EBADF);
    }
    let seekable = f.ops.seekable();
    let offset = match pos {
        Some(p) => p,
        None if seekable => *f.offset.lock(),
        None => 0,
    };
    let n = read_once(t, f, offset, buf)?;
    if n > 0 {
        sentry::notify::accessed(f);
    }
    if pos.is_none() && seekable {
        *f.offset.lock() = offset + n as u64;
    }
    Ok(n)
}

/// Writes `count` bytes from `addr`, moving them through the sentry in chunks.
fn write_from(t: &Task, f: &OpenFile, addr: u64, count: usize, pos: Option<u64>) -> SysResult {
    t.mm.access_ok(addr, count as u64)?;
    let count = count.min(MAX_RW_COUNT);
    let mut done = 0usize;
    let mut guard = io_buffer(count.min(CHUNK));
    let buf = &mut guard.0;
    while done < count {
        let len = (count - done).min(buf.len());
        if let Err(e) = t.mm.copy_in(addr + done as u64, &mut buf[..len]) {
            return if done == 0 { Err(e) } else { Ok(done as u64) };
        }
        let n = match do_write(t, f, &buf[..len], pos.map(|p| p + done as u64)) {
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

pub(crate) fn do_write(t: &Task, f: &OpenFile, data: &[u8], pos: Option<u64>) -> SysResult {
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
    if let Some(tty) = f.ops.terminal() {
        crate::tty::check_write(t, &tty)?;
    }
    let flags = *f.flags.lock();
    // A blocking write to a stream goes on until all is written; a signal
    // ends it early (with what was written, or EINTR).
    let fully = writes_fully(f);
    let mut n = 0;
    while n < data.len() {
        match io_wait(t, f, WRITABLE, || {
            f.ops.write_flags(offset, &data[n..], flags)
        }) {
            Ok(w) => n += w,
            Err(Errno::EPIPE) if n == 0 => {
                // Writing where nobody reads also raises SIGPIPE.
                crate::signal::raise_sigpipe(t);
                return Err(Errno::EPIPE);
            }
            Err(e) if n == 0 => return Err(e),
            Err(_) => break,
        }
        if !fully {
            break;
        }
    }
    if pos.is_none() && seekable {
        *f.offset.lock() = offset + n as u64;
    }
    if n > 0 {
        sentry::notify::modified(f);
    }
    Ok(n as u64)
}

fn read(t: &mut Task, a: &Args) -> SysResult {
    let f = readable_file(t, a.i32(0))?;
    access_ok(a.ptr(1), a.u64(2))?;
    if let Some(pos) = current_pos(&f) {
        verify_area(pos, a.u64(2))?;
    }
    do_read(t, &f, a.ptr(1), a.usize(2), None)
}

fn write(t: &mut Task, a: &Args) -> SysResult {
    let f = writable_file(t, a.i32(0))?;
    if a.usize(2) == 0 {
        t.mm.access_ok(a.ptr(1), 0)?;
        return Ok(0);
    }
    access_ok(a.ptr(1), a.u64(2))?;
    if let Some(pos) = current_pos(&f) {
        verify_area(pos, a.u64(2))?;
    }
    let count = write_budget(t, &f, None, a.u64(2))?;
    write_from(t, &f, a.ptr(1), count as usize, None)
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
    access_ok(a.ptr(1), a.u64(2))?;
    verify_area(pos, a.u64(2))?;
    do_read(t, &f, a.ptr(1), a.usize(2), Some(pos))
}

fn pwrite64(t: &mut Task, a: &Args) -> SysResult {
    let (f, pos) = positioned(t, a, true)?;
    access_ok(a.ptr(1), a.u64(2))?;
    verify_area(pos, a.u64(2))?;
    let count = write_budget(t, &f, Some(pos), a.u64(2))?;
    write_from(t, &f, a.ptr(1), count as usize, Some(pos))
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
    for iov in &iovs {
        t.mm.access_ok(iov.base, iov.len)?;
    }
    Ok(iovs)
}

fn readv(t: &mut Task, a: &Args) -> SysResult {
    vectored(t, a, false, -1, 0)
}

fn writev(t: &mut Task, a: &Args) -> SysResult {
    vectored(t, a, true, -1, 0)
}

/// Writes the first `budget` bytes of `iovs` in one piece (small writes: a
/// pipe sees them whole, as on Linux).
fn write_gathered(
    t: &Task,
    f: &OpenFile,
    iovs: &[Iovec],
    budget: u64,
    pos: Option<u64>,
) -> SysResult {
    let mut data = vec![0u8; budget as usize];
    let mut at = 0;
    for iov in iovs {
        let len = (iov.len as usize).min(data.len() - at);
        t.mm.copy_in(iov.base, &mut data[at..at + len])?;
        at += len;
    }
    do_write(t, f, &data, pos)
}

fn close(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.remove(a.i32(0))?;
    crate::locks::on_close(t, &f);
    Ok(0)
}

fn lseek(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.get(a.i32(0))?;
    if !f.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    let off = a.i64(1);
    let mut cur = f.offset.lock();
    let whence = a.u32(2);
    if whence == l::SEEK_DATA || whence == l::SEEK_HOLE {
        let off = u64::try_from(off).map_err(|_| Errno::ENXIO)?;
        let new = if whence == l::SEEK_DATA {
            f.ops.seek_data(off)?
        } else {
            f.ops.seek_hole(off)?
        };
        *cur = new;
        return Ok(new);
    }
    let base = match whence {
        w if w == l::SEEK_SET => 0,
        w if w == l::SEEK_CUR => *cur as i64,
        w if w == l::SEEK_END => f.ops.size()? as i64,
        _ => return Err(Errno::EINVAL),
    };
    // Linux adds in loff_t and refuses a result that wrapped negative; the
    // maximum is tmpfs's (and the sentry's files'): i64::MAX.
    let new = base.wrapping_add(off);
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

fn ioctl(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.get(a.i32(0))?;
    let request = a.u32(1);
    match request {
        r if r == abi::ioctl::FIOCLEX || r == abi::ioctl::FIONCLEX => {
            return t
                .fds
                .set_cloexec(a.i32(0), r == abi::ioctl::FIOCLEX)
                .map(|_| 0);
        }
        r if r == abi::ioctl::FIONBIO => {
            let on: i32 = t.mm.read_obj(a.ptr(2))?;
            let mut flags = f.flags.lock();
            *flags = if on != 0 {
                *flags | l::O_NONBLOCK
            } else {
                *flags & !l::O_NONBLOCK
            };
            return Ok(0);
        }
        _ => {}
    }
    if let Some(tty) = f.ops.terminal() {
        return crate::tty::ioctl(t, &f, tty, request, a.u64(2));
    }
    if let (true, Some(pipe)) = (request == abi::ioctl::FIONREAD, f.ops.pipe()) {
        let n = pipe.available() as i32;
        return t.mm.write_obj(a.ptr(2), &n).map(|_| 0);
    }
    // The argument sizes of the requests files answer: struct termios, struct winsize.
    let size = match request {
        r if r == abi::ioctl::TCGETS => 36,
        r if r == abi::ioctl::TIOCGWINSZ => 8,
        r if r == abi::ioctl::FIONREAD => 4,
        _ => return Err(Errno::ENOTTY),
    };
    let mut buf = vec![0u8; size];
    let ret = f.ops.ioctl(request, &mut buf)?;
    t.mm.copy_out(a.ptr(2), &buf)?;
    Ok(ret)
}

fn ftruncate(t: &mut Task, a: &Args) -> SysResult {
    let len = a.i64(1);
    let f = t.fds.get(a.i32(0))?;
    // Linux: not open for writing, or not a regular file, is EINVAL.
    if len < 0 || !f.writable() || f.ops.stat()?.mode & libc::S_IFMT != libc::S_IFREG {
        return Err(Errno::EINVAL);
    }
    if f.path.as_ref().is_some_and(|p| p.mount().readonly) {
        return Err(Errno::EROFS);
    }
    t.file_size_limit_grow(f.ops.size()?, len as u64)?;
    match &f.path {
        Some(path) => sentry::notify::setattr(
            path,
            &SetAttr {
                size: Some(len as u64),
                ..Default::default()
            },
        )
        .map(|_| 0),
        None => f.ops.set_size(len as u64).map(|_| 0),
    }
}

fn fchmod(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.get(a.i32(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    let path = f.path.clone().ok_or(Errno::EPERM)?;
    let st = path.inode().stat()?;
    if !sentry::vfs::perm::owner_or_capable(&t.creds(), st.uid) {
        return Err(Errno::EPERM);
    }
    if path.mount().readonly {
        return Err(Errno::EROFS);
    }
    sentry::notify::setattr(
        &path,
        &SetAttr {
            mode: Some(a.u32(1) & 0o7777),
            ..Default::default()
        },
    )
    .map(|_| 0)
}

fn umask(t: &mut Task, a: &Args) -> SysResult {
    Ok(t.process.fs.swap_umask(a.u32(0) & 0o777) as u64)
}

/// `struct linux_dirent64` header size (d_ino, d_off, d_reclen, d_type).
const DIRENT64_HEADER: usize = 19;

fn getdents64(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.get(a.i32(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    let dir = f.path.clone().ok_or(Errno::ENOTDIR)?;
    let entries = dir.inode().readdir_positions()?;
    let count = a.usize(2);
    let mut offset = f.offset.lock();
    let mut out = Vec::new();
    let start = *offset;
    for (pos, e) in entries.iter().filter(|(pos, _)| *pos >= start) {
        let reclen = (DIRENT64_HEADER + e.name.len() + 1).next_multiple_of(8);
        if out.len() + reclen > count {
            if out.is_empty() {
                return Err(Errno::EINVAL);
            }
            break;
        }
        out.extend_from_slice(&e.ino.to_le_bytes());
        out.extend_from_slice(&((pos + 1) as i64).to_le_bytes());
        out.extend_from_slice(&(reclen as u16).to_le_bytes());
        out.push(e.kind);
        out.extend_from_slice(&e.name);
        out.resize(out.len() + reclen - DIRENT64_HEADER - e.name.len(), 0);
        *offset = pos + 1;
    }
    drop(offset);
    sentry::notify::accessed(&f);
    t.mm.copy_out(a.ptr(1), &out)?;
    Ok(out.len() as u64)
}

/// Positional vectored I/O: `pos` of -1 (the `*v2` calls) means the file offset.
fn vectored(t: &mut Task, a: &Args, write: bool, pos: i64, rwf: u32) -> SysResult {
    // HIPRI, DSYNC, SYNC, NOWAIT, APPEND, NOAPPEND, ATOMIC, DONTCACHE, NOSIGNAL.
    const RWF_KNOWN: u32 = 0x1ff;
    const RWF_APPEND: u32 = 0x10;
    if rwf & !RWF_KNOWN != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let f = t.fds.get(a.i32(0))?;
    let pos = if pos == -1 {
        None
    } else if pos < 0 {
        return Err(Errno::EINVAL);
    } else if !f.ops.seekable() {
        return Err(Errno::ESPIPE);
    } else {
        Some(pos as u64)
    };
    if (write && !f.writable()) || (!write && !f.readable()) {
        return Err(Errno::EBADF);
    }
    let pos = if write && rwf & RWF_APPEND != 0 {
        Some(f.ops.size()?)
    } else {
        pos
    };
    let iovs = read_iovecs(t, a.ptr(1), a.i32(2))?;
    let total: u64 = iovs.iter().map(|i| i.len).sum();
    if let Some(at) = pos.or_else(|| current_pos(&f)) {
        verify_area(at, total)?;
    }
    let budget = if write {
        write_budget(t, &f, pos, total)?
    } else {
        total
    };
    if write && budget <= CHUNK as u64 {
        return write_gathered(t, &f, &iovs, budget, pos);
    }
    let mut done = 0u64;
    for iov in iovs.iter().filter(|i| i.len > 0) {
        let at = pos.map(|p| p + done);
        let len = iov.len.min(budget - done);
        if len == 0 {
            break;
        }
        let r = if write {
            write_from(t, &f, iov.base, len as usize, at)
        } else {
            do_read(t, &f, iov.base, len as usize, at)
        };
        let n = match r {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += n;
        // A stream hands over what it has: reads stop after one buffer there.
        if n < len || (!write && !f.ops.seekable()) {
            break;
        }
    }
    Ok(done)
}

fn preadv(t: &mut Task, a: &Args) -> SysResult {
    let pos = a.i64(3);
    if pos < 0 {
        return Err(Errno::EINVAL);
    }
    vectored(t, a, false, pos, 0)
}

fn pwritev(t: &mut Task, a: &Args) -> SysResult {
    let pos = a.i64(3);
    if pos < 0 {
        return Err(Errno::EINVAL);
    }
    vectored(t, a, true, pos, 0)
}

fn preadv2(t: &mut Task, a: &Args) -> SysResult {
    vectored(t, a, false, a.i64(3), a.u32(5))
}

fn pwritev2(t: &mut Task, a: &Args) -> SysResult {
    vectored(t, a, true, a.i64(3), a.u32(5))
}

fn fsync(t: &mut Task, a: &Args) -> SysResult {
    t.fds.get(a.i32(0))?.ops.fsync().map(|_| 0)
}

/// Data of the sandbox's filesystems goes to the host with each write (gofer
/// files) or lives in memory: there is nothing more to flush.
fn sync(_: &mut Task, _: &Args) -> SysResult {
    Ok(0)
}

fn syncfs(t: &mut Task, a: &Args) -> SysResult {
    t.fds.get(a.i32(0)).map(|_| 0)
}

fn fallocate(t: &mut Task, a: &Args) -> SysResult {
    let (mode, offset, len) = (a.u32(1), a.i64(2), a.i64(3));
    let f = t.fds.get(a.i32(0))?;
    if offset < 0 || len <= 0 {
        return Err(Errno::EINVAL);
    }
    if !f.writable() {
        return Err(Errno::EBADF);
    }
    let kind = f.ops.stat()?.mode & libc::S_IFMT;
    if kind == libc::S_IFDIR {
        return Err(Errno::EISDIR);
    }
    if kind != libc::S_IFREG {
        return Err(if kind == libc::S_IFIFO {
            Errno::ESPIPE
        } else {
            Errno::ENODEV
        });
    }
    // Linux's vfs_fallocate: a range that wraps past 2^63 is too big.
    let end = offset.checked_add(len).ok_or(Errno::EFBIG)?;
    if f.path.as_ref().is_some_and(|p| p.mount().readonly) {
        return Err(Errno::EROFS);
    }
    if mode & l::FALLOC_FL_KEEP_SIZE == 0 {
        t.file_size_limit_grow(f.ops.size()?, end as u64)?;
    }
    f.ops
        .fallocate(mode, offset as u64, len as u64)
        .inspect(|_| sentry::notify::modified(&f))
        .map(|_| 0)
}
