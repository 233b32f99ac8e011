//! Path syscalls, on the VFS: open/creat, stat, access, mkdir, unlink, rmdir,
//! rename, link, symlink, readlink, chdir/getcwd, chmod, truncate.

use std::sync::Arc;

use abi::linux as l;
use abi::types::Stat;
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::fs::path_only::PathOnly;
use sentry::task::Task;
use sentry::vfs::inode::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};
use sentry::vfs::perm::{MAY_EXEC, MAY_READ, MAY_WRITE, may_access, owner_or_capable};
use sentry::vfs::write_access::get_write_access;
use sentry::vfs::{ParentAndName, ResolveLimits, SetAttr, VfsPath};

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

const RO_ROOT: &str =
    "the root is read-only until the gofer serves it (EROFS); tmpfs mounts are writable";

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (l::__NR_open, Some(open), Partial(RO_ROOT)),
        (l::__NR_openat, Some(openat), Partial(RO_ROOT)),
        (l::__NR_creat, Some(creat), Partial(RO_ROOT)),
        (
            l::__NR_openat2,
            Some(openat2),
            Partial(
                "RESOLVE_NO_MAGICLINKS has nothing to refuse (no magic links yet); RESOLVE_CACHED resolves normally",
            ),
        ),
        (l::__NR_stat, Some(stat), Full),
        (l::__NR_lstat, Some(lstat), Full),
        (l::__NR_newfstatat, Some(newfstatat), Full),
        (l::__NR_access, Some(access), Full),
        (l::__NR_faccessat, Some(faccessat), Full),
        (l::__NR_faccessat2, Some(faccessat2), Full),
        (l::__NR_mkdir, Some(mkdir), Partial(RO_ROOT)),
        (l::__NR_mkdirat, Some(mkdirat), Partial(RO_ROOT)),
        (l::__NR_unlink, Some(unlink), Partial(RO_ROOT)),
        (l::__NR_unlinkat, Some(unlinkat), Partial(RO_ROOT)),
        (l::__NR_rmdir, Some(rmdir), Partial(RO_ROOT)),
        (l::__NR_rename, Some(rename), Partial(RO_ROOT)),
        (l::__NR_renameat, Some(renameat), Partial(RO_ROOT)),
        (
            l::__NR_renameat2,
            Some(renameat2),
            Partial("RENAME_WHITEOUT is EINVAL; the root is read-only until the gofer"),
        ),
        (l::__NR_link, Some(link), Partial(RO_ROOT)),
        (l::__NR_linkat, Some(linkat), Partial(RO_ROOT)),
        (l::__NR_symlink, Some(symlink), Partial(RO_ROOT)),
        (l::__NR_symlinkat, Some(symlinkat), Partial(RO_ROOT)),
        (l::__NR_readlink, Some(readlink), Full),
        (l::__NR_readlinkat, Some(readlinkat), Full),
        (l::__NR_chdir, Some(chdir), Full),
        (l::__NR_chroot, Some(chroot), Full),
        (
            l::__NR_mknod,
            Some(mknod),
            Partial(
                "regular files, FIFOs and sockets; device nodes are EPERM (no CAP_MKNOD in the sandbox)",
            ),
        ),
        (
            l::__NR_mknodat,
            Some(mknodat),
            Partial(
                "regular files, FIFOs and sockets; device nodes are EPERM (no CAP_MKNOD in the sandbox)",
            ),
        ),
        (l::__NR_fchdir, Some(fchdir), Full),
        (l::__NR_getcwd, Some(getcwd), Full),
        (l::__NR_chmod, Some(chmod), Partial(RO_ROOT)),
        (l::__NR_fchmodat, Some(fchmodat), Partial(RO_ROOT)),
        (l::__NR_truncate, Some(truncate), Partial(RO_ROOT)),
    ]
}

const PATH_MAX: usize = 4096;

