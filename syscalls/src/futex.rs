//! futex: WAIT and WAKE (with bitsets) on private futexes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use abi::linux as l;
use abi::types::Timespec;
use sentry::Errno;
use sentry::futex::FutexKey;
use sentry::task::Task;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const NOTE: &str = "WAIT/WAKE/WAIT_BITSET/WAKE_BITSET, private to an address space; requeue, WAKE_OP and PI are ENOSYS";
    vec![(l::__NR_futex, Some(futex), Partial(NOTE))]
}

const FUTEX_WAIT: u32 = 0;
const FUTEX_WAKE: u32 = 1;
const FUTEX_WAIT_BITSET: u32 = 9;
const FUTEX_WAKE_BITSET: u32 = 10;
const FUTEX_PRIVATE_FLAG: u32 = 128;
const FUTEX_CLOCK_REALTIME: u32 = 256;

fn key(t: &Task, addr: u64) -> Result<FutexKey, Errno> {
    if !addr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    Ok(FutexKey {
        space: Arc::as_ptr(&t.mm) as usize,
        addr,
    })
}

/// Converts a futex timeout to a deadline: relative for FUTEX_WAIT, absolute on
/// CLOCK_MONOTONIC (or CLOCK_REALTIME) for FUTEX_WAIT_BITSET.
fn deadline(t: &Task, addr: u64, absolute: bool, realtime: bool) -> Result<Option<Instant>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let ts: Timespec = t.mm.read_obj(addr)?;
    if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    let mut wait = Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
    if absolute {
        let clock = if realtime {
            nix::time::ClockId::CLOCK_REALTIME
        } else {
            nix::time::ClockId::CLOCK_MONOTONIC
        };
        let now = nix::time::clock_gettime(clock).map_err(|_| Errno::EINVAL)?;
        let now = Duration::new(now.tv_sec() as u64, now.tv_nsec() as u32);
        wait = wait.saturating_sub(now);
    }
    // A deadline too far away to represent is no deadline.
    Ok(Instant::now().checked_add(wait))
}

fn futex(t: &mut Task, a: &Args) -> SysResult {
    let (addr, op, val) = (a.ptr(0), a.u32(1), a.u32(2));
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    if realtime && cmd != FUTEX_WAIT_BITSET {
        return Err(Errno::ENOSYS);
    }
    let bitset = match cmd {
        FUTEX_WAIT_BITSET | FUTEX_WAKE_BITSET => a.u32(5),
        _ => u32::MAX,
    };
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let key = key(t, addr)?;
            let deadline = deadline(t, a.ptr(3), cmd == FUTEX_WAIT_BITSET, realtime)?;
            let mm = t.mm.clone();
            crate::blocking::restartable(t.kernel.futexes.wait(key, bitset, deadline, t, || {
                Ok(mm.read_obj::<u32>(addr)? == val)
            }))?;
            Ok(0)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let key = key(t, addr)?;
            Ok(t.kernel.futexes.wake(key, val as usize, bitset) as u64)
        }
        _ => Err(Errno::ENOSYS),
    }
}
