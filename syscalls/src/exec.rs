//! execve and execveat.

use abi::linux as l;
use sentry::Errno;
use sentry::task::Task;

use crate::args::{Args, Handler, SysResult};
use crate::path::{read_path, resolve_at};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const NOTE: &str = "set-user-ID and set-group-ID bits are not honoured";
    vec![
        (l::__NR_execve, Some(execve), Partial(NOTE)),
        (l::__NR_execveat, Some(execveat), Partial(NOTE)),
    ]
}

/// Linux's limits on the strings passed: MAX_ARG_STRINGS, and the total size
/// (a quarter of the default 8 MiB stack limit).
const MAX_ARG_STRINGS: usize = 0x7fff_ffff;
const MAX_ARG_BYTES: usize = 2 << 20;
/// MAX_ARG_STRLEN: one string may be at most 32 pages.
const MAX_ARG_STRLEN: usize = 32 * 4096;

/// Reads a NULL-terminated array of string pointers (argv or envp).
fn read_strings(t: &Task, addr: u64, total: &mut usize) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    loop {
        let at = addr
            .checked_add(out.len() as u64 * 8)
            .ok_or(Errno::EFAULT)?;
        let ptr: u64 = t.mm.read_obj(at)?;
        if ptr == 0 {
            return Ok(out);
        }
        if out.len() >= MAX_ARG_STRINGS {
            return Err(Errno::E2BIG);
        }
        let s = t.mm.read_cstring(ptr, MAX_ARG_STRLEN).map_err(|e| {
            if e == Errno::ENAMETOOLONG {
                Errno::E2BIG
            } else {
                e
            }
        })?;
        *total += s.len() + 1 + 8;
        if *total > MAX_ARG_BYTES {
            return Err(Errno::E2BIG);
        }
        out.push(s);
    }
}

fn execve(t: &mut Task, a: &Args) -> SysResult {
    do_execveat(t, l::AT_FDCWD, a.ptr(0), a.ptr(1), a.ptr(2), 0)
}

fn execveat(t: &mut Task, a: &Args) -> SysResult {
    do_execveat(t, a.i32(0), a.ptr(1), a.ptr(2), a.ptr(3), a.u32(4))
}

fn do_execveat(
    t: &mut Task,
    dirfd: i32,
    path_addr: u64,
    argv_addr: u64,
    envp_addr: u64,
    flags: u32,
) -> SysResult {
    if flags & !(l::AT_EMPTY_PATH | l::AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(t, path_addr)?;
    let mut total = 0;
    let argv = read_strings(t, argv_addr, &mut total)?;
    let envp = read_strings(t, envp_addr, &mut total)?;
    let (dir, name) = if path.is_empty() {
        if flags & l::AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        // The descriptor's own file, by the path it was opened with.
        let file = t.fds.get(dirfd)?.path.clone().ok_or(Errno::EBADF)?;
        (t.cwd(), file.to_bytes_within(&t.process.fs.root()))
    } else {
        if flags & l::AT_SYMLINK_NOFOLLOW != 0
            && resolve_at(t, dirfd, &path, false)?.inode().mode() & libc::S_IFMT == libc::S_IFLNK
        {
            return Err(Errno::ELOOP);
        }
        let dir = if path.first() == Some(&b'/') || dirfd == l::AT_FDCWD {
            t.cwd()
        } else {
            let f = t.fds.get(dirfd)?;
            match &f.path {
                Some(p) if p.is_dir() => p.clone(),
                _ => return Err(Errno::ENOTDIR),
            }
        };
        (dir, path)
    };
    let name = String::from_utf8_lossy(&name).into_owned();
    t.execve(&dir, &name, argv, envp)?;
    Ok(0)
}