pub(crate) fn read_path(t: &Task, addr: u64) -> Result<Vec<u8>, Errno> {
    t.mm.read_cstring(addr, PATH_MAX - 1)
}

/// Where a relative path starts: the working directory or `dirfd`'s directory.
fn start_at(t: &Task, dirfd: i32, path: &[u8]) -> Result<VfsPath, Errno> {
    if path.first() == Some(&b'/') || dirfd == l::AT_FDCWD {
        return Ok(t.cwd());
    }
    let f = t.fds.get(dirfd)?;
    match &f.path {
        Some(p) if p.is_dir() => Ok(p.clone()),
        _ => Err(Errno::ENOTDIR),
    }
}

pub(crate) fn resolve_at(
    t: &Task,
    dirfd: i32,
    path: &[u8],
    follow: bool,
) -> Result<VfsPath, Errno> {
    let start = start_at(t, dirfd, path)?;
    t.resolver().resolve(&start, path, follow)
}

/// The location named by (`dirfd`, path at `path_addr`), honouring AT_EMPTY_PATH
/// (the descriptor itself) and AT_SYMLINK_NOFOLLOW.
pub(crate) fn at_path(t: &Task, dirfd: i32, path_addr: u64, flags: u32) -> Result<VfsPath, Errno> {
    let path = read_path(t, path_addr)?;
    if path.is_empty() {
        if flags & l::AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        if dirfd == l::AT_FDCWD {
            return Ok(t.cwd());
        }
        return t.fds.get(dirfd)?.path.clone().ok_or(Errno::EBADF);
    }
    resolve_at(t, dirfd, &path, flags & l::AT_SYMLINK_NOFOLLOW == 0)
}

fn parent_at(t: &Task, dirfd: i32, path: &[u8]) -> Result<ParentAndName, Errno> {
    let start = start_at(t, dirfd, path)?;
    t.resolver().resolve_parent(&start, path)
}

fn check_readonly(p: &VfsPath) -> Result<(), Errno> {
    if p.mount().readonly {
        Err(Errno::EROFS)
    } else {
        Ok(())
    }
}

/// Checks that a new entry may be made in (or removed from) directory `dir`.
fn may_modify_dir(t: &Task, dir: &VfsPath) -> Result<(), Errno> {
    if !may_access(&t.creds(), &dir.inode().stat()?, MAY_WRITE | MAY_EXEC) {
        return Err(Errno::EACCES);
    }
    check_readonly(dir)
}

fn is_dot(name: &[u8]) -> bool {
    name.is_empty() || name == b"." || name == b".."
}

// ---- open

/// How `openat2` restricts the resolution; `open`/`openat` use the default.
#[derive(Clone, Copy, Default)]
struct OpenResolve {
    limits: ResolveLimits,
    /// RESOLVE_IN_ROOT: `dirfd` is the root for this resolution.
    in_root: bool,
}

fn do_open(t: &mut Task, dirfd: i32, path_addr: u64, flags: u32, mode: u32) -> SysResult {
    do_open_with(t, dirfd, path_addr, flags, mode, OpenResolve::default())
}

