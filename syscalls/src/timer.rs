//! Interval timers: alarm, setitimer/getitimer, the POSIX timer_* calls; and the
//! CPU-time reports times and getrusage.

use std::time::Duration;

use abi::linux as l;
use abi::signal::SIGALRM;
use abi::types::{Itimerspec, Itimerval, Rusage, Sigevent, Timespec, Timeval, Tms};
use sentry::Errno;
use sentry::task::Task;
use sentry::task::itimers::{ItimerKind, TimerBase, TimerNotify, duration_of};

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const CPU: &str =
        "CPU-time timers count the whole process's application CPU time, sampled every 4 ms";
    const USAGE: &str = "CPU time is the application's (all user time); RUSAGE_THREAD reports the process; counters are zero";
    vec![
        (l::__NR_alarm, Some(alarm), Full),
        (l::__NR_setitimer, Some(setitimer), Partial(CPU)),
        (l::__NR_getitimer, Some(getitimer), Partial(CPU)),
        (l::__NR_timer_create, Some(timer_create), Partial(CPU)),
        (l::__NR_timer_settime, Some(timer_settime), Partial(CPU)),
        (l::__NR_timer_gettime, Some(timer_gettime), Partial(CPU)),
        (l::__NR_timer_getoverrun, Some(timer_getoverrun), Full),
        (l::__NR_timer_delete, Some(timer_delete), Full),
        (l::__NR_times, Some(times), Partial(USAGE)),
        (l::__NR_getrusage, Some(getrusage), Partial(USAGE)),
    ]
}

/// Clock ticks per second as times() and /proc report them.
const HZ: u128 = 100;

fn timeval(d: Duration) -> Timeval {
    // Rounded up, so that an armed timer never reads as zero.
    let us = d.as_nanos().div_ceil(1000);
    Timeval {
        tv_sec: (us / 1_000_000) as i64,
        tv_usec: (us % 1_000_000) as i64,
    }
}

fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: d.as_secs() as i64,
        tv_nsec: d.subsec_nanos() as i64,
    }
}

fn from_timeval(tv: Timeval) -> Result<Duration, Errno> {
    if !(0..1_000_000).contains(&tv.tv_usec) {
        return Err(Errno::EINVAL);
    }
    duration_of(tv.tv_sec, tv.tv_usec * 1000)
}

fn itimer_kind(which: i32) -> Result<ItimerKind, Errno> {
    match which {
        0 => Ok(ItimerKind::Real),
        1 => Ok(ItimerKind::Virtual),
        2 => Ok(ItimerKind::Prof),
        _ => Err(Errno::EINVAL),
    }
}

fn alarm(t: &mut Task, a: &Args) -> SysResult {
    let timer = t.itimer(ItimerKind::Real);
    let secs = Duration::from_secs(a.u32(0) as u64);
    let (old, _) = timer.set(&t.kernel.timers, secs, false, Duration::ZERO);
    // Linux rounds the old value to the nearest second, but never to zero.
    let mut rounded = old.as_secs();
    if old.subsec_micros() >= 500_000 || (rounded == 0 && !old.is_zero()) {
        rounded += 1;
    }
    Ok(rounded)
}

fn setitimer(t: &mut Task, a: &Args) -> SysResult {
    let kind = itimer_kind(a.i32(0))?;
    let new: Itimerval = if a.ptr(1) != 0 {
        t.mm.read_obj(a.ptr(1))?
    } else {
        Itimerval::default()
    };
    let (value, interval) = (from_timeval(new.value)?, from_timeval(new.interval)?);
    let timer = t.itimer(kind);
    let (old_value, old_interval) = timer.set(&t.kernel.timers, value, false, interval);
    if a.ptr(2) != 0 {
        let old = Itimerval {
            interval: timeval(old_interval),
            value: timeval(old_value),
        };
        t.mm.write_obj(a.ptr(2), &old)?;
    }
    Ok(0)
}

fn getitimer(t: &mut Task, a: &Args) -> SysResult {
    let timer = t.itimer(itimer_kind(a.i32(0))?);
    let (value, interval) = timer.get(&t.kernel.timers);
    let v = Itimerval {
        interval: timeval(interval),
        value: timeval(value),
    };
    t.mm.write_obj(a.ptr(1), &v).map(|_| 0)
}

const SIGEV_SIGNAL: i32 = 0;
const SIGEV_NONE: i32 = 1;
const SIGEV_THREAD_ID: i32 = 4;

