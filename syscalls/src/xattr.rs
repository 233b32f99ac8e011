//! Extended attributes: get/set/list/remove, by path (following links or not) or
//! by descriptor.

use abi::linux as l;
use sentry::Errno;
use sentry::task::Task;
use sentry::vfs::VfsPath;
use sentry::vfs::perm::{MAY_READ, MAY_WRITE, may_access};

use crate::args::{Args, Handler, SysResult};
use crate::path::resolve_at;
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const NOTE: &str = "tmpfs keeps user/trusted/security xattrs; files of the root and bind mounts have user.* only; no ACLs";
    vec![
        (l::__NR_getxattr, Some(getxattr), Partial(NOTE)),
        (l::__NR_lgetxattr, Some(lgetxattr), Partial(NOTE)),
        (l::__NR_fgetxattr, Some(fgetxattr), Partial(NOTE)),
        (l::__NR_setxattr, Some(setxattr), Partial(NOTE)),
        (l::__NR_lsetxattr, Some(lsetxattr), Partial(NOTE)),
        (l::__NR_fsetxattr, Some(fsetxattr), Partial(NOTE)),
        (l::__NR_listxattr, Some(listxattr), Partial(NOTE)),
        (l::__NR_llistxattr, Some(llistxattr), Partial(NOTE)),
        (l::__NR_flistxattr, Some(flistxattr), Partial(NOTE)),
        (l::__NR_removexattr, Some(removexattr), Partial(NOTE)),
        (l::__NR_lremovexattr, Some(lremovexattr), Partial(NOTE)),
        (l::__NR_fremovexattr, Some(fremovexattr), Partial(NOTE)),
    ]
}

/// Linux's XATTR_NAME_MAX and XATTR_SIZE_MAX.
const NAME_MAX: usize = 255;
const SIZE_MAX: usize = 65536;

/// The target: by path (following a final link when `follow`) or by descriptor.
enum Target {
    Path(bool),
    Fd,
}

fn target(t: &Task, a: &Args, how: Target) -> Result<VfsPath, Errno> {
    match how {
        Target::Fd => {
            let f = t.fds.get(a.i32(0))?;
            if f.is_path_only() {
                return Err(Errno::EBADF);
            }
            f.path.clone().ok_or(Errno::EOPNOTSUPP)
        }
        Target::Path(follow) => {
            let path = crate::path::read_path(t, a.ptr(0))?;
            resolve_at(t, l::AT_FDCWD, &path, follow)
        }
    }
}

fn read_name(t: &Task, addr: u64) -> Result<Vec<u8>, Errno> {
    match t.mm.read_cstring(addr, NAME_MAX) {
        Ok(n) if n.is_empty() => Err(Errno::ERANGE),
        Err(Errno::ENAMETOOLONG) => Err(Errno::ERANGE),
        r => r,
    }
}

/// Copies `data` out as getxattr/listxattr do: size 0 asks for the length.
fn answer(t: &Task, buf: u64, size: usize, data: &[u8]) -> SysResult {
    if size == 0 {
        return Ok(data.len() as u64);
    }
    if size < data.len() {
        return Err(Errno::ERANGE);
    }
    t.mm.copy_out(buf, data)?;
    Ok(data.len() as u64)
}

fn do_get(t: &mut Task, a: &Args, how: Target) -> SysResult {
    let p = target(t, a, how)?;
    let name = read_name(t, a.ptr(1))?;
    if name.starts_with(b"user.") && !may_access(&t.creds(), &p.inode().stat()?, MAY_READ) {
        return Err(Errno::EACCES);
    }
    let value = p.inode().getxattr(&name)?;
    answer(t, a.ptr(2), a.usize(3), &value)
}

fn do_set(t: &mut Task, a: &Args, how: Target) -> SysResult {
    let flags = a.u32(4);
    if flags & !3 != 0 {
        return Err(Errno::EINVAL);
    }
    let p = target(t, a, how)?;
    let name = read_name(t, a.ptr(1))?;
    let size = a.usize(3);
    if size > SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    let mut value = vec![0u8; size];
    t.mm.copy_in(a.ptr(2), &mut value)?;
    let st = p.inode().stat()?;
    let creds = t.creds();
    if name.starts_with(b"user.") && !may_access(&creds, &st, MAY_WRITE) {
        return Err(Errno::EACCES);
    }
    if (name.starts_with(b"trusted.") || name.starts_with(b"security."))
        && !creds.has_cap(abi::linux::CAP_SYS_ADMIN)
    {
        return Err(Errno::EPERM);
    }
    if p.mount().readonly {
        return Err(Errno::EROFS);
    }
    p.inode().setxattr(&name, &value, flags)?;
    sentry::notify::xattr_changed(&p);
    Ok(0)
}

fn do_list(t: &mut Task, a: &Args, how: Target) -> SysResult {
    let p = target(t, a, how)?;
    let creds = t.creds();
    let mut out = Vec::new();
    for name in p.inode().listxattr()? {
        // trusted.* is listed only to those who may read it.
        if name.starts_with(b"trusted.") && !creds.has_cap(abi::linux::CAP_SYS_ADMIN) {
            continue;
        }
        out.extend_from_slice(&name);
        out.push(0);
    }
    answer(t, a.ptr(1), a.usize(2), &out)
}

fn do_remove(t: &mut Task, a: &Args, how: Target) -> SysResult {
    let p = target(t, a, how)?;
    let name = read_name(t, a.ptr(1))?;
    if name.starts_with(b"user.") && !may_access(&t.creds(), &p.inode().stat()?, MAY_WRITE) {
        return Err(Errno::EACCES);
    }
    if p.mount().readonly {
        return Err(Errno::EROFS);
    }
    p.inode().removexattr(&name)?;
    sentry::notify::xattr_changed(&p);
    Ok(0)
}

fn getxattr(t: &mut Task, a: &Args) -> SysResult {
    do_get(t, a, Target::Path(true))
}
fn lgetxattr(t: &mut Task, a: &Args) -> SysResult {
    do_get(t, a, Target::Path(false))
}
fn fgetxattr(t: &mut Task, a: &Args) -> SysResult {
    do_get(t, a, Target::Fd)
}
fn setxattr(t: &mut Task, a: &Args) -> SysResult {
    do_set(t, a, Target::Path(true))
}
fn lsetxattr(t: &mut Task, a: &Args) -> SysResult {
    do_set(t, a, Target::Path(false))
}
fn fsetxattr(t: &mut Task, a: &Args) -> SysResult {
    do_set(t, a, Target::Fd)
}
fn listxattr(t: &mut Task, a: &Args) -> SysResult {
    do_list(t, a, Target::Path(true))
}
fn llistxattr(t: &mut Task, a: &Args) -> SysResult {
    do_list(t, a, Target::Path(false))
}
fn flistxattr(t: &mut Task, a: &Args) -> SysResult {
    do_list(t, a, Target::Fd)
}
fn removexattr(t: &mut Task, a: &Args) -> SysResult {
    do_remove(t, a, Target::Path(true))
}
fn lremovexattr(t: &mut Task, a: &Args) -> SysResult {
    do_remove(t, a, Target::Path(false))
}
fn fremovexattr(t: &mut Task, a: &Args) -> SysResult {
    do_remove(t, a, Target::Fd)
}
