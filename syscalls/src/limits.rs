//! Resource limits.

use abi::linux as l;
use abi::types::Rlimit;
use sentry::Errno;
use sentry::task::{RLIM_NLIMITS, Task};

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const NOTE: &str = "recorded and reported; RLIMIT_NOFILE and RLIMIT_STACK are enforced";
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

/// Reads the new limit, sets it after the checks Linux makes, returns the old one.
fn update(t: &mut Task, r: usize, new_addr: u64) -> Result<Rlimit, Errno> {
    let old = t.process.limits.lock().get(r).ok_or(Errno::EINVAL)?;
    if new_addr != 0 {
        let new: Rlimit = t.mm.read_obj(new_addr)?;
        if new.cur > new.max {
            return Err(Errno::EINVAL);
        }
        if r == l::RLIMIT_NOFILE as usize && new.max > NR_OPEN {
            return Err(Errno::EPERM);
        }
        // Raising the hard limit takes CAP_SYS_RESOURCE, which root has in this sandbox.
        if new.max > old.max && t.creds().euid != 0 {
            return Err(Errno::EPERM);
        }
        t.process.limits.lock().set(r, new);
    }
    Ok(old)
}

fn getrlimit(t: &mut Task, a: &Args) -> SysResult {
    let r = resource(a, 0)?;
    let v = t.process.limits.lock().get(r).ok_or(Errno::EINVAL)?;
    t.mm.write_obj(a.ptr(1), &v).map(|_| 0)
}

fn setrlimit(t: &mut Task, a: &Args) -> SysResult {
    let r = resource(a, 0)?;
    update(t, r, a.ptr(1)).map(|_| 0)
}

fn prlimit64(t: &mut Task, a: &Args) -> SysResult {
    let pid = a.i32(0);
    if pid != 0 && pid != t.pid {
        return Err(Errno::ESRCH);
    }
    let r = resource(a, 1)?;
    let old = update(t, r, a.ptr(2))?;
    if a.ptr(3) != 0 {
        t.mm.write_obj(a.ptr(3), &old)?;
    }
    Ok(0)
}
