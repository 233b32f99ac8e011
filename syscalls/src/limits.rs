//! Resource limits.

use abi::linux as l;
use abi::types::Rlimit;
use sentry::Errno;
use sentry::task::{Credentials, ProcessInfo, RLIM_NLIMITS, Task};

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const NOTE: &str = "RLIMIT_NOFILE, NPROC, AS and STACK are enforced; NICE and RTPRIO \
                        bound setpriority/sched_setscheduler; the others are recorded";
    vec![
        (l::__NR_getrlimit, Some(getrlimit), Partial(NOTE)),
        (l::__NR_setrlimit, Some(setrlimit), Partial(NOTE)),
        (l::__NR_prlimit64, Some(prlimit64), Partial(NOTE)),
    ]
}

/// Linux's default `fs.nr_open`: RLIMIT_NOFILE cannot go higher.
const NR_OPEN: u64 = 1 << 20;

fn resource(a: &Args, i: usize) -> Result<usize, Errno> {
    let r = a.u32(i) as usize;
    if r >= RLIM_NLIMITS {
        Err(Errno::EINVAL)
    } else {
        Ok(r)
    }
}

/// Reads the new limit, sets it on `target` after the checks Linux makes,
/// returns the old one.
fn update(t: &mut Task, target: &ProcessInfo, r: usize, new_addr: u64) -> Result<Rlimit, Errno> {
    let old = target.limits.lock().get(r).ok_or(Errno::EINVAL)?;
    if new_addr != 0 {
        let new: Rlimit = t.mm.read_obj(new_addr)?;
        if new.cur > new.max {
            return Err(Errno::EINVAL);
        }
        if r == l::RLIMIT_NOFILE as usize && new.max > NR_OPEN {
            return Err(Errno::EPERM);
        }
        if new.max > old.max && !t.creds().has_cap(l::CAP_SYS_RESOURCE) {
            return Err(Errno::EPERM);
        }
        target.limits.lock().set(r, new);
    }
    Ok(old)
}

/// Another process's limits: all its user and group IDs must be the caller's
/// real ones, or the caller needs CAP_SYS_RESOURCE.
fn may_prlimit(me: &Credentials, target: &Credentials) -> Result<(), Errno> {
    let ids_match = [target.uid, target.euid, target.suid] == [me.uid; 3]
        && [target.gid, target.egid, target.sgid] == [me.gid; 3];
    if ids_match || me.has_cap(l::CAP_SYS_RESOURCE) {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

fn getrlimit(t: &mut Task, a: &Args) -> SysResult {
    let r = resource(a, 0)?;
    let v = t.process.limits.lock().get(r).ok_or(Errno::EINVAL)?;
    t.mm.write_obj(a.ptr(1), &v).map(|_| 0)
}

fn setrlimit(t: &mut Task, a: &Args) -> SysResult {
    let r = resource(a, 0)?;
    let me = t.process.clone();
    update(t, &me, r, a.ptr(1)).map(|_| 0)
}

fn prlimit64(t: &mut Task, a: &Args) -> SysResult {
    let pid = a.i32(0);
    let r = resource(a, 1)?;
    let target = if pid == 0 || pid == t.pid || pid == t.tid {
        t.process.clone()
    } else {
        let pid = t.kernel.tree.process_of(pid).ok_or(Errno::ESRCH)?;
        let target = t.kernel.process(pid).ok_or(Errno::ESRCH)?;
        may_prlimit(&t.creds(), &target.creds())?;
        target
    };
    let old = update(t, &target, r, a.ptr(2))?;
    if a.ptr(3) != 0 {
        t.mm.write_obj(a.ptr(3), &old)?;
    }
    Ok(0)
}
