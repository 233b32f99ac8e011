//! File attributes: statx, statfs, ownership and times.

use abi::linux as l;
use abi::types::{Stat, Statx, StatxTimestamp, Timespec, Timeval, dev_major, dev_minor};
use sentry::Errno;
use sentry::task::Task;
use sentry::vfs::inode::{S_IFMT, S_IFREG};
use sentry::vfs::perm::{MAY_WRITE, may_access};
use sentry::vfs::{SetAttr, TimeSet, VfsPath};

use crate::args::{Args, Handler, SysResult};
use crate::path::{at_path, read_path, resolve_at};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const RO: &str = "the container root is read-only unless its spec allows writes";
    vec![
        (
            l::__NR_statx,
            Some(statx),
            Partial("STATX_BTIME is not reported"),
        ),
        (l::__NR_statfs, Some(statfs), Full),
        (l::__NR_fstatfs, Some(fstatfs), Full),
        (l::__NR_chown, Some(chown), Partial(RO)),
        (l::__NR_lchown, Some(lchown), Partial(RO)),
        (l::__NR_fchown, Some(fchown), Partial(RO)),
        (l::__NR_fchownat, Some(fchownat), Partial(RO)),
        (l::__NR_utimensat, Some(utimensat), Partial(RO)),
        (l::__NR_utimes, Some(utimes), Partial(RO)),
        (l::__NR_futimesat, Some(futimesat), Partial(RO)),
        (l::__NR_utime, Some(utime), Partial(RO)),
    ]
}

const STATX_BASIC_STATS: u32 = 0x7ff;
const STATX_RESERVED: u32 = 0x8000_0000;
const AT_STATX_SYNC_TYPE: u32 = 0x6000;

fn ts(t: Timespec) -> StatxTimestamp {
    StatxTimestamp {
        sec: t.tv_sec,
        nsec: t.tv_nsec as u32,
        reserved: 0,
    }
}

fn statx(t: &mut Task, a: &Args) -> SysResult {
    let (dirfd, path_addr, flags, mask, buf) = (a.i32(0), a.ptr(1), a.u32(2), a.u32(3), a.ptr(4));
    let known = l::AT_SYMLINK_NOFOLLOW | l::AT_EMPTY_PATH | l::AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE;
    if flags & !known != 0
        || flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE
        || mask & STATX_RESERVED != 0
    {
        return Err(Errno::EINVAL);
    }
    let st: Stat = crate::path::stat_at(t, dirfd, path_addr, flags)?;
    let x = Statx {
        mask: STATX_BASIC_STATS,
        blksize: st.blksize as u32,
        nlink: st.nlink as u32,
        uid: st.uid,
        gid: st.gid,
        mode: st.mode as u16,
        ino: st.ino,
        size: st.size as u64,
        blocks: st.blocks as u64,
        atime: ts(st.atime),
        ctime: ts(st.ctime),
        mtime: ts(st.mtime),
        rdev_major: dev_major(st.rdev),
        rdev_minor: dev_minor(st.rdev),
        dev_major: dev_major(st.dev),
        dev_minor: dev_minor(st.dev),
        ..Default::default()
    };
    t.mm.write_obj(buf, &x).map(|_| 0)
}

fn statfs(t: &mut Task, a: &Args) -> SysResult {
    let path = read_path(t, a.ptr(0))?;
    let p = resolve_at(t, l::AT_FDCWD, &path, true)?;
    let s = p.inode().statfs()?;
    t.mm.write_obj(a.ptr(1), &s).map(|_| 0)
}

fn fstatfs(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.get(a.i32(0))?;
    let s = match &f.path {
        Some(p) => p.inode().statfs()?,
        // Pipes and host stdio: an in-memory filesystem's figures.
        None => sentry::vfs::inode::memory_statfs(sentry::vfs::inode::TMPFS_MAGIC),
    };
    t.mm.write_obj(a.ptr(1), &s).map(|_| 0)
}

// ---- ownership

fn do_chown(t: &mut Task, p: &VfsPath, uid: u32, gid: u32) -> SysResult {
    let st = p.inode().stat()?;
    let (new_uid, new_gid) = (
        (uid != u32::MAX).then_some(uid),
        (gid != u32::MAX).then_some(gid),
    );
    let creds = t.creds();
    // Without CAP_CHOWN: the owner may only change the group, to one of its own.
    if !creds.has_cap(l::CAP_CHOWN) {
        let owner = creds.fsuid == st.uid;
        let uid_changes = new_uid.is_some_and(|u| u != st.uid);
        let gid_allowed = new_gid.is_none_or(|g| {
            g == st.gid || (owner && (g == creds.fsgid || creds.groups.contains(&g)))
        });
        if uid_changes || !gid_allowed || (new_gid.is_some() && !owner) {
            return Err(Errno::EPERM);
        }
    }
    if p.mount().readonly {
        return Err(Errno::EROFS);
    }
    let mut set = SetAttr {
        uid: new_uid,
        gid: new_gid,
        ..Default::default()
    };
    // A change of owner drops set-user-ID (and set-group-ID if group-executable).
    if (new_uid.is_some() || new_gid.is_some()) && st.mode & S_IFMT == S_IFREG {
        let mut mode = st.mode & 0o7777 & !0o4000;
        if st.mode & 0o010 != 0 {
            mode &= !0o2000;
        }
        if mode != st.mode & 0o7777 {
            set.mode = Some(mode);
        }
    }
    sentry::notify::setattr(p, &set).map(|_| 0)
}

