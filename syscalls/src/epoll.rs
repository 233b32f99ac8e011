//! epoll_create/epoll_create1, epoll_ctl, epoll_wait/epoll_pwait/epoll_pwait2.

use std::sync::Arc;

use abi::linux as l;
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::fsimpl::epoll::{EPOLLET, EPOLLEXCLUSIVE, EPOLLWAKEUP, Epoll};
use sentry::task::Task;
use sentry::waiter::events::*;

use crate::args::{Args, Handler, SysResult};
use crate::sigmask;
use crate::table::Support::{self, *};
use crate::timeout::Timeout;

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (l::__NR_epoll_create, Some(epoll_create), Full),
        (l::__NR_epoll_create1, Some(epoll_create1), Full),
        (
            l::__NR_epoll_ctl,
            Some(epoll_ctl),
            Partial("EPOLLEXCLUSIVE is accepted but every waiter is woken; EPOLLWAKEUP is ignored"),
        ),
        (l::__NR_epoll_wait, Some(epoll_wait), Full),
        (l::__NR_epoll_pwait, Some(epoll_pwait), Full),
        (l::__NR_epoll_pwait2, Some(epoll_pwait2), Full),
    ]
}

const EPOLL_CTL_ADD: u32 = 1;
const EPOLL_CTL_DEL: u32 = 2;
const EPOLL_CTL_MOD: u32 = 3;
/// `struct epoll_event` is packed on x86-64: u32 events, u64 data.
const EVENT_SIZE: usize = 12;
/// Linux's EP_MAX_EVENTS.
const MAX_EVENTS: i32 = i32::MAX / EVENT_SIZE as i32;
/// x86-64's TASK_SIZE (47-bit user addresses, less a guard page).
const TASK_SIZE: u64 = 0x7fff_ffff_f000;
/// What may come with EPOLLEXCLUSIVE.
const EXCLUSIVE_OK: u32 =
    POLLIN | POLLOUT | POLLERR | POLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

fn create(t: &Task, cloexec: bool) -> SysResult {
    let file = OpenFile::new(Arc::new(Epoll::new()), l::O_RDWR);
    Ok(t.fds.install(file, cloexec, 0, t.limit(l::RLIMIT_NOFILE))? as u64)
}

fn epoll_create(t: &mut Task, a: &Args) -> SysResult {
    if a.i32(0) <= 0 {
        return Err(Errno::EINVAL);
    }
    create(t, false)
}

fn epoll_create1(t: &mut Task, a: &Args) -> SysResult {
    let flags = a.u32(0);
    if flags & !l::O_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    create(t, flags != 0)
}

fn file(t: &Task, fd: i32) -> Result<Arc<OpenFile>, Errno> {
    t.fds
        .get(fd)
        .ok()
        .filter(|f| !f.is_path_only())
        .ok_or(Errno::EBADF)
}

fn epoll_ctl(t: &mut Task, a: &Args) -> SysResult {
    let (epfd, op, fd, event_addr) = (a.i32(0), a.u32(1), a.i32(2), a.ptr(3));
    let has_event = op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD;
    let (mut events, data) = if has_event {
        let mut raw = [0u8; EVENT_SIZE];
        t.mm.copy_in(event_addr, &mut raw)?;
        (
            u32::from_ne_bytes(raw[0..4].try_into().expect("4 bytes")),
            u64::from_ne_bytes(raw[4..12].try_into().expect("8 bytes")),
        )
    } else {
        (0, 0)
    };
    let ep_file = file(t, epfd)?;
    let target = file(t, fd)?;
    if target.ops.wait_queue().is_none() {
        return Err(Errno::EPERM);
    }
    let Some(ep) = ep_file.ops.epoll() else {
        return Err(Errno::EINVAL);
    };
    if Arc::ptr_eq(&ep_file, &target) {
        return Err(Errno::EINVAL);
    }
    if has_event && events & EPOLLEXCLUSIVE != 0 {
        if op == EPOLL_CTL_MOD {
            return Err(Errno::EINVAL);
        }
        if target.ops.epoll().is_some() || events & !EXCLUSIVE_OK != 0 {
            return Err(Errno::EINVAL);
        }
    }
    events |= POLLERR | POLLHUP;
    match op {
        EPOLL_CTL_ADD => {
            if let Some(inner) = target.ops.epoll()
                && ep.would_loop(inner)
            {
                return Err(Errno::ELOOP);
            }
            ep.add(fd, &target, events, data)?;
        }
        EPOLL_CTL_MOD => ep.modify(fd, &target, events, data)?,
        EPOLL_CTL_DEL => ep.delete(fd, &target)?,
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

fn do_wait(t: &Task, epfd: i32, addr: u64, max: i32, timeout: &Timeout) -> SysResult {
    if max <= 0 || max > MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    let end = addr.checked_add(max as u64 * EVENT_SIZE as u64);
    // Linux's access_ok: the range must lie below TASK_SIZE (mapped or not).
    if end.is_none_or(|e| e > TASK_SIZE) {
        return Err(Errno::EFAULT);
    }
    let ep_file = file(t, epfd)?;
    let ep = ep_file.ops.epoll().ok_or(Errno::EINVAL)?;
    let deadline = if timeout.zero {
        Some(std::time::Instant::now())
    } else {
        timeout.deadline()
    };
    let ready = ep.wait(max as usize, deadline, t)?;
    let mut raw = Vec::with_capacity(ready.len() * EVENT_SIZE);
    for (events, data) in &ready {
        raw.extend_from_slice(&events.to_ne_bytes());
        raw.extend_from_slice(&data.to_ne_bytes());
    }
    t.mm.copy_out(addr, &raw)?;
    Ok(ready.len() as u64)
}

fn epoll_wait(t: &mut Task, a: &Args) -> SysResult {
    do_wait(
        t,
        a.i32(0),
        a.ptr(1),
        a.i32(2),
        &Timeout::from_millis(a.i32(3)),
    )
}

fn epoll_pwait(t: &mut Task, a: &Args) -> SysResult {
    let timeout = Timeout::from_millis(a.i32(3));
    let old = sigmask::apply(t, a.ptr(4), a.usize(5))?;
    let r = do_wait(t, a.i32(0), a.ptr(1), a.i32(2), &timeout);
    sigmask::restore(t, old, &r);
    r
}

fn epoll_pwait2(t: &mut Task, a: &Args) -> SysResult {
    let timeout = Timeout::from_timespec(t, a.ptr(3))?;
    let old = sigmask::apply(t, a.ptr(4), a.usize(5))?;
    let r = do_wait(t, a.i32(0), a.ptr(1), a.i32(2), &timeout);
    sigmask::restore(t, old, &r);
    r
}
