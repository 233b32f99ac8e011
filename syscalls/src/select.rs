//! select and pselect6: poll over descriptor bit sets.

use std::sync::Arc;

use abi::linux as l;
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::task::Task;
use sentry::waiter::events::*;

use crate::args::{Args, Handler, SysResult};
use crate::poll::{pollable, wait_files};
use crate::sigmask;
use crate::table::Support::{self, *};
use crate::timeout::{Timeout, WriteBack, write_back};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (l::__NR_select, Some(select), Full),
        (l::__NR_pselect6, Some(pselect6), Full),
    ]
}

/// Linux's select sets: what counts as readable, writable, exceptional.
const IN_SET: u32 = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const OUT_SET: u32 = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const EX_SET: u32 = POLLPRI;

/// The size of Linux's descriptor table for a process whose highest descriptor
/// is `highest` (64 at first, then multiples of 128 rounded to a power of two):
/// select ignores bits beyond it.
fn max_fds(highest: Option<i32>) -> usize {
    let Some(h) = highest.filter(|&h| h >= 64) else {
        return 64;
    };
    let per_kib = 1024 / 8;
    ((h as usize / per_kib) + 1).next_power_of_two() * per_kib
}

fn read_set(t: &Task, addr: u64, bytes: usize) -> Result<Option<Vec<u8>>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let mut v = vec![0u8; bytes];
    t.mm.copy_in(addr, &mut v)?;
    Ok(Some(v))
}

fn bit(set: &[u8], fd: usize) -> bool {
    set[fd / 8] & (1 << (fd % 8)) != 0
}

fn do_select(t: &Task, nfds: i32, sets: [u64; 3], timeout: &Timeout) -> SysResult {
    if nfds < 0 {
        return Err(Errno::EINVAL);
    }
    let highest = t.fds.in_range(0, i32::MAX).last().copied();
    let n = (nfds as usize).min(max_fds(highest));
    // Whole longs, as Linux copies them.
    let bytes = n.div_ceil(64) * 8;
    let ins = [
        read_set(t, sets[0], bytes)?,
        read_set(t, sets[1], bytes)?,
        read_set(t, sets[2], bytes)?,
    ];
    let masks = [IN_SET, OUT_SET, EX_SET];
    let mut wanted: Vec<(usize, Arc<OpenFile>, u32)> = Vec::new();
    for fd in 0..n {
        let mask: u32 = (0..3)
            .filter(|&i| ins[i].as_ref().is_some_and(|s| bit(s, fd)))
            .map(|i| masks[i])
            .fold(0, |a, m| a | m);
        if mask == 0 {
            continue;
        }
        let f = pollable(t, fd as i32).ok_or(Errno::EBADF)?;
        wanted.push((fd, f, mask));
    }
    let mut outs = [vec![0u8; bytes], vec![0u8; bytes], vec![0u8; bytes]];
    let watch: Vec<(&OpenFile, u32)> = wanted.iter().map(|(_, f, m)| (&**f, *m)).collect();
    let count = wait_files(t, &watch, timeout, || {
        let mut count = 0;
        for o in outs.iter_mut() {
            o.fill(0);
        }
        for (fd, f, mask) in &wanted {
            let ready = f.ops.readiness(*mask);
            for i in 0..3 {
                if ready & masks[i] != 0 && ins[i].as_ref().is_some_and(|s| bit(s, *fd)) {
                    outs[i][fd / 8] |= 1 << (fd % 8);
                    count += 1;
                }
            }
        }
        count
    })?;
    for i in 0..3 {
        if sets[i] != 0 {
            t.mm.copy_out(sets[i], &outs[i])?;
        }
    }
    Ok(count as u64)
}

fn select(t: &mut Task, a: &Args) -> SysResult {
    let tvp = a.ptr(4);
    let timeout = Timeout::from_timeval(t, tvp)?;
    let r = do_select(t, a.i32(0), [a.ptr(1), a.ptr(2), a.ptr(3)], &timeout);
    write_back(t, tvp, &timeout, WriteBack::Timeval);
    r
}

fn pselect6(t: &mut Task, a: &Args) -> SysResult {
    let tsp = a.ptr(4);
    let timeout = Timeout::from_timespec(t, tsp)?;
    // The sixth argument points at { const sigset_t *ss; size_t ss_len; }.
    let (mask_addr, mask_size) = if a.ptr(5) != 0 {
        let pair: [u64; 2] = t.mm.read_obj(a.ptr(5))?;
        (pair[0], pair[1] as usize)
    } else {
        (0, 0)
    };
    let old = sigmask::apply(t, mask_addr, mask_size)?;
    let r = do_select(t, a.i32(0), [a.ptr(1), a.ptr(2), a.ptr(3)], &timeout);
    sigmask::restore(t, old, &r);
    write_back(t, tsp, &timeout, WriteBack::Timespec);
    r
}
