//! Scheduling: affinity and yielding.

use abi::linux as l;
use sentry::Errno;
use sentry::task::Task;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (
            l::__NR_sched_getaffinity,
            Some(sched_getaffinity),
            Partial("every CPU of the sandbox; setting arrives with sched_setaffinity"),
        ),
        (l::__NR_sched_yield, Some(sched_yield), Full),
    ]
}

fn sched_getaffinity(t: &mut Task, a: &Args) -> SysResult {
    let pid = a.i32(0);
    if pid != 0 && pid != t.tid {
        return Err(Errno::ESRCH);
    }
    let len = a.usize(1);
    let cpus = t.kernel.cpus;
    // As Linux: the buffer must hold every possible CPU and be a whole number of longs.
    if len * 8 < cpus || !len.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    let size = cpus.div_ceil(64) * 8;
    let mut mask = vec![0u8; size];
    for c in 0..cpus {
        mask[c / 8] |= 1 << (c % 8);
    }
    t.mm.copy_out(a.ptr(2), &mask)?;
    Ok(size as u64)
}

fn sched_yield(_: &mut Task, _: &Args) -> SysResult {
    std::thread::yield_now();
    Ok(0)
}
