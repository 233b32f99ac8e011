//! inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch.

use abi::linux as l;
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::fsimpl::inotify::{IN_IGNORED, IN_Q_OVERFLOW, Inotify};
use sentry::notify::*;
use sentry::task::Task;
use sentry::vfs::perm::{MAY_READ, may_access};

use crate::args::{Args, Handler, SysResult};
use crate::path::{read_path, resolve_at};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const WATCH_NOTE: &str = "events of operations made inside the sandbox (not changes made by the host under bind mounts); IN_UNMOUNT is never sent; exec does not report the binary's IN_OPEN/IN_ACCESS; a directory that is a working directory does not delay IN_DELETE_SELF";
    const INIT_NOTE: &str = "lseek on the instance is ESPIPE (Linux: a no-op returning 0)";
    vec![
        (l::__NR_inotify_init, Some(inotify_init), Partial(INIT_NOTE)),
        (
            l::__NR_inotify_init1,
            Some(inotify_init1),
            Partial(INIT_NOTE),
        ),
        (
            l::__NR_inotify_add_watch,
            Some(add_watch),
            Partial(WATCH_NOTE),
        ),
        (l::__NR_inotify_rm_watch, Some(rm_watch), Full),
    ]
}

/// Bits inotify_add_watch knows; a mask with none of them is EINVAL.
const ALL_INOTIFY_BITS: u32 = IN_ALL_EVENTS
    | 0x2000 // IN_UNMOUNT
    | IN_Q_OVERFLOW
    | IN_IGNORED
    | IN_ISDIR
    | IN_ONLYDIR
    | IN_DONT_FOLLOW
    | IN_EXCL_UNLINK
    | IN_MASK_ADD
    | IN_MASK_CREATE
    | IN_ONESHOT;

fn create(t: &Task, flags: u32) -> SysResult {
    if flags & !(l::O_CLOEXEC | l::O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let file = OpenFile::new(Inotify::new(), l::O_RDONLY | (flags & l::O_NONBLOCK));
    let cloexec = flags & l::O_CLOEXEC != 0;
    Ok(t.fds.install(file, cloexec, 0, t.limit(l::RLIMIT_NOFILE))? as u64)
}

fn inotify_init(t: &mut Task, _: &Args) -> SysResult {
    create(t, 0)
}

fn inotify_init1(t: &mut Task, a: &Args) -> SysResult {
    create(t, a.u32(0))
}

fn add_watch(t: &mut Task, a: &Args) -> SysResult {
    let mask = a.u32(2);
    if mask & IN_MASK_ADD != 0 && mask & IN_MASK_CREATE != 0 {
        return Err(Errno::EINVAL);
    }
    if mask & ALL_INOTIFY_BITS == 0 {
        return Err(Errno::EINVAL);
    }
    let file = t.fds.get(a.i32(0))?;
    let inst = file.ops.as_inotify().ok_or(Errno::EINVAL)?;
    let path = read_path(t, a.ptr(1))?;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let found = resolve_at(t, l::AT_FDCWD, &path, mask & IN_DONT_FOLLOW == 0)?;
    if mask & IN_ONLYDIR != 0 && !found.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if !may_access(&t.creds(), &found.inode().stat()?, MAY_READ) {
        return Err(Errno::EACCES);
    }
    Ok(sentry::notify::add_watch(inst, found.inode().key(), mask)? as u64)
}

fn rm_watch(t: &mut Task, a: &Args) -> SysResult {
    let file = t.fds.get(a.i32(0))?;
    let inst = file.ops.as_inotify().ok_or(Errno::EINVAL)?;
    sentry::notify::rm_watch(inst, a.i32(1)).map(|_| 0)
}