fn do_open_with(
    t: &mut Task,
    dirfd: i32,
    path_addr: u64,
    flags: u32,
    mode: u32,
    how: OpenResolve,
) -> SysResult {
    let path = read_path(t, path_addr)?;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let start = start_at(t, dirfd, &path)?;
    let mut resolver = t.resolver();
    resolver.limits = how.limits;
    if how.in_root || how.limits.beneath {
        // Resolution is confined to the directory it starts from.
        let dir = if dirfd == l::AT_FDCWD {
            t.cwd()
        } else {
            t.fds.get(dirfd)?.path.clone().ok_or(Errno::ENOTDIR)?
        };
        resolver.root = dir;
    }
    let start = if how.in_root && path.first() == Some(&b'/') {
        resolver.root.clone()
    } else {
        start
    };
    let acc = flags & l::O_ACCMODE;
    let writing = acc == l::O_WRONLY || acc == l::O_RDWR;
    let mut created = false;
    let found = if flags & l::O_CREAT != 0 && flags & l::O_PATH == 0 {
        if flags & l::O_DIRECTORY != 0 {
            return Err(Errno::EINVAL);
        }
        let pn = resolver.resolve_parent(&start, &path)?;
        if pn.trailing_slash || is_dot(&pn.name) {
            return Err(Errno::EISDIR);
        }
        match pn.parent.inode().lookup(&pn.name) {
            Ok(_) if flags & l::O_EXCL != 0 => return Err(Errno::EEXIST),
            Ok(_) => resolver.resolve(&pn.parent, &pn.name, flags & l::O_NOFOLLOW == 0)?,
            Err(Errno::ENOENT) => {
                may_modify_dir(t, &pn.parent)?;
                let perm = mode & 0o7777 & !t.umask();
                pn.parent
                    .inode()
                    .mknod(&pn.name, S_IFREG | perm, &t.creds())?;
                sentry::notify::created(&pn.parent, &pn.name);
                created = true;
                resolver.resolve(&pn.parent, &pn.name, false)?
            }
            Err(e) => return Err(e),
        }
    } else {
        resolver.resolve(&start, &path, flags & l::O_NOFOLLOW == 0)?
    };
    drop(resolver);
    let st = found.inode().stat()?;
    let kind = st.mode & S_IFMT;
    let limit = t.limit(l::RLIMIT_NOFILE);
    let cloexec = flags & l::O_CLOEXEC != 0;
    if flags & l::O_PATH != 0 {
        if flags & l::O_DIRECTORY != 0 && kind != S_IFDIR {
            return Err(Errno::ENOTDIR);
        }
        let ops = Arc::new(PathOnly {
            inode: found.inode().clone(),
        });
        let file = OpenFile::at_path(ops, found, l::O_PATH | (flags & l::O_DIRECTORY));
        return Ok(t.fds.install(file, cloexec, 0, limit)? as u64);
    }
    if kind == S_IFLNK {
        return Err(Errno::ELOOP);
    }
    if flags & l::O_DIRECTORY != 0 && kind != S_IFDIR {
        return Err(Errno::ENOTDIR);
    }
    if kind == S_IFDIR && (writing || flags & l::O_CREAT != 0) {
        return Err(Errno::EISDIR);
    }
    if !created {
        let mut want = 0;
        if acc != l::O_WRONLY {
            want |= MAY_READ;
        }
        if writing || flags & l::O_TRUNC != 0 {
            want |= MAY_WRITE;
        }
        if !may_access(&t.creds(), &st, want) {
            return Err(Errno::EACCES);
        }
    }
    if (writing || flags & l::O_TRUNC != 0) && kind == S_IFREG {
        check_readonly(&found)?;
    }
    // A running program's executable: ETXTBSY, before anything is truncated.
    let write_access = if writing && kind == S_IFREG {
        Some(get_write_access(found.inode().key())?)
    } else {
        None
    };
    let ops = found.inode().open(flags)?;
    // A FIFO end waits for its partner here, where a signal can interrupt it
    // (dropping `ops` then closes the end again).
    crate::blocking::restartable(ops.open_wait(t))?;
    sentry::notify::opened(&found);
    // Linux truncates (and says IN_MODIFY) even an empty file, not a new one.
    if flags & l::O_TRUNC != 0 && writing && kind == S_IFREG && !created {
        sentry::notify::setattr(
            &found,
            &SetAttr {
                size: Some(0),
                ..Default::default()
            },
        )?;
    }
    let status = flags
        & (l::O_ACCMODE | l::O_APPEND | l::O_NONBLOCK | l::O_DIRECT | l::O_NOATIME | l::O_DSYNC);
    let file = OpenFile::at_path(ops, found, status);
    *file.write_access.lock() = write_access;
    crate::tty::on_open(t, &file, flags);
    Ok(t.fds.install(file, cloexec, 0, limit)? as u64)
}

