//! Descriptor-table syscalls: dup, dup2, dup3 and the descriptor-level fcntl commands.

use abi::linux as l;
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::fsimpl::pipe::Pipe;
use sentry::task::Task;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (l::__NR_pipe, Some(pipe), Full),
        (
            l::__NR_pipe2,
            Some(pipe2),
            Partial("O_DIRECT (packet mode) is EINVAL"),
        ),
        (l::__NR_dup, Some(dup), Full),
        (l::__NR_close_range, Some(close_range), Full),
        (
            l::__NR_memfd_create,
            Some(memfd_create),
            Partial("MFD_HUGETLB is EINVAL; seals are not supported (F_ADD_SEALS is EINVAL)"),
        ),
        (l::__NR_dup2, Some(dup2), Full),
        (l::__NR_dup3, Some(dup3), Full),
        (
            l::__NR_fcntl,
            Some(fcntl),
            Partial(
                "DUPFD, DUPFD_CLOEXEC, GETFD, SETFD, GETFL, SETFL, GETPIPE_SZ, SETPIPE_SZ, record and OFD locks; leases, owners, signals and seals are EINVAL",
            ),
        ),
    ]
}

fn nofile(t: &Task) -> u64 {
    t.limit(l::RLIMIT_NOFILE)
}

fn dup(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.get(a.i32(0))?;
    let limit = nofile(t);
    Ok(t.fds.install(f, false, 0, limit)? as u64)
}

fn dup_to(t: &mut Task, old: i32, new: i32, cloexec: bool) -> SysResult {
    let f = t.fds.get(old)?;
    if new < 0 || new as u64 >= nofile(t) {
        return Err(Errno::EBADF);
    }
    t.fds.install_at(new, f, cloexec);
    Ok(new as u64)
}

fn dup2(t: &mut Task, a: &Args) -> SysResult {
    let (old, new) = (a.i32(0), a.i32(1));
    if old == new {
        // dup2 to itself only checks that the descriptor is open.
        return t.fds.get(old).map(|_| new as u64);
    }
    dup_to(t, old, new, false)
}

fn dup3(t: &mut Task, a: &Args) -> SysResult {
    let (old, new, flags) = (a.i32(0), a.i32(1), a.u32(2));
    if flags & !l::O_CLOEXEC != 0 || old == new {
        return Err(Errno::EINVAL);
    }
    dup_to(t, old, new, flags & l::O_CLOEXEC != 0)
}

/// Status flags F_SETFL may change (the access mode and creation flags stay).
const SETFL_MASK: u32 = l::O_APPEND | l::O_NONBLOCK | l::FASYNC | l::O_DIRECT | l::O_NOATIME;

fn fcntl(t: &mut Task, a: &Args) -> SysResult {
    let fd = a.i32(0);
    let f = t.fds.get(fd)?;
    match a.u32(1) {
        c @ (l::F_DUPFD | l::F_DUPFD_CLOEXEC) => {
            let min = a.i32(2);
            let limit = nofile(t);
            if min < 0 || min as u64 >= limit {
                return Err(Errno::EINVAL);
            }
            Ok(t.fds.install(f, c == l::F_DUPFD_CLOEXEC, min, limit)? as u64)
        }
        l::F_GETFD => Ok(t.fds.cloexec(fd)? as u64),
        l::F_SETFD => t
            .fds
            .set_cloexec(fd, a.u64(2) & l::FD_CLOEXEC as u64 != 0)
            .map(|_| 0),
        l::F_GETFL => Ok(*f.flags.lock() as u64),
        l::F_SETFL => {
            let mut flags = f.flags.lock();
            *flags = (*flags & !SETFL_MASK) | (a.u32(2) & SETFL_MASK);
            Ok(0)
        }
        l::F_GETPIPE_SZ => f
            .ops
            .pipe()
            .map(|p| p.capacity() as u64)
            .ok_or(Errno::EBADF),
        l::F_SETPIPE_SZ => {
            let pipe = f.ops.pipe().ok_or(Errno::EBADF)?;
            pipe.set_capacity(a.u32(2) as usize).map(|c| c as u64)
        }
        c @ (l::F_GETLK
        | l::F_SETLK
        | l::F_SETLKW
        | crate::locks::F_OFD_GETLK
        | crate::locks::F_OFD_SETLK
        | crate::locks::F_OFD_SETLKW) => {
            if f.is_path_only() {
                return Err(Errno::EBADF);
            }
            crate::locks::fcntl_lock(t, &f, c, a.ptr(2))
        }
        _ => Err(Errno::EINVAL),
    }
}

fn do_pipe(t: &mut Task, fds_addr: u64, flags: u32) -> SysResult {
    if flags & !(l::O_CLOEXEC | l::O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let (read_end, write_end) = Pipe::new_pair();
    let status = flags & l::O_NONBLOCK;
    let cloexec = flags & l::O_CLOEXEC != 0;
    let limit = nofile(t);
    let r = t.fds.install(
        OpenFile::new(read_end, l::O_RDONLY | status),
        cloexec,
        0,
        limit,
    )?;
    let w = match t.fds.install(
        OpenFile::new(write_end, l::O_WRONLY | status),
        cloexec,
        0,
        limit,
    ) {
        Ok(w) => w,
        Err(e) => {
            let _ = t.fds.remove(r);
            return Err(e);
        }
    };
    if let Err(e) = t.mm.write_obj(fds_addr, &[r, w]) {
        let _ = t.fds.remove(r);
        let _ = t.fds.remove(w);
        return Err(e);
    }
    Ok(0)
}

fn pipe(t: &mut Task, a: &Args) -> SysResult {
    do_pipe(t, a.ptr(0), 0)
}

fn pipe2(t: &mut Task, a: &Args) -> SysResult {
    do_pipe(t, a.ptr(0), a.u32(1))
}

fn close_range(t: &mut Task, a: &Args) -> SysResult {
    const UNSHARE: u32 = 2;
    const CLOEXEC: u32 = 4;
    let (first, last, flags) = (a.u32(0), a.u32(1), a.u32(2));
    if flags & !(UNSHARE | CLOEXEC) != 0 || first > last {
        return Err(Errno::EINVAL);
    }
    // The table is never shared between processes yet, so UNSHARE has nothing to do.
    let (first, last) = (
        first.min(i32::MAX as u32) as i32,
        last.min(i32::MAX as u32) as i32,
    );
    for fd in t.fds.in_range(first, last) {
        if flags & CLOEXEC != 0 {
            t.fds.set_cloexec(fd, true)?;
        } else {
            t.fds.remove(fd)?;
        }
    }
    Ok(0)
}

fn memfd_create(t: &mut Task, a: &Args) -> SysResult {
    const CLOEXEC: u32 = 1;
    const ALLOW_SEALING: u32 = 2;
    const NOEXEC_SEAL: u32 = 8;
    const EXEC: u32 = 0x10;
    let flags = a.u32(1);
    if flags & !(CLOEXEC | ALLOW_SEALING | NOEXEC_SEAL | EXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    // Names are at most 249 bytes ("memfd:" + name fits NAME_MAX); the name is
    // only checked: /proc does not show memfd names yet.
    match t.mm.read_cstring(a.ptr(0), 249) {
        Err(Errno::ENAMETOOLONG) => return Err(Errno::EINVAL),
        r => r?,
    };
    let ops = sentry::fsimpl::tmpfs::Tmpfs::anonymous_file(&t.creds());
    let file = OpenFile::new(ops, l::O_RDWR);
    let limit = nofile(t);
    Ok(t.fds.install(file, flags & CLOEXEC != 0, 0, limit)? as u64)
}
