//! poll and ppoll, and the wait on a set of files that select shares.

use std::sync::Arc;

use abi::linux as l;
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::task::Task;
use sentry::waiter::Blocker;
use sentry::waiter::events::*;

use crate::args::{Args, Handler, SysResult};
use crate::sigmask;
use crate::table::Support::{self, *};
use crate::timeout::{Timeout, WriteBack, write_back};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (l::__NR_poll, Some(poll), Full),
        (l::__NR_ppoll, Some(ppoll), Full),
    ]
}

/// The open file at `fd` for polling: O_PATH descriptors do not count, as on
/// Linux.
pub(crate) fn pollable(t: &Task, fd: i32) -> Option<Arc<OpenFile>> {
    t.fds.get(fd).ok().filter(|f| !f.is_path_only())
}

/// Waits until `scan` counts something ready, the timeout passes (one last
/// scan) or a signal interrupts (EINTR). `files` are registered on for `mask`.
pub(crate) fn wait_files(
    t: &Task,
    files: &[(&OpenFile, u32)],
    timeout: &Timeout,
    mut scan: impl FnMut() -> usize,
) -> Result<usize, Errno> {
    let n = scan();
    if n > 0 || timeout.zero {
        return Ok(n);
    }
    let waker = t.waker();
    let _watches: Vec<_> = files
        .iter()
        .filter_map(|(f, mask)| {
            f.ops
                .wait_queue()
                .map(|q| q.watch(mask | ALWAYS, waker.clone()))
        })
        .collect();
    loop {
        let n = scan();
        if n > 0 {
            return Ok(n);
        }
        match t.block(timeout.deadline()) {
            Ok(()) => {}
            Err(Errno::ETIMEDOUT) => return Ok(scan()),
            Err(e) => return crate::blocking::restart_without_handler(Err(e)),
        }
    }
}

/// One `struct pollfd`.
#[derive(Clone, Copy)]
struct PollFd {
    fd: i32,
    events: u16,
    revents: u16,
}

const POLLFD_SIZE: usize = 8;

fn do_poll(t: &Task, addr: u64, nfds: u64, timeout: &Timeout) -> SysResult {
    if nfds > t.limit(l::RLIMIT_NOFILE) {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; nfds as usize * POLLFD_SIZE];
    t.mm.copy_in(addr, &mut raw)?;
    let mut fds: Vec<PollFd> = raw
        .chunks_exact(POLLFD_SIZE)
        .map(|c| PollFd {
            fd: i32::from_ne_bytes(c[0..4].try_into().expect("4 bytes")),
            events: u16::from_ne_bytes(c[4..6].try_into().expect("2 bytes")),
            revents: 0,
        })
        .collect();
    let files: Vec<Option<Arc<OpenFile>>> = fds
        .iter()
        .map(|p| if p.fd < 0 { None } else { pollable(t, p.fd) })
        .collect();
    let watch: Vec<(&OpenFile, u32)> = fds
        .iter()
        .zip(&files)
        .filter_map(|(p, f)| f.as_deref().map(|f| (f, p.events as u32)))
        .collect();
    let n = wait_files(t, &watch, timeout, || {
        let mut count = 0;
        for (p, f) in fds.iter_mut().zip(&files) {
            let filter = p.events as u32 | POLLERR | POLLHUP;
            p.revents = match f {
                _ if p.fd < 0 => 0,
                None => POLLNVAL as u16,
                Some(f) => (f.ops.readiness(filter) & filter) as u16,
            };
            count += (p.revents != 0) as usize;
        }
        count
    })?;
    for (c, p) in raw.chunks_exact_mut(POLLFD_SIZE).zip(&fds) {
        c[6..8].copy_from_slice(&p.revents.to_ne_bytes());
    }
    t.mm.copy_out(addr, &raw)?;
    Ok(n as u64)
}

fn poll(t: &mut Task, a: &Args) -> SysResult {
    let timeout = Timeout::from_millis(a.i32(2));
    do_poll(t, a.ptr(0), a.u32(1) as u64, &timeout)
}

fn ppoll(t: &mut Task, a: &Args) -> SysResult {
    let (fds, nfds, tsp) = (a.ptr(0), a.u32(1) as u64, a.ptr(2));
    let timeout = Timeout::from_timespec(t, tsp)?;
    let old = sigmask::apply(t, a.ptr(3), a.usize(4))?;
    let r = do_poll(t, fds, nfds, &timeout);
    sigmask::restore(t, old, &r);
    write_back(t, tsp, &timeout, WriteBack::Timespec);
    r
}
