//! futex: wait and wake (with bitsets), requeue, wake-op and PI locks, on
//! private futexes and on shared ones in MAP_SHARED memory.

use std::time::{Duration, Instant};

use abi::linux as l;
use abi::types::Timespec;
use sentry::Errno;
use sentry::futex::{FutexKey, PiLock};
use sentry::task::Task;

use crate::args::{Args, Handler, SysResult};
use crate::blocking::restartable;
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const NOTE: &str = "no priority inheritance (PI locks hand over in FIFO order); FUTEX_WAIT_REQUEUE_PI and FUTEX_CMP_REQUEUE_PI are ENOSYS";
    vec![(l::__NR_futex, Some(futex), Partial(NOTE))]
}

const FUTEX_WAIT: u32 = 0;
const FUTEX_WAKE: u32 = 1;
const FUTEX_REQUEUE: u32 = 3;
const FUTEX_CMP_REQUEUE: u32 = 4;
const FUTEX_WAKE_OP: u32 = 5;
const FUTEX_LOCK_PI: u32 = 6;
const FUTEX_UNLOCK_PI: u32 = 7;
const FUTEX_TRYLOCK_PI: u32 = 8;
const FUTEX_WAIT_BITSET: u32 = 9;
const FUTEX_WAKE_BITSET: u32 = 10;
const FUTEX_LOCK_PI2: u32 = 13;
const FUTEX_PRIVATE_FLAG: u32 = 128;
const FUTEX_CLOCK_REALTIME: u32 = 256;

fn key(t: &Task, addr: u64, private: bool) -> Result<FutexKey, Errno> {
    if !addr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    t.mm.futex_place(addr, private)
}

/// Converts a futex timeout to a deadline: relative for FUTEX_WAIT, absolute on
/// CLOCK_MONOTONIC (or CLOCK_REALTIME) for FUTEX_WAIT_BITSET and the PI locks.
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

/// FUTEX_WAKE_OP's `val3`: the operation on the second word and the test of
/// its old value.
fn wake_op_update(encoded: u32, old: u32) -> Result<(u32, bool), Errno> {
    let op = (encoded >> 28) & 7;
    let shift_arg = encoded & (8 << 28) != 0;
    let cmp = (encoded >> 24) & 15;
    let mut oparg = (encoded >> 12) & 0xfff;
    let cmparg = encoded & 0xfff;
    // 12-bit fields are sign-extended, as Linux does.
    let sext = |v: u32| ((v << 20) as i32 >> 20) as u32;
    oparg = sext(oparg);
    if shift_arg {
        if oparg > 31 {
            return Err(Errno::EINVAL);
        }
        oparg = 1 << oparg;
    }
    let new = match op {
        0 => oparg,
        1 => old.wrapping_add(oparg),
        2 => old | oparg,
        3 => old & !oparg,
        4 => old ^ oparg,
        _ => return Err(Errno::ENOSYS),
    };
    let (o, c) = (old as i32, sext(cmparg) as i32);
    let test = match cmp {
        0 => o == c,
        1 => o != c,
        2 => o < c,
        3 => o <= c,
        4 => o > c,
        5 => o >= c,
        _ => return Err(Errno::ENOSYS),
    };
    Ok((new, test))
}

fn futex(t: &mut Task, a: &Args) -> SysResult {
    let (addr, op, val) = (a.ptr(0), a.u32(1), a.u32(2));
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    let private = op & FUTEX_PRIVATE_FLAG != 0;
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    if realtime && !matches!(cmd, FUTEX_WAIT | FUTEX_WAIT_BITSET | FUTEX_LOCK_PI2) {
        return Err(Errno::ENOSYS);
    }
    let bitset = match cmd {
        FUTEX_WAIT_BITSET | FUTEX_WAKE_BITSET => a.u32(5),
        _ => u32::MAX,
    };
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    // The fourth argument is a count, not a timeout, for these.
    let count2 = a.u32(3) as i32;
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let key = key(t, addr, private)?;
            let deadline = deadline(t, a.ptr(3), cmd == FUTEX_WAIT_BITSET, realtime)?;
            let mm = t.mm.clone();
            restartable(t.kernel.futexes.wait(key, bitset, deadline, t, || {
                Ok(mm.read_obj::<u32>(addr)? == val)
            }))?;
            Ok(0)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let key = key(t, addr, private)?;
            Ok(t.kernel.futexes.wake(key, val as usize, bitset) as u64)
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            if (val as i32) < 0 || count2 < 0 {
                return Err(Errno::EINVAL);
            }
            let (from, to) = (key(t, addr, private)?, key(t, a.ptr(4), private)?);
            let expected = a.u32(5);
            let mm = t.mm.clone();
            t.kernel
                .futexes
                .requeue(from, to, val as usize, count2 as usize, || {
                    Ok(cmd == FUTEX_REQUEUE || mm.read_obj::<u32>(addr)? == expected)
                })
                .map(|n| n as u64)
        }
        FUTEX_WAKE_OP => {
            let (k1, addr2) = (key(t, addr, private)?, a.ptr(4));
            let k2 = key(t, addr2, private)?;
            let encoded = a.u32(5);
            wake_op_update(encoded, 0)?;
            let mm = t.mm.clone();
            t.kernel
                .futexes
                .wake_op(k1, k2, val as usize, count2.max(0) as usize, || {
                    let mut test = false;
                    mm.atomic_update_u32(addr2, |old| {
                        let (new, t) = wake_op_update(encoded, old).ok()?;
                        test = t;
                        Some(new)
                    })?;
                    Ok(test)
                })
                .map(|n| n as u64)
        }
        FUTEX_LOCK_PI | FUTEX_LOCK_PI2 | FUTEX_TRYLOCK_PI => {
            let key = key(t, addr, private)?;
            // LOCK_PI's timeout is absolute on CLOCK_REALTIME; LOCK_PI2's on
            // CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME.
            let rt = cmd == FUTEX_LOCK_PI || realtime;
            let deadline = if cmd == FUTEX_TRYLOCK_PI {
                None
            } else {
                deadline(t, a.ptr(3), true, rt)?
            };
            let mm = t.mm.clone();
            let word = move |f: &mut dyn FnMut(u32) -> Option<u32>| mm.atomic_update_u32(addr, f);
            let kernel = t.kernel.clone();
            let alive = |tid: i32| kernel.tree.process_of(tid).is_some();
            let req = PiLock {
                tid: t.tid,
                try_only: cmd == FUTEX_TRYLOCK_PI,
                deadline,
            };
            let r = t.kernel.futexes.lock_pi(key, req, t, &word, alive);
            restartable(r).map(|()| 0)
        }
        FUTEX_UNLOCK_PI => {
            let key = key(t, addr, private)?;
            let mm = t.mm.clone();
            let word = move |f: &mut dyn FnMut(u32) -> Option<u32>| mm.atomic_update_u32(addr, f);
            t.kernel.futexes.unlock_pi(key, t.tid, &word).map(|()| 0)
        }
        _ => Err(Errno::ENOSYS),
    }
}
