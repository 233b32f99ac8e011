//! pidfd_open and pidfd_send_signal (waitid's P_PIDFD is in wait.rs).

use std::sync::Arc;

use abi::linux as l;
use abi::signal::SI_USER;
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::fsimpl::pidfd::PidFd;
use sentry::task::Task;

use crate::args::{Args, Handler, SysResult};
use crate::signal::{check_signo, from_caller, queued_info, send};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const THREAD: &str = "no PIDFD_THREAD: a pidfd names a process";
    const SIGNAL: &str =
        "flags must be 0; a signal that would stop the process is ENOSYS (no job control)";
    vec![
        (l::__NR_pidfd_open, Some(pidfd_open), Partial(THREAD)),
        (
            l::__NR_pidfd_send_signal,
            Some(pidfd_send_signal),
            Partial(SIGNAL),
        ),
    ]
}

/// PIDFD_NONBLOCK is O_NONBLOCK.
const PIDFD_NONBLOCK: u32 = l::O_NONBLOCK;

fn pidfd_open(t: &mut Task, a: &Args) -> SysResult {
    let (pid, flags) = (a.i32(0), a.u32(1));
    if flags & !PIDFD_NONBLOCK != 0 || pid <= 0 {
        return Err(Errno::EINVAL);
    }
    // A thread other than its process's first is not a process.
    if let Some(leader) = t.kernel.tree.process_of(pid)
        && leader != pid
    {
        return Err(Errno::EINVAL);
    }
    let ops = Arc::new(PidFd::open(&t.kernel, pid)?);
    let file = OpenFile::new(ops, l::O_RDWR | (flags & PIDFD_NONBLOCK));
    // pidfds are always close-on-exec.
    Ok(t.fds.install(file, true, 0, t.limit(l::RLIMIT_NOFILE))? as u64)
}

fn pidfd_send_signal(t: &mut Task, a: &Args) -> SysResult {
    let (fd, signo, info_addr, flags) = (a.i32(0), a.i32(1), a.ptr(2), a.u32(3));
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let file = t.fds.get(fd)?;
    let pidfd = file.ops.as_pidfd().ok_or(Errno::EBADF)?;
    check_signo(signo)?;
    let pid = pidfd.pid;
    let info = if info_addr == 0 {
        from_caller(t, signo, SI_USER)
    } else {
        let raw: abi::types::SigInfo = t.mm.read_obj(info_addr)?;
        if raw.signo() != signo {
            return Err(Errno::EINVAL);
        }
        queued_info(t, pid, signo, info_addr)?
    };
    if pidfd.live().is_none() {
        // Exited: a zombie takes and drops signals; once reaped it is gone.
        return if t.kernel.tree.is_zombie(pid) {
            Ok(0)
        } else {
            Err(Errno::ESRCH)
        };
    }
    send(t, pid, info).map(|()| 0)
}
