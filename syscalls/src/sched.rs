//! Scheduling: policies, priorities and affinity (recorded per process; the
//! host schedules every sentry thread alike), yielding, getcpu.

use abi::linux as l;
use sentry::Errno;
use sentry::task::{SCHED_OTHER, Task};

use crate::args::{Args, Handler, SysResult};
use crate::priority::{can_nice, process_by_pid};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const RECORDED: &str = "recorded per process, not per thread; the host schedules as it will";
    vec![
        (
            l::__NR_sched_getaffinity,
            Some(sched_getaffinity),
            Partial(RECORDED),
        ),
        (
            l::__NR_sched_setaffinity,
            Some(sched_setaffinity),
            Partial(RECORDED),
        ),
        (
            l::__NR_sched_getscheduler,
            Some(sched_getscheduler),
            Partial(RECORDED),
        ),
        (
            l::__NR_sched_setscheduler,
            Some(sched_setscheduler),
            Partial(RECORDED),
        ),
        (
            l::__NR_sched_getparam,
            Some(sched_getparam),
            Partial(RECORDED),
        ),
        (
            l::__NR_sched_setparam,
            Some(sched_setparam),
            Partial(RECORDED),
        ),
        (
            l::__NR_sched_get_priority_max,
            Some(sched_get_priority_max),
            Full,
        ),
        (
            l::__NR_sched_get_priority_min,
            Some(sched_get_priority_min),
            Full,
        ),
        (l::__NR_sched_yield, Some(sched_yield), Full),
        (
            l::__NR_getcpu,
            Some(getcpu),
            Partial(
                "the host CPU of the sentry thread if in the affinity mask, else its first CPU; node 0",
            ),
        ),
    ]
}

/// Bytes of a mask holding every CPU, in whole longs (Linux's cpumask_size()).
fn mask_size(cpus: usize) -> usize {
    cpus.div_ceil(64) * 8
}

fn full_mask(cpus: usize) -> Vec<u8> {
    let mut mask = vec![0u8; mask_size(cpus)];
    for c in 0..cpus {
        mask[c / 8] |= 1 << (c % 8);
    }
    mask
}

fn sched_getaffinity(t: &mut Task, a: &Args) -> SysResult {
    let p = process_by_pid(t, a.i32(0))?;
    // As Linux: the length is an `unsigned int`, checked in that width (a
    // huge one wraps, never overflows); the buffer must hold every possible
    // CPU and be a whole number of longs.
    let len = a.u32(1);
    let cpus = t.kernel.cpus;
    if (len.wrapping_mul(8) as usize) < cpus || !len.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    let mask = p
        .attrs
        .lock()
        .affinity
        .clone()
        .unwrap_or_else(|| full_mask(cpus));
    t.mm.copy_out(a.ptr(2), &mask)?;
    Ok(mask.len() as u64)
}

fn sched_setaffinity(t: &mut Task, a: &Args) -> SysResult {
    let p = process_by_pid(t, a.i32(0))?;
    may_change(t, &p)?;
    let cpus = t.kernel.cpus;
    let mut mask = vec![0u8; mask_size(cpus)];
    let n = a.usize(1).min(mask.len());
    t.mm.copy_in(a.ptr(2), &mut mask[..n])?;
    // Only CPUs that exist count; a mask naming none of them is EINVAL.
    let valid = full_mask(cpus);
    for (m, v) in mask.iter_mut().zip(&valid) {
        *m &= v;
    }
    if mask.iter().all(|&b| b == 0) {
        return Err(Errno::EINVAL);
    }
    p.attrs.lock().affinity = Some(mask);
    Ok(0)
}

