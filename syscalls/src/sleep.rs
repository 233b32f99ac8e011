//! nanosleep and clock_nanosleep.

use std::time::{Duration, Instant};

use abi::linux as l;
use abi::types::Timespec;
use sentry::Errno;
use sentry::task::{RestartBlock, Task};
use sentry::waiter::Blocker;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (l::__NR_nanosleep, Some(nanosleep), Full),
        (l::__NR_clock_nanosleep, Some(clock_nanosleep), Full),
        (l::__NR_restart_syscall, Some(restart_syscall), Full),
    ]
}

fn read_timespec(t: &Task, addr: u64) -> Result<Duration, Errno> {
    let ts: Timespec = t.mm.read_obj(addr)?;
    if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    Ok(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

/// Sleeps for `wait` unless a signal interrupts it; then the time left is
/// written to `rem` (when not NULL), and the sleep goes on after a signal that
/// runs no handler (restart_syscall) or fails with EINTR after a handler.
fn sleep_for(t: &mut Task, wait: Duration, rem: u64) -> SysResult {
    sleep_until(t, Instant::now() + wait, rem)
}

fn sleep_until(t: &mut Task, deadline: Instant, rem: u64) -> SysResult {
    loop {
        match t.block(Some(deadline)) {
            Ok(()) => continue,
            Err(Errno::ETIMEDOUT) => return Ok(0),
            Err(e) => {
                if rem != 0 {
                    let left = deadline.saturating_duration_since(Instant::now());
                    let ts = Timespec {
                        tv_sec: left.as_secs() as i64,
                        tv_nsec: left.subsec_nanos() as i64,
                    };
                    t.mm.write_obj(rem, &ts)?;
                }
                if e != Errno::EINTR {
                    return Err(e);
                }
                t.restart_block = Some(RestartBlock {
                    deadline,
                    remaining_at: rem,
                });
                return Err(Errno::ERESTART_RESTARTBLOCK);
            }
        }
    }
}

/// restart_syscall: goes on with the call a signal interrupted (a sleep), if
/// it left a restart block; otherwise EINTR, as Linux's do_no_restart_syscall.
fn restart_syscall(t: &mut Task, _: &Args) -> SysResult {
    match t.restart_block.take() {
        Some(b) => sleep_until(t, b.deadline, b.remaining_at),
        None => Err(Errno::EINTR),
    }
}

fn nanosleep(t: &mut Task, a: &Args) -> SysResult {
    let wait = read_timespec(t, a.ptr(0))?;
    sleep_for(t, wait, a.ptr(1))
}

fn clock_nanosleep(t: &mut Task, a: &Args) -> SysResult {
    let (clock, flags) = (a.u32(0), a.u32(1));
    let host = match clock {
        l::CLOCK_REALTIME | l::CLOCK_TAI => nix::time::ClockId::CLOCK_REALTIME,
        l::CLOCK_MONOTONIC => nix::time::ClockId::CLOCK_MONOTONIC,
        l::CLOCK_BOOTTIME => nix::time::ClockId::CLOCK_BOOTTIME,
        // Linux refuses to sleep on the thread's own CPU clock.
        l::CLOCK_THREAD_CPUTIME_ID => return Err(Errno::EINVAL),
        l::CLOCK_PROCESS_CPUTIME_ID => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::EINVAL),
    };
    let request = read_timespec(t, a.ptr(2))?;
    let wait = if flags & l::TIMER_ABSTIME != 0 {
        let now = nix::time::clock_gettime(host).map_err(|_| Errno::EINVAL)?;
        request.saturating_sub(Duration::new(now.tv_sec() as u64, now.tv_nsec() as u32))
    } else {
        request
    };
    // An absolute sleep has nothing to report when interrupted.
    let rem = if flags & l::TIMER_ABSTIME != 0 {
        0
    } else {
        a.ptr(3)
    };
    sleep_for(t, wait, rem)
}
