//! timerfd_create, timerfd_settime and timerfd_gettime.

use std::sync::Arc;
use std::time::Duration;

use abi::linux as l;
use abi::types::{Itimerspec, Timespec};
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::fsimpl::timerfd::TimerFd;
use sentry::task::Task;
use sentry::task::itimers::duration_of;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const CANCEL: &str = "TFD_TIMER_CANCEL_ON_SET is accepted and never cancels (the sandbox cannot set the clock); no TFD_IOC_SET_TICKS";
    vec![
        (l::__NR_timerfd_create, Some(timerfd_create), Full),
        (
            l::__NR_timerfd_settime,
            Some(timerfd_settime),
            Partial(CANCEL),
        ),
        (l::__NR_timerfd_gettime, Some(timerfd_gettime), Full),
    ]
}

fn timerfd_create(t: &mut Task, a: &Args) -> SysResult {
    let (clock_id, flags) = (a.u32(0), a.u32(1));
    if flags & !(l::TFD_CLOEXEC | l::TFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    // Alarm clocks count as their base clock (nothing suspends the sandbox).
    let clock = match clock_id {
        l::CLOCK_REALTIME | l::CLOCK_MONOTONIC | l::CLOCK_BOOTTIME => clock_id,
        l::CLOCK_REALTIME_ALARM | l::CLOCK_BOOTTIME_ALARM => {
            if !t.creds().has_cap(l::CAP_WAKE_ALARM) {
                return Err(Errno::EPERM);
            }
            if clock_id == l::CLOCK_REALTIME_ALARM {
                l::CLOCK_REALTIME
            } else {
                l::CLOCK_BOOTTIME
            }
        }
        _ => return Err(Errno::EINVAL),
    };
    let file = OpenFile::new(
        Arc::new(TimerFd::new(clock)),
        l::O_RDWR | (flags & l::TFD_NONBLOCK),
    );
    let cloexec = flags & l::TFD_CLOEXEC != 0;
    Ok(t.fds.install(file, cloexec, 0, t.limit(l::RLIMIT_NOFILE))? as u64)
}

fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: d.as_secs() as i64,
        tv_nsec: d.subsec_nanos() as i64,
    }
}

fn write_spec(t: &Task, addr: u64, (value, interval): (Duration, Duration)) -> SysResult {
    if addr != 0 {
        let spec = Itimerspec {
            interval: timespec(interval),
            value: timespec(value),
        };
        t.mm.write_obj(addr, &spec)?;
    }
    Ok(0)
}

fn timerfd_settime(t: &mut Task, a: &Args) -> SysResult {
    let (fd, flags, new_addr, old_addr) = (a.i32(0), a.u32(1), a.ptr(2), a.ptr(3));
    if flags & !(l::TFD_TIMER_ABSTIME | l::TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(Errno::EINVAL);
    }
    let new: Itimerspec = t.mm.read_obj(new_addr)?;
    let mut value = duration_of(new.value.tv_sec, new.value.tv_nsec)?;
    let interval = duration_of(new.interval.tv_sec, new.interval.tv_nsec)?;
    let file = t.fds.get(fd)?;
    let tfd = file.ops.as_timerfd().ok_or(Errno::EINVAL)?;
    if flags & l::TFD_TIMER_ABSTIME != 0 && !value.is_zero() {
        // Wall timers count from the sandbox's start: an absolute time on the
        // file's host clock becomes relative (one already past fires at once).
        let now = nix::time::clock_gettime(nix::time::ClockId::from_raw(tfd.clock_id as i32))
            .map_err(|_| Errno::EINVAL)?;
        let now = Duration::new(now.tv_sec() as u64, now.tv_nsec() as u32);
        value = value.saturating_sub(now).max(Duration::from_nanos(1));
    }
    let old = tfd.set(&t.kernel.timers, value, interval);
    write_spec(t, old_addr, old)
}

fn timerfd_gettime(t: &mut Task, a: &Args) -> SysResult {
    let file = t.fds.get(a.i32(0))?;
    let tfd = file.ops.as_timerfd().ok_or(Errno::EINVAL)?;
    let cur = tfd.get(&t.kernel.timers);
    write_spec(t, a.ptr(1), cur)
}
