//! Clocks: read from the host's clocks (through the sentry's vDSO), CPU time from
//! the platform.

use abi::linux as l;
use abi::types::{Timespec, Timeval, Timezone};
use sentry::Errno;
use sentry::task::Task;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const CPU: &str =
        "CLOCK_THREAD_CPUTIME_ID counts the whole process; other processes' clocks EINVAL";
    vec![
        (l::__NR_clock_gettime, Some(clock_gettime), Partial(CPU)),
        (l::__NR_clock_getres, Some(clock_getres), Partial(CPU)),
        (l::__NR_gettimeofday, Some(gettimeofday), Full),
        (l::__NR_time, Some(time), Full),
    ]
}

enum Clock {
    /// A host clock with the same meaning.
    Host(nix::time::ClockId),
    /// CPU time of the application.
    Cpu,
}

fn clock(id: i32) -> Result<Clock, Errno> {
    let host = |c: u32| Ok(Clock::Host(nix::time::ClockId::from_raw(c as i32)));
    match id as u32 {
        c @ (l::CLOCK_REALTIME
        | l::CLOCK_MONOTONIC
        | l::CLOCK_MONOTONIC_RAW
        | l::CLOCK_REALTIME_COARSE
        | l::CLOCK_MONOTONIC_COARSE
        | l::CLOCK_BOOTTIME
        | l::CLOCK_TAI) => host(c),
        l::CLOCK_REALTIME_ALARM => host(l::CLOCK_REALTIME),
        l::CLOCK_BOOTTIME_ALARM => host(l::CLOCK_BOOTTIME),
        l::CLOCK_PROCESS_CPUTIME_ID | l::CLOCK_THREAD_CPUTIME_ID => Ok(Clock::Cpu),
        _ => Err(Errno::EINVAL),
    }
}

fn now(t: &Task, c: &Clock) -> Result<Timespec, Errno> {
    match c {
        Clock::Host(id) => {
            let ts = nix::time::clock_gettime(*id).map_err(|_| Errno::EINVAL)?;
            Ok(Timespec {
                tv_sec: ts.tv_sec(),
                tv_nsec: ts.tv_nsec(),
            })
        }
        Clock::Cpu => {
            let d = t.mm.address_space().cpu_time().unwrap_or_default();
            Ok(Timespec {
                tv_sec: d.as_secs() as i64,
                tv_nsec: d.subsec_nanos() as i64,
            })
        }
    }
}

fn clock_gettime(t: &mut Task, a: &Args) -> SysResult {
    let ts = now(t, &clock(a.i32(0))?)?;
    t.mm.write_obj(a.ptr(1), &ts).map(|_| 0)
}

fn clock_getres(t: &mut Task, a: &Args) -> SysResult {
    let res = match clock(a.i32(0))? {
        Clock::Host(id) => {
            let r = nix::time::clock_getres(id).map_err(|_| Errno::EINVAL)?;
            Timespec {
                tv_sec: r.tv_sec(),
                tv_nsec: r.tv_nsec(),
            }
        }
        Clock::Cpu => Timespec {
            tv_sec: 0,
            tv_nsec: 1,
        },
    };
    if a.ptr(1) != 0 {
        t.mm.write_obj(a.ptr(1), &res)?;
    }
    Ok(0)
}

fn realtime(t: &Task) -> Result<Timespec, Errno> {
    now(t, &Clock::Host(nix::time::ClockId::CLOCK_REALTIME))
}

fn gettimeofday(t: &mut Task, a: &Args) -> SysResult {
    if a.ptr(0) != 0 {
        let ts = realtime(t)?;
        t.mm.write_obj(
            a.ptr(0),
            &Timeval {
                tv_sec: ts.tv_sec,
                tv_usec: ts.tv_nsec / 1000,
            },
        )?;
    }
    if a.ptr(1) != 0 {
        // The sandbox runs in UTC.
        t.mm.write_obj(a.ptr(1), &Timezone::default())?;
    }
    Ok(0)
}

fn time(t: &mut Task, a: &Args) -> SysResult {
    let secs = realtime(t)?.tv_sec;
    if a.ptr(0) != 0 {
        t.mm.write_obj(a.ptr(0), &secs)?;
    }
    Ok(secs as u64)
}
