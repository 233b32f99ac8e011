//! signalfd and signalfd4: reading pending signals from a descriptor.

use std::sync::Arc;

use abi::linux as l;
use abi::types::KERNEL_SIGSET_SIZE;
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::fsimpl::signalfd::SignalFd;
use sentry::task::Task;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const NOTE: &str = "a signalfd polled from another process wakes on its creator's signals only";
    vec![
        (l::__NR_signalfd, Some(signalfd), Partial(NOTE)),
        (l::__NR_signalfd4, Some(signalfd4), Partial(NOTE)),
    ]
}

/// SFD_CLOEXEC and SFD_NONBLOCK are O_CLOEXEC and O_NONBLOCK.
fn create(t: &Task, fd: i32, mask_addr: u64, size: usize, flags: u32) -> SysResult {
    if flags & !(l::O_CLOEXEC | l::O_NONBLOCK) != 0 || size != KERNEL_SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let mask: u64 = t.mm.read_obj(mask_addr)?;
    if fd != -1 {
        // An existing signalfd gets the new mask; its flags stay.
        let file = t.fds.get(fd)?;
        let sfd = file.ops.as_signalfd().ok_or(Errno::EINVAL)?;
        sfd.set_mask(mask);
        return Ok(fd as u64);
    }
    let ops = Arc::new(SignalFd::new(&t.process, mask));
    let file = OpenFile::new(ops, l::O_RDWR | (flags & l::O_NONBLOCK));
    let cloexec = flags & l::O_CLOEXEC != 0;
    Ok(t.fds.install(file, cloexec, 0, t.limit(l::RLIMIT_NOFILE))? as u64)
}

fn signalfd(t: &mut Task, a: &Args) -> SysResult {
    create(t, a.i32(0), a.ptr(1), a.usize(2), 0)
}

fn signalfd4(t: &mut Task, a: &Args) -> SysResult {
    create(t, a.i32(0), a.ptr(1), a.usize(2), a.u32(3))
}