/// Changing another process's scheduling needs the same owner or CAP_SYS_NICE.
fn may_change(t: &Task, p: &sentry::task::ProcessInfo) -> Result<(), Errno> {
    let (me, them) = (t.creds(), p.creds());
    if me.euid == them.euid || me.euid == them.uid || me.has_cap(l::CAP_SYS_NICE) {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

fn is_rt(policy: u32) -> bool {
    policy == l::SCHED_FIFO || policy == l::SCHED_RR
}

fn valid_policy(policy: u32) -> bool {
    [SCHED_OTHER, l::SCHED_BATCH, l::SCHED_IDLE].contains(&policy) || is_rt(policy)
}

fn sched_get_priority_max(_: &mut Task, a: &Args) -> SysResult {
    match a.u32(0) {
        p if is_rt(p) => Ok(99),
        p if valid_policy(p) => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

fn sched_get_priority_min(_: &mut Task, a: &Args) -> SysResult {
    match a.u32(0) {
        p if is_rt(p) => Ok(1),
        p if valid_policy(p) => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

fn sched_getscheduler(t: &mut Task, a: &Args) -> SysResult {
    if a.i32(0) < 0 {
        return Err(Errno::EINVAL);
    }
    let p = process_by_pid(t, a.i32(0))?;
    let attrs = p.attrs.lock();
    let reset = if attrs.reset_on_fork {
        l::SCHED_RESET_ON_FORK
    } else {
        0
    };
    Ok((attrs.policy | reset) as u64)
}

fn sched_getparam(t: &mut Task, a: &Args) -> SysResult {
    if a.i32(0) < 0 || a.ptr(1) == 0 {
        return Err(Errno::EINVAL);
    }
    let p = process_by_pid(t, a.i32(0))?;
    let prio = p.attrs.lock().rt_priority as i32;
    t.mm.write_obj(a.ptr(1), &prio).map(|_| 0)
}

fn sched_setscheduler(t: &mut Task, a: &Args) -> SysResult {
    let policy = a.u32(1);
    set_scheduler(t, a, Some(policy))
}

fn sched_setparam(t: &mut Task, a: &Args) -> SysResult {
    set_scheduler(t, a, None)
}

/// sched_setscheduler (a policy) or sched_setparam (keep the policy), with
/// sched(7)'s rules: FIFO/RR take priorities 1..=99, the others 0; becoming
/// or raising real-time needs CAP_SYS_NICE or room under RLIMIT_RTPRIO;
/// leaving SCHED_IDLE needs what lowering the nice value needs.
fn set_scheduler(t: &mut Task, a: &Args, policy: Option<u32>) -> SysResult {
    let (pid, param) = (a.i32(0), a.ptr(if policy.is_some() { 2 } else { 1 }));
    if pid < 0 || param == 0 {
        return Err(Errno::EINVAL);
    }
    let prio: i32 = t.mm.read_obj(param)?;
    let p = process_by_pid(t, pid)?;
    let cur = p.attrs.lock().clone();
    let (policy, reset) = match policy {
        Some(v) => (v & !l::SCHED_RESET_ON_FORK, v & l::SCHED_RESET_ON_FORK != 0),
        None => (cur.policy, cur.reset_on_fork),
    };
    if !valid_policy(policy) {
        return Err(Errno::EINVAL);
    }
    let prio_ok = if is_rt(policy) {
        (1..=99).contains(&prio)
    } else {
        prio == 0
    };
    if !prio_ok {
        return Err(Errno::EINVAL);
    }
    if !t.creds().has_cap(l::CAP_SYS_NICE) {
        if is_rt(policy) {
            let limit = t.limit(l::RLIMIT_RTPRIO);
            if policy != cur.policy && limit == 0 {
                return Err(Errno::EPERM);
            }
            if prio as u32 > cur.rt_priority && prio as u64 > limit {
                return Err(Errno::EPERM);
            }
        }
        if cur.policy == l::SCHED_IDLE && policy != l::SCHED_IDLE && !can_nice(t, cur.nice) {
            return Err(Errno::EPERM);
        }
        // Clearing SCHED_RESET_ON_FORK is a privilege.
        if cur.reset_on_fork && !reset {
            return Err(Errno::EPERM);
        }
    }
    may_change(t, &p)?;
    let mut attrs = p.attrs.lock();
    attrs.policy = policy;
    attrs.rt_priority = prio as u32;
    attrs.reset_on_fork = reset;
    Ok(0)
}

fn sched_yield(_: &mut Task, _: &Args) -> SysResult {
    std::thread::yield_now();
    Ok(0)
}

fn getcpu(t: &mut Task, a: &Args) -> SysResult {
    let host = sentry::host::current_cpu();
    let cpu = match &t.process.attrs.lock().affinity {
        Some(mask)
            if mask
                .get(host / 8)
                .is_none_or(|b| b & (1 << (host % 8)) == 0) =>
        {
            mask.iter()
                .enumerate()
                .find(|(_, b)| **b != 0)
                .map_or(0, |(i, b)| i * 8 + b.trailing_zeros() as usize)
        }
        _ => host,
    } as u32;
    if a.ptr(0) != 0 {
        t.mm.write_obj(a.ptr(0), &cpu)?;
    }
    if a.ptr(1) != 0 {
        t.mm.write_obj(a.ptr(1), &0u32)?;
    }
    Ok(0)
}
