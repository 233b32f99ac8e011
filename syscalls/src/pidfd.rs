//! pidfd_open, pidfd_send_signal and pidfd_getfd (waitid's P_PIDFD is in
//! wait.rs).

use std::sync::Arc;

use abi::linux as l;
use abi::signal::SI_USER;
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::fsimpl::pidfd::PidFd;
use sentry::task::{ProcessInfo, Task};

use crate::args::{Args, Handler, SysResult};
use crate::signal::{check_signo, from_caller, queued_info, send};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const THREAD: &str = "no PIDFD_THREAD (Linux 6.9): a pidfd names a process";
    const SIGNAL: &str = "flags must be 0 (the PIDFD_SIGNAL_* scopes of Linux 6.9 are EINVAL)";
    vec![
        (l::__NR_pidfd_open, Some(pidfd_open), Partial(THREAD)),
        (
            l::__NR_pidfd_send_signal,
            Some(pidfd_send_signal),
            Partial(SIGNAL),
        ),
        (l::__NR_pidfd_getfd, Some(pidfd_getfd), Full),
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

/// Whether `caller` may take descriptors of `target` (ptrace's
/// PTRACE_MODE_ATTACH_REALCREDS rule): its own process; or the caller's real
/// ids are all of the target's and the target is dumpable; or CAP_SYS_PTRACE.
fn may_attach(caller: &Task, target: &ProcessInfo) -> bool {
    if caller.pid == target.pid {
        return true;
    }
    let (me, them) = (caller.creds(), target.creds());
    if me.has_cap(l::CAP_SYS_PTRACE) {
        return true;
    }
    let same_user = [them.uid, them.euid, them.suid]
        .iter()
        .all(|&u| u == me.uid)
        && [them.gid, them.egid, them.sgid]
            .iter()
            .all(|&g| g == me.gid);
    same_user && target.attrs.lock().dumpable != 0
}

/// A copy, in the caller, of descriptor `target_fd` of the process a pidfd
/// names: the same open file description, close-on-exec.
fn pidfd_getfd(t: &mut Task, a: &Args) -> SysResult {
    let (fd, target_fd, flags) = (a.i32(0), a.i32(1), a.u32(2));
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let file = t.fds.get(fd)?;
    let pidfd = file.ops.as_pidfd().ok_or(Errno::EBADF)?;
    let target = pidfd.live().ok_or(Errno::ESRCH)?;
    if !may_attach(t, &target) {
        return Err(Errno::EPERM);
    }
    let taken = target.fds.get(target_fd)?;
    Ok(t.fds.install(taken, true, 0, t.limit(l::RLIMIT_NOFILE))? as u64)
}