fn timer_create(t: &mut Task, a: &Args) -> SysResult {
    let base = match a.u32(0) {
        l::CLOCK_REALTIME | l::CLOCK_MONOTONIC | l::CLOCK_BOOTTIME | l::CLOCK_TAI => {
            TimerBase::Wall
        }
        l::CLOCK_REALTIME_ALARM | l::CLOCK_BOOTTIME_ALARM => return Err(Errno::EPERM),
        l::CLOCK_PROCESS_CPUTIME_ID | l::CLOCK_THREAD_CPUTIME_ID => TimerBase::ProcessCpu,
        _ => return Err(Errno::EINVAL),
    };
    let id_addr = a.ptr(2);
    let notify = if a.ptr(1) == 0 {
        // No sigevent: SIGALRM with the timer id as its value.
        None
    } else {
        let ev: Sigevent = t.mm.read_obj(a.ptr(1))?;
        let valid_signo = (1..=abi::signal::SIGRTMAX).contains(&ev.signo);
        Some(match ev.notify {
            SIGEV_NONE => TimerNotify::None,
            SIGEV_SIGNAL if valid_signo => TimerNotify::Signal {
                signo: ev.signo,
                value: ev.value,
            },
            SIGEV_THREAD_ID if valid_signo => {
                if !t.process.threads.lock().contains_key(&ev.tid) {
                    return Err(Errno::EINVAL);
                }
                TimerNotify::Thread {
                    signo: ev.signo,
                    value: ev.value,
                    tid: ev.tid,
                }
            }
            _ => return Err(Errno::EINVAL),
        })
    };
    t.mm.check_writable(id_addr, 4)?;
    let id = t.create_timer(a.u32(0), base, |id| {
        notify.unwrap_or(TimerNotify::Signal {
            signo: SIGALRM,
            value: id as u64,
        })
    })?;
    if let Err(e) = t.mm.write_obj(id_addr, &id) {
        let _ = t.process.timers.delete(id);
        return Err(e);
    }
    Ok(0)
}

fn timer_settime(t: &mut Task, a: &Args) -> SysResult {
    let (id, flags) = (a.i32(0), a.u32(1));
    let (timer, clock_id) = t.process.timers.posix(id)?;
    let new: Itimerspec = t.mm.read_obj(a.ptr(2))?;
    let mut value = duration_of(new.value.tv_sec, new.value.tv_nsec)?;
    let interval = duration_of(new.interval.tv_sec, new.interval.tv_nsec)?;
    let mut absolute = flags & l::TIMER_ABSTIME != 0;
    let cpu = matches!(
        clock_id,
        l::CLOCK_PROCESS_CPUTIME_ID | l::CLOCK_THREAD_CPUTIME_ID
    );
    if absolute && !cpu && !value.is_zero() {
        // An absolute time on the host clock the timer was made for: wall
        // timers count from the sandbox's start, so it becomes relative.
        let now = nix::time::clock_gettime(nix::time::ClockId::from_raw(clock_id as i32))
            .map_err(|_| Errno::EINVAL)?;
        let now = Duration::new(now.tv_sec() as u64, now.tv_nsec() as u32);
        value = value.saturating_sub(now).max(Duration::from_nanos(1));
        absolute = false;
    }
    let (old_value, old_interval) = timer.set(&t.kernel.timers, value, absolute, interval);
    write_old(t, a.ptr(3), old_value, old_interval)
}

fn write_old(t: &Task, addr: u64, value: Duration, interval: Duration) -> SysResult {
    if addr != 0 {
        let old = Itimerspec {
            interval: timespec(interval),
            value: timespec(value),
        };
        t.mm.write_obj(addr, &old)?;
    }
    Ok(0)
}

fn timer_gettime(t: &mut Task, a: &Args) -> SysResult {
    let (timer, _) = t.process.timers.posix(a.i32(0))?;
    let (value, interval) = timer.get(&t.kernel.timers);
    write_old(t, a.ptr(1), value, interval)
}

fn timer_getoverrun(t: &mut Task, a: &Args) -> SysResult {
    let (timer, _) = t.process.timers.posix(a.i32(0))?;
    Ok(timer.overrun().min(i32::MAX as u64))
}

fn timer_delete(t: &mut Task, a: &Args) -> SysResult {
    t.process.timers.delete(a.i32(0)).map(|()| 0)
}

fn ticks(d: Duration) -> i64 {
    (d.as_nanos() * HZ / 1_000_000_000) as i64
}

fn own_cpu(t: &Task) -> Duration {
    t.mm.address_space().cpu_time().unwrap_or_default()
}

fn times(t: &mut Task, a: &Args) -> SysResult {
    if a.ptr(0) != 0 {
        let tms = Tms {
            utime: ticks(own_cpu(t)),
            stime: 0,
            cutime: ticks(*t.process.children_cpu.lock()),
            cstime: 0,
        };
        t.mm.write_obj(a.ptr(0), &tms)?;
    }
    // Ticks since an arbitrary point: the sandbox's start, as Linux's boot.
    Ok(ticks(t.kernel.started.elapsed()) as u64)
}

fn getrusage(t: &mut Task, a: &Args) -> SysResult {
    let cpu = match a.i32(0) {
        0 | 1 => own_cpu(t),
        -1 => *t.process.children_cpu.lock(),
        _ => return Err(Errno::EINVAL),
    };
    let mut usage = Rusage {
        utime: timeval(cpu),
        ..Default::default()
    };
    // ru_maxrss, in KiB.
    usage.counters[0] = (t.mm.populated_bytes() / 1024) as i64;
    t.mm.write_obj(a.ptr(1), &usage).map(|_| 0)
}
