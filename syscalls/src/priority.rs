//! getpriority/setpriority: nice values, recorded per process (the host
//! schedules every sentry thread alike).

use std::sync::Arc;

use abi::linux as l;
use sentry::Errno;
use sentry::task::{ProcessInfo, Task};

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const NOTE: &str =
        "nice values are recorded per process, not per thread; they do not change scheduling";
    vec![
        (l::__NR_getpriority, Some(getpriority), Partial(NOTE)),
        (l::__NR_setpriority, Some(setpriority), Partial(NOTE)),
    ]
}

/// The process `pid` names for the caller (0: itself; a thread's tid names its
/// process).
pub fn process_by_pid(t: &Task, pid: i32) -> Result<Arc<ProcessInfo>, Errno> {
    if pid == 0 || pid == t.pid || pid == t.tid {
        return Ok(t.process.clone());
    }
    let pid = t.kernel.tree.process_of(pid).ok_or(Errno::ESRCH)?;
    t.kernel.process(pid).ok_or(Errno::ESRCH)
}

/// The processes `which`/`who` select (PRIO_PROCESS, PRIO_PGRP, PRIO_USER).
fn selected(t: &Task, which: u32, who: i32) -> Result<Vec<Arc<ProcessInfo>>, Errno> {
    match which {
        l::PRIO_PROCESS => Ok(process_by_pid(t, who).into_iter().collect()),
        l::PRIO_PGRP => {
            let pgid = if who == 0 {
                t.kernel.tree.pgid(t.pid)?
            } else {
                who
            };
            let members = t.kernel.tree.group_members(pgid);
            Ok(members
                .into_iter()
                .filter_map(|p| t.kernel.process(p))
                .collect())
        }
        l::PRIO_USER => {
            let uid = if who == 0 { t.creds().uid } else { who as u32 };
            let all: Vec<_> = t
                .kernel
                .processes
                .lock()
                .values()
                .filter_map(|w| w.upgrade())
                .collect();
            Ok(all.into_iter().filter(|p| p.creds().uid == uid).collect())
        }
        _ => Err(Errno::EINVAL),
    }
}

fn getpriority(t: &mut Task, a: &Args) -> SysResult {
    let procs = selected(t, a.u32(0), a.i32(1))?;
    // The kernel answers 20 - nice (1..=40) so that no answer is negative;
    // the best (lowest) nice of the selected processes wins.
    procs
        .iter()
        .map(|p| (20 - p.attrs.lock().nice) as u64)
        .max()
        .ok_or(Errno::ESRCH)
}

/// Whether the caller may lower `target`'s nice value to `nice`: RLIMIT_NICE
/// (as 20 - nice) allows it, or CAP_SYS_NICE.
pub fn can_nice(t: &Task, nice: i32) -> bool {
    (20 - nice) as u64 <= t.limit(l::RLIMIT_NICE) || t.creds().has_cap(l::CAP_SYS_NICE)
}

fn setpriority(t: &mut Task, a: &Args) -> SysResult {
    let procs = selected(t, a.u32(0), a.i32(1))?;
    let nice = (a.i32(2)).clamp(l::PRIO_MIN, l::PRIO_MAX as i32 - 1);
    if procs.is_empty() {
        return Err(Errno::ESRCH);
    }
    let me = t.creds();
    let mut result = Ok(0);
    for p in procs {
        let pc = p.creds();
        if pc.uid != me.euid && pc.euid != me.euid && !me.has_cap(l::CAP_SYS_NICE) {
            result = Err(Errno::EPERM);
            continue;
        }
        let mut attrs = p.attrs.lock();
        if nice < attrs.nice && !can_nice(t, nice) {
            result = Err(Errno::EACCES);
            continue;
        }
        attrs.nice = nice;
    }
    result
}
