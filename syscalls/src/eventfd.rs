//! eventfd and eventfd2.

use std::sync::Arc;

use abi::linux as l;
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::fsimpl::eventfd::EventFd;
use sentry::task::Task;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (l::__NR_eventfd, Some(eventfd), Full),
        (l::__NR_eventfd2, Some(eventfd2), Full),
    ]
}

const EFD_SEMAPHORE: u32 = 1;

fn create(t: &Task, initial: u32, flags: u32) -> SysResult {
    if flags & !(EFD_SEMAPHORE | l::O_CLOEXEC | l::O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let ops = Arc::new(EventFd::new(initial as u64, flags & EFD_SEMAPHORE != 0));
    let file = OpenFile::new(ops, l::O_RDWR | (flags & l::O_NONBLOCK));
    let cloexec = flags & l::O_CLOEXEC != 0;
    Ok(t.fds.install(file, cloexec, 0, t.limit(l::RLIMIT_NOFILE))? as u64)
}

fn eventfd(t: &mut Task, a: &Args) -> SysResult {
    create(t, a.u32(0), 0)
}

fn eventfd2(t: &mut Task, a: &Args) -> SysResult {
    create(t, a.u32(0), a.u32(1))
}
