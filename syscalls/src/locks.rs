//! Advisory locks: flock and the fcntl record-lock commands.

use std::sync::Arc;

use abi::linux as l;
use abi::types::Flock;
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::fs::locks::{Kind, Lock, Owner};
use sentry::task::Task;
use sentry::vfs::InodeKey;
use sentry::waiter::Blocker;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![(l::__NR_flock, Some(flock), Full)]
}

fn key_of(f: &OpenFile) -> Result<InodeKey, Errno> {
    let st = f.ops.stat()?;
    Ok((st.dev, st.ino))
}

fn file_owner(f: &Arc<OpenFile>) -> Owner {
    Owner::File(Arc::as_ptr(f) as usize)
}

/// Remembers the table in the description, so closing it drops its locks.
fn track(t: &Task, f: &OpenFile) {
    f.locks.lock().get_or_insert_with(|| t.kernel.locks.clone());
}

fn flock(t: &mut Task, a: &Args) -> SysResult {
    const LOCK_SH: u32 = 1;
    const LOCK_EX: u32 = 2;
    const LOCK_NB: u32 = 4;
    const LOCK_UN: u32 = 8;
    let f = t.fds.get(a.i32(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    let op = a.u32(1);
    let key = key_of(&f)?;
    let owner = file_owner(&f);
    let kind = match op & !LOCK_NB {
        LOCK_SH => Kind::Read,
        LOCK_EX => Kind::Write,
        LOCK_UN => {
            t.kernel.locks.release(key, owner, true, 0, u64::MAX);
            return Ok(0);
        }
        _ => return Err(Errno::EINVAL),
    };
    track(t, &f);
    let lock = Lock {
        owner,
        kind,
        start: 0,
        end: u64::MAX,
        flock: true,
    };
    crate::blocking::restartable(t.kernel.locks.acquire(
        key,
        lock,
        (op & LOCK_NB == 0).then_some(t as &dyn Blocker),
    ))
    .map(|_| 0)
}

const F_RDLCK: i16 = 0;
const F_WRLCK: i16 = 1;
const F_UNLCK: i16 = 2;
pub const F_OFD_GETLK: u32 = 36;
pub const F_OFD_SETLK: u32 = 37;
pub const F_OFD_SETLKW: u32 = 38;

/// The byte range a `struct flock` names, as `[start, end)`.
fn range(f: &OpenFile, fl: &Flock) -> Result<(u64, u64), Errno> {
    let base = match fl.l_whence as u32 {
        w if w == l::SEEK_SET => 0,
        w if w == l::SEEK_CUR => *f.offset.lock() as i64,
        w if w == l::SEEK_END => f.ops.size()? as i64,
        _ => return Err(Errno::EINVAL),
    };
    let start = base.checked_add(fl.l_start).ok_or(Errno::EOVERFLOW)?;
    let (start, end) = match fl.l_len {
        0 => (start, i64::MAX),
        n if n > 0 => (start, start.checked_add(n).ok_or(Errno::EOVERFLOW)?),
        n => (start + n, start),
    };
    if start < 0 {
        return Err(Errno::EINVAL);
    }
    Ok((
        start as u64,
        if end == i64::MAX {
            u64::MAX
        } else {
            end as u64
        },
    ))
}

/// fcntl's F_GETLK/F_SETLK/F_SETLKW and their OFD variants.
pub fn fcntl_lock(t: &mut Task, f: &Arc<OpenFile>, cmd: u32, addr: u64) -> SysResult {
    let mut fl: Flock = t.mm.read_obj(addr)?;
    let ofd = matches!(cmd, F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW);
    if ofd && fl.l_pid != 0 {
        return Err(Errno::EINVAL);
    }
    let owner = if ofd {
        file_owner(f)
    } else {
        Owner::Process(t.pid)
    };
    let (start, end) = range(f, &fl)?;
    let key = key_of(f)?;
    let kind = match fl.l_type {
        F_RDLCK => Kind::Read,
        F_WRLCK => Kind::Write,
        F_UNLCK if cmd != l::F_GETLK && cmd != F_OFD_GETLK => {
            t.kernel.locks.release(key, owner, false, start, end);
            return Ok(0);
        }
        _ => return Err(Errno::EINVAL),
    };
    let want = Lock {
        owner,
        kind,
        start,
        end,
        flock: false,
    };
    if cmd == l::F_GETLK || cmd == F_OFD_GETLK {
        match t.kernel.locks.conflict(key, &want) {
            Some(held) => {
                fl.l_type = if held.kind == Kind::Write {
                    F_WRLCK
                } else {
                    F_RDLCK
                };
                fl.l_whence = l::SEEK_SET as i16;
                fl.l_start = held.start as i64;
                fl.l_len = if held.end == u64::MAX {
                    0
                } else {
                    (held.end - held.start) as i64
                };
                fl.l_pid = match held.owner {
                    Owner::Process(pid) => pid,
                    Owner::File(_) => -1,
                };
            }
            None => fl.l_type = F_UNLCK,
        }
        t.mm.write_obj(addr, &fl)?;
        return Ok(0);
    }
    if (kind == Kind::Read && !f.readable()) || (kind == Kind::Write && !f.writable()) {
        return Err(Errno::EBADF);
    }
    if ofd {
        track(t, f);
    }
    let wait = cmd == l::F_SETLKW || cmd == F_OFD_SETLKW;
    crate::blocking::restartable(t.kernel.locks.acquire(
        key,
        want,
        wait.then_some(t as &dyn Blocker),
    ))
    .map(|_| 0)
}

/// Closing any descriptor of a file drops the process's record locks on it.
pub fn on_close(t: &Task, f: &OpenFile) {
    if let Ok(key) = key_of(f) {
        t.kernel
            .locks
            .release(key, Owner::Process(t.pid), false, 0, u64::MAX);
    }
}