fn chown_at(t: &mut Task, dirfd: i32, path: u64, uid: u32, gid: u32, flags: u32) -> SysResult {
    if flags & !(l::AT_SYMLINK_NOFOLLOW | l::AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let p = at_path(t, dirfd, path, flags)?;
    do_chown(t, &p, uid, gid)
}

fn chown(t: &mut Task, a: &Args) -> SysResult {
    chown_at(t, l::AT_FDCWD, a.ptr(0), a.u32(1), a.u32(2), 0)
}

fn lchown(t: &mut Task, a: &Args) -> SysResult {
    chown_at(
        t,
        l::AT_FDCWD,
        a.ptr(0),
        a.u32(1),
        a.u32(2),
        l::AT_SYMLINK_NOFOLLOW,
    )
}

fn fchownat(t: &mut Task, a: &Args) -> SysResult {
    chown_at(t, a.i32(0), a.ptr(1), a.u32(2), a.u32(3), a.u32(4))
}

fn fchown(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.get(a.i32(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    let p = f.path.clone().ok_or(Errno::EPERM)?;
    do_chown(t, &p, a.u32(1), a.u32(2))
}

// ---- times

const UTIME_NOW: i64 = (1 << 30) - 1;
const UTIME_OMIT: i64 = (1 << 30) - 2;

fn time_of(ts: Timespec) -> Result<TimeSet, Errno> {
    match ts.tv_nsec {
        UTIME_NOW => Ok(TimeSet::Now),
        UTIME_OMIT => Ok(TimeSet::Omit),
        n if (0..1_000_000_000).contains(&n) => Ok(TimeSet::At(ts)),
        _ => Err(Errno::EINVAL),
    }
}

/// Sets the times of `p`. Setting both to "now" takes ownership or write access;
/// setting explicit times takes ownership.
fn set_times(t: &Task, p: &VfsPath, atime: TimeSet, mtime: TimeSet) -> SysResult {
    if atime == TimeSet::Omit && mtime == TimeSet::Omit {
        return Ok(0);
    }
    let st = p.inode().stat()?;
    let owner = sentry::vfs::perm::owner_or_capable(&t.creds(), st.uid);
    let only_now = matches!(atime, TimeSet::Now | TimeSet::Omit)
        && matches!(mtime, TimeSet::Now | TimeSet::Omit);
    let allowed = owner || (only_now && may_access(&t.creds(), &st, MAY_WRITE));
    if !allowed {
        return Err(if only_now {
            Errno::EACCES
        } else {
            Errno::EPERM
        });
    }
    if p.mount().readonly {
        return Err(Errno::EROFS);
    }
    sentry::notify::setattr(
        p,
        &SetAttr {
            atime,
            mtime,
            ..Default::default()
        },
    )
    .map(|_| 0)
}

fn utimensat(t: &mut Task, a: &Args) -> SysResult {
    let (dirfd, path, times, flags) = (a.i32(0), a.ptr(1), a.ptr(2), a.u32(3));
    if flags & !(l::AT_SYMLINK_NOFOLLOW | l::AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let (atime, mtime) = if times == 0 {
        (TimeSet::Now, TimeSet::Now)
    } else {
        let ts: [Timespec; 2] = t.mm.read_obj(times)?;
        (time_of(ts[0])?, time_of(ts[1])?)
    };
    // A null path means the descriptor itself (futimens).
    let p = if path == 0 {
        let f = t.fds.get(dirfd)?;
        f.path.clone().ok_or(Errno::EPERM)?
    } else {
        at_path(t, dirfd, path, flags)?
    };
    set_times(t, &p, atime, mtime)
}

fn timevals(t: &Task, addr: u64) -> Result<(TimeSet, TimeSet), Errno> {
    if addr == 0 {
        return Ok((TimeSet::Now, TimeSet::Now));
    }
    let tv: [Timeval; 2] = t.mm.read_obj(addr)?;
    let conv = |v: Timeval| {
        if !(0..1_000_000).contains(&v.tv_usec) {
            return Err(Errno::EINVAL);
        }
        Ok(TimeSet::At(Timespec {
            tv_sec: v.tv_sec,
            tv_nsec: v.tv_usec * 1000,
        }))
    };
    Ok((conv(tv[0])?, conv(tv[1])?))
}

fn futimesat(t: &mut Task, a: &Args) -> SysResult {
    let (atime, mtime) = timevals(t, a.ptr(2))?;
    let p = at_path(t, a.i32(0), a.ptr(1), 0)?;
    set_times(t, &p, atime, mtime)
}

fn utimes(t: &mut Task, a: &Args) -> SysResult {
    let (atime, mtime) = timevals(t, a.ptr(1))?;
    let p = at_path(t, l::AT_FDCWD, a.ptr(0), 0)?;
    set_times(t, &p, atime, mtime)
}

fn utime(t: &mut Task, a: &Args) -> SysResult {
    let times = if a.ptr(1) == 0 {
        (TimeSet::Now, TimeSet::Now)
    } else {
        let [actime, modtime]: [i64; 2] = t.mm.read_obj(a.ptr(1))?;
        let at = |s| {
            TimeSet::At(Timespec {
                tv_sec: s,
                tv_nsec: 0,
            })
        };
        (at(actime), at(modtime))
    };
    let p = at_path(t, l::AT_FDCWD, a.ptr(0), 0)?;
    set_times(t, &p, times.0, times.1)
}