fn open(t: &mut Task, a: &Args) -> SysResult {
    do_open(t, l::AT_FDCWD, a.ptr(0), a.u32(1), a.u32(2))
}

fn openat(t: &mut Task, a: &Args) -> SysResult {
    do_open(t, a.i32(0), a.ptr(1), a.u32(2), a.u32(3))
}

fn openat2(t: &mut Task, a: &Args) -> SysResult {
    const RESOLVE_NO_XDEV: u64 = 0x01;
    const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
    const RESOLVE_NO_SYMLINKS: u64 = 0x04;
    const RESOLVE_BENEATH: u64 = 0x08;
    const RESOLVE_IN_ROOT: u64 = 0x10;
    const RESOLVE_CACHED: u64 = 0x20;
    const OPEN_HOW_SIZE: usize = 24;
    let size = a.usize(3);
    if size < OPEN_HOW_SIZE {
        return Err(Errno::EINVAL);
    }
    if size > 4096 {
        return Err(Errno::E2BIG);
    }
    let mut raw = vec![0u8; size];
    t.mm.copy_in(a.ptr(2), &mut raw)?;
    // A larger struct from a newer libc is fine if the unknown part is zero.
    if raw[OPEN_HOW_SIZE..].iter().any(|&b| b != 0) {
        return Err(Errno::E2BIG);
    }
    let word = |i: usize| u64::from_le_bytes(raw[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    let (flags, mode, resolve) = (word(0), word(1), word(2));
    let known_flags = (l::O_ACCMODE
        | l::O_CREAT
        | l::O_EXCL
        | l::O_NOCTTY
        | l::O_TRUNC
        | l::O_APPEND
        | l::O_NONBLOCK
        | l::O_DSYNC
        | l::FASYNC
        | l::O_DIRECT
        | l::O_LARGEFILE
        | l::O_DIRECTORY
        | l::O_NOFOLLOW
        | l::O_NOATIME
        | l::O_CLOEXEC
        | l::O_PATH
        | l::__O_TMPFILE
        | l::__O_SYNC) as u64;
    let known_resolve = RESOLVE_NO_XDEV
        | RESOLVE_NO_MAGICLINKS
        | RESOLVE_NO_SYMLINKS
        | RESOLVE_BENEATH
        | RESOLVE_IN_ROOT
        | RESOLVE_CACHED;
    if flags & !known_flags != 0 || resolve & !known_resolve != 0 || mode & !0o7777 != 0 {
        return Err(Errno::EINVAL);
    }
    if mode != 0 && flags & (l::O_CREAT | l::__O_TMPFILE) as u64 == 0 {
        return Err(Errno::EINVAL);
    }
    if resolve & RESOLVE_BENEATH != 0 && resolve & RESOLVE_IN_ROOT != 0 {
        return Err(Errno::EINVAL);
    }
    let how = OpenResolve {
        limits: ResolveLimits {
            no_symlinks: resolve & RESOLVE_NO_SYMLINKS != 0,
            beneath: resolve & RESOLVE_BENEATH != 0,
            no_xdev: resolve & RESOLVE_NO_XDEV != 0,
        },
        in_root: resolve & RESOLVE_IN_ROOT != 0,
    };
    do_open_with(t, a.i32(0), a.ptr(1), flags as u32, mode as u32, how)
}

fn creat(t: &mut Task, a: &Args) -> SysResult {
    do_open(
        t,
        l::AT_FDCWD,
        a.ptr(0),
        l::O_CREAT | l::O_WRONLY | l::O_TRUNC,
        a.u32(1),
    )
}

// ---- stat and access

/// Stats `path` relative to `dirfd`, honouring AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW.
pub(crate) fn stat_at(t: &Task, dirfd: i32, path_addr: u64, flags: u32) -> Result<Stat, Errno> {
    let path = read_path(t, path_addr)?;
    if path.is_empty() {
        if flags & l::AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        if dirfd == l::AT_FDCWD {
            return t.cwd().inode().stat();
        }
        return t.fds.get(dirfd)?.ops.stat();
    }
    resolve_at(t, dirfd, &path, flags & l::AT_SYMLINK_NOFOLLOW == 0)?
        .inode()
        .stat()
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

fn faccess(t: &mut Task, dirfd: i32, path_addr: u64, mode: u32, flags: u32) -> SysResult {
    if mode & !(MAY_READ | MAY_WRITE | MAY_EXEC) != 0
        || flags & !(l::AT_EACCESS | l::AT_SYMLINK_NOFOLLOW | l::AT_EMPTY_PATH) != 0
    {
        return Err(Errno::EINVAL);
    }
    let path = read_path(t, path_addr)?;
    let (st, readonly) = if path.is_empty() && flags & l::AT_EMPTY_PATH != 0 {
        (stat_at(t, dirfd, path_addr, flags)?, false)
    } else if path.is_empty() {
        return Err(Errno::ENOENT);
    } else {
        let p = resolve_at(t, dirfd, &path, flags & l::AT_SYMLINK_NOFOLLOW == 0)?;
        (p.inode().stat()?, p.mount().readonly)
    };
    // access() checks with the real ids unless AT_EACCESS asks for the effective ones.
    let creds = if flags & l::AT_EACCESS != 0 {
        (*t.creds()).clone()
    } else {
        t.creds().for_access()
    };
    if !may_access(&creds, &st, mode) {
        return Err(Errno::EACCES);
    }
    let kind = st.mode & S_IFMT;
    if mode & MAY_WRITE != 0 && readonly && (kind == S_IFREG || kind == S_IFDIR || kind == S_IFLNK)
    {
        return Err(Errno::EROFS);
    }
    Ok(0)
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

// ---- directories and names

fn do_mkdir(t: &mut Task, dirfd: i32, path_addr: u64, mode: u32) -> SysResult {
    let path = read_path(t, path_addr)?;
    let pn = parent_at(t, dirfd, &path)?;
    if is_dot(&pn.name) || pn.parent.inode().lookup(&pn.name).is_ok() {
        return Err(Errno::EEXIST);
    }
    may_modify_dir(t, &pn.parent)?;
    pn.parent
        .inode()
        .mkdir(&pn.name, mode & 0o7777 & !t.umask(), &t.creds())
        .inspect(|_| sentry::notify::created(&pn.parent, &pn.name))
        .map(|_| 0)
}

fn mkdir(t: &mut Task, a: &Args) -> SysResult {
    do_mkdir(t, l::AT_FDCWD, a.ptr(0), a.u32(1))
}

fn mkdirat(t: &mut Task, a: &Args) -> SysResult {
    do_mkdir(t, a.i32(0), a.ptr(1), a.u32(2))
}

/// Sticky directories: only the owner of the entry or of the directory (or root)
/// may remove or rename it.
fn sticky_allows(t: &Task, dir: &VfsPath, name: &[u8]) -> Result<(), Errno> {
    let dst = dir.inode().stat()?;
    let creds = t.creds();
    if dst.mode & 0o1000 == 0 || owner_or_capable(&creds, dst.uid) {
        return Ok(());
    }
    let child = dir.inode().lookup(name)?.stat()?;
    if owner_or_capable(&creds, child.uid) {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

fn do_unlink(t: &mut Task, dirfd: i32, path_addr: u64, remove_dir: bool) -> SysResult {
    let path = read_path(t, path_addr)?;
    let pn = parent_at(t, dirfd, &path)?;
    if remove_dir {
        match pn.name.as_slice() {
            b"." | b"" => return Err(Errno::EINVAL),
            b".." => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
    } else if is_dot(&pn.name) {
        return Err(Errno::EISDIR);
    }
    let child = pn.parent.inode().lookup(&pn.name)?;
    let is_dir = child.mode() & S_IFMT == S_IFDIR;
    if !remove_dir && pn.trailing_slash {
        return Err(if is_dir {
            Errno::EISDIR
        } else {
            Errno::ENOTDIR
        });
    }
    may_modify_dir(t, &pn.parent)?;
    sticky_allows(t, &pn.parent, &pn.name)?;
    if t.kernel
        .mounts
        .mounted_at(pn.parent.mount().id, child.key())
        .is_some()
    {
        return Err(Errno::EBUSY);
    }
    let r = if remove_dir {
        pn.parent.inode().rmdir(&pn.name)
    } else {
        pn.parent.inode().unlink(&pn.name)
    };
    r.inspect(|_| sentry::notify::removed(&pn.parent, &pn.name, &child))
        .map(|_| 0)
}

fn unlink(t: &mut Task, a: &Args) -> SysResult {
    do_unlink(t, l::AT_FDCWD, a.ptr(0), false)
}

fn rmdir(t: &mut Task, a: &Args) -> SysResult {
    do_unlink(t, l::AT_FDCWD, a.ptr(0), true)
}

fn unlinkat(t: &mut Task, a: &Args) -> SysResult {
    let flags = a.u32(2);
    if flags & !l::AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    do_unlink(t, a.i32(0), a.ptr(1), flags & l::AT_REMOVEDIR != 0)
}

fn do_rename(t: &mut Task, olddir: i32, old: u64, newdir: i32, new: u64, flags: u32) -> SysResult {
    const NOREPLACE: u32 = 1;
    const EXCHANGE: u32 = 2;
    if flags & !(NOREPLACE | EXCHANGE) != 0 || flags == NOREPLACE | EXCHANGE {
        return Err(Errno::EINVAL);
    }
    let (old, new) = (read_path(t, old)?, read_path(t, new)?);
    let src = parent_at(t, olddir, &old)?;
    let dst = parent_at(t, newdir, &new)?;
    if is_dot(&src.name) || is_dot(&dst.name) {
        return Err(Errno::EBUSY);
    }
    let moving = src.parent.inode().lookup(&src.name)?;
    if (src.trailing_slash || dst.trailing_slash) && moving.mode() & S_IFMT != S_IFDIR {
        return Err(Errno::ENOTDIR);
    }
    if src.parent.mount().id != dst.parent.mount().id {
        return Err(Errno::EXDEV);
    }
    may_modify_dir(t, &src.parent)?;
    may_modify_dir(t, &dst.parent)?;
    sticky_allows(t, &src.parent, &src.name)?;
    let parts = sentry::notify::rename_parts(&src.parent, &src.name, &dst.parent, &dst.name, flags);
    src.parent
        .inode()
        .rename(&src.name, dst.parent.inode(), &dst.name, flags)
        .inspect(|_| sentry::notify::renamed(&src.parent, &src.name, &dst.parent, &dst.name, parts))
        .map(|_| 0)
}

fn rename(t: &mut Task, a: &Args) -> SysResult {
    do_rename(t, l::AT_FDCWD, a.ptr(0), l::AT_FDCWD, a.ptr(1), 0)
}

fn renameat(t: &mut Task, a: &Args) -> SysResult {
    do_rename(t, a.i32(0), a.ptr(1), a.i32(2), a.ptr(3), 0)
}

fn renameat2(t: &mut Task, a: &Args) -> SysResult {
    do_rename(t, a.i32(0), a.ptr(1), a.i32(2), a.ptr(3), a.u32(4))
}

fn do_link(t: &mut Task, olddir: i32, old: u64, newdir: i32, new: u64, flags: u32) -> SysResult {
    if flags & !(l::AT_SYMLINK_FOLLOW | l::AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let old_path = read_path(t, old)?;
    let target = if old_path.is_empty() && flags & l::AT_EMPTY_PATH != 0 {
        t.fds.get(olddir)?.path.clone().ok_or(Errno::ENOENT)?
    } else {
        resolve_at(t, olddir, &old_path, flags & l::AT_SYMLINK_FOLLOW != 0)?
    };
    if target.is_dir() {
        return Err(Errno::EPERM);
    }
    let new_path = read_path(t, new)?;
    let pn = parent_at(t, newdir, &new_path)?;
    if is_dot(&pn.name) || pn.parent.inode().lookup(&pn.name).is_ok() {
        return Err(Errno::EEXIST);
    }
    if pn.trailing_slash {
        return Err(Errno::ENOENT);
    }
    if target.mount().id != pn.parent.mount().id {
        return Err(Errno::EXDEV);
    }
    may_modify_dir(t, &pn.parent)?;
    pn.parent
        .inode()
        .link(&pn.name, target.inode())
        .inspect(|_| sentry::notify::linked(&pn.parent, &pn.name, &target))
        .map(|_| 0)
}

fn link(t: &mut Task, a: &Args) -> SysResult {
    do_link(t, l::AT_FDCWD, a.ptr(0), l::AT_FDCWD, a.ptr(1), 0)
}

fn linkat(t: &mut Task, a: &Args) -> SysResult {
    do_link(t, a.i32(0), a.ptr(1), a.i32(2), a.ptr(3), a.u32(4))
}

fn do_symlink(t: &mut Task, target: u64, dirfd: i32, path: u64) -> SysResult {
    let target = read_path(t, target)?;
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    let path = read_path(t, path)?;
    let pn = parent_at(t, dirfd, &path)?;
    if is_dot(&pn.name) || pn.parent.inode().lookup(&pn.name).is_ok() {
        return Err(Errno::EEXIST);
    }
    may_modify_dir(t, &pn.parent)?;
    pn.parent
        .inode()
        .symlink(&pn.name, &target, &t.creds())
        .inspect(|_| sentry::notify::created(&pn.parent, &pn.name))
        .map(|_| 0)
}

fn symlink(t: &mut Task, a: &Args) -> SysResult {
    do_symlink(t, a.ptr(0), l::AT_FDCWD, a.ptr(1))
}

fn symlinkat(t: &mut Task, a: &Args) -> SysResult {
    do_symlink(t, a.ptr(0), a.i32(1), a.ptr(2))
}

fn do_readlink(t: &mut Task, dirfd: i32, path: u64, buf: u64, size: i32) -> SysResult {
    let path = read_path(t, path)?;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    let link = resolve_at(t, dirfd, &path, false)?;
    let target = link.inode().readlink()?;
    let n = target.len().min(size as usize);
    t.mm.copy_out(buf, &target[..n])?;
    Ok(n as u64)
}

fn readlink(t: &mut Task, a: &Args) -> SysResult {
    do_readlink(t, l::AT_FDCWD, a.ptr(0), a.ptr(1), a.i32(2))
}

fn readlinkat(t: &mut Task, a: &Args) -> SysResult {
    do_readlink(t, a.i32(0), a.ptr(1), a.ptr(2), a.i32(3))
}

// ---- working directory

fn enter_dir(t: &mut Task, dir: VfsPath) -> SysResult {
    if !dir.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if !may_access(&t.creds(), &dir.inode().stat()?, MAY_EXEC) {
        return Err(Errno::EACCES);
    }
    t.process.fs.set_cwd(dir);
    Ok(0)
}

fn chdir(t: &mut Task, a: &Args) -> SysResult {
    let path = read_path(t, a.ptr(0))?;
    let dir = resolve_at(t, l::AT_FDCWD, &path, true)?;
    enter_dir(t, dir)
}

fn fchdir(t: &mut Task, a: &Args) -> SysResult {
    let dir = t.fds.get(a.i32(0))?.path.clone().ok_or(Errno::ENOTDIR)?;
    enter_dir(t, dir)
}

fn getcwd(t: &mut Task, a: &Args) -> SysResult {
    let mut path = t.cwd().to_bytes_within(&t.process.fs.root());
    path.push(0);
    if a.usize(1) < path.len() {
        return Err(Errno::ERANGE);
    }
    t.mm.copy_out(a.ptr(0), &path)?;
    Ok(path.len() as u64)
}

// ---- attributes

fn do_chmod(t: &mut Task, dirfd: i32, path: u64, mode: u32) -> SysResult {
    let path = read_path(t, path)?;
    let p = resolve_at(t, dirfd, &path, true)?;
    let st = p.inode().stat()?;
    if !owner_or_capable(&t.creds(), st.uid) {
        return Err(Errno::EPERM);
    }
    check_readonly(&p)?;
    sentry::notify::setattr(
        &p,
        &SetAttr {
            mode: Some(mode & 0o7777),
            ..Default::default()
        },
    )
    .map(|_| 0)
}

fn chmod(t: &mut Task, a: &Args) -> SysResult {
    do_chmod(t, l::AT_FDCWD, a.ptr(0), a.u32(1))
}

fn fchmodat(t: &mut Task, a: &Args) -> SysResult {
    do_chmod(t, a.i32(0), a.ptr(1), a.u32(2))
}

fn truncate(t: &mut Task, a: &Args) -> SysResult {
    let len = a.i64(1);
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(t, a.ptr(0))?;
    let p = resolve_at(t, l::AT_FDCWD, &path, true)?;
    let st = p.inode().stat()?;
    if st.mode & S_IFMT == S_IFDIR {
        return Err(Errno::EISDIR);
    }
    if !may_access(&t.creds(), &st, MAY_WRITE) {
        return Err(Errno::EACCES);
    }
    check_readonly(&p)?;
    let _writing = get_write_access(p.inode().key())?;
    if st.mode & S_IFMT == libc::S_IFREG {
        t.file_size_limit_grow(st.size as u64, len as u64)?;
    }
    sentry::notify::setattr(
        &p,
        &SetAttr {
            size: Some(len as u64),
            ..Default::default()
        },
    )
    .map(|_| 0)
}

fn chroot(t: &mut Task, a: &Args) -> SysResult {
    let path = read_path(t, a.ptr(0))?;
    let dir = resolve_at(t, l::AT_FDCWD, &path, true)?;
    if !dir.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if !may_access(&t.creds(), &dir.inode().stat()?, MAY_EXEC) {
        return Err(Errno::EACCES);
    }
    if !t.creds().has_cap(l::CAP_SYS_CHROOT) {
        return Err(Errno::EPERM);
    }
    t.process.fs.set_root(dir);
    Ok(0)
}

fn do_mknod(t: &mut Task, dirfd: i32, path_addr: u64, mode: u32) -> SysResult {
    let kind = mode & S_IFMT;
    let kind = if kind == 0 { S_IFREG } else { kind };
    match kind {
        S_IFREG | libc::S_IFIFO | libc::S_IFSOCK => {}
        libc::S_IFCHR | libc::S_IFBLK => return Err(Errno::EPERM),
        S_IFDIR => return Err(Errno::EPERM),
        _ => return Err(Errno::EINVAL),
    }
    let path = read_path(t, path_addr)?;
    let pn = parent_at(t, dirfd, &path)?;
    if is_dot(&pn.name) || pn.parent.inode().lookup(&pn.name).is_ok() {
        return Err(Errno::EEXIST);
    }
    may_modify_dir(t, &pn.parent)?;
    pn.parent
        .inode()
        .mknod(&pn.name, kind | (mode & 0o7777 & !t.umask()), &t.creds())
        .inspect(|_| sentry::notify::created(&pn.parent, &pn.name))
        .map(|_| 0)
}

fn mknod(t: &mut Task, a: &Args) -> SysResult {
    do_mknod(t, l::AT_FDCWD, a.ptr(0), a.u32(1))
}

fn mknodat(t: &mut Task, a: &Args) -> SysResult {
    do_mknod(t, a.i32(0), a.ptr(1), a.u32(2))
}
