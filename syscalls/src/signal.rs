//! Sending signals, dispositions and masks (handlers are not invoked yet).

use abi::linux as l;
use abi::signal::{SIGKILL, SIGPIPE, SIGRTMAX, SIGSTOP};
use abi::types::{KERNEL_SIGSET_SIZE, KernelSigaction};
use sentry::Errno;
use sentry::task::{
    Credentials, DefaultAction, SIG_DFL, SIG_IGN, Task, UNBLOCKABLE, signal_process, tree,
};

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const NOTE: &str = "recorded; handlers are not invoked yet (faults terminate)";
    const KILL: &str = "terminating, ignored and blocked signals; a signal that would run a handler or stop the process is ENOSYS until signal delivery and job control exist";
    vec![
        (l::__NR_rt_sigaction, Some(rt_sigaction), Partial(NOTE)),
        (l::__NR_rt_sigprocmask, Some(rt_sigprocmask), Partial(NOTE)),
        (l::__NR_kill, Some(kill), Partial(KILL)),
        (l::__NR_tkill, Some(tkill), Partial(KILL)),
        (l::__NR_tgkill, Some(tgkill), Partial(KILL)),
    ]
}

/// Raises SIGPIPE for a write to a pipe without readers (a handler cannot run
/// yet: if one is set, the signal is discarded and the write just fails with EPIPE).
pub fn raise_sigpipe(t: &Task) {
    let _ = signal_process(&t.kernel, t.pid, SIGPIPE);
}

/// Whether the caller may signal `target` (kill(2)'s permission rule).
fn may_signal(sender: &Credentials, target: &Credentials) -> bool {
    sender.euid == 0
        || [sender.uid, sender.euid].contains(&target.uid)
        || [sender.uid, sender.euid].contains(&target.suid)
}

/// Sends `signo` to process `pid` on behalf of `t`.
fn send(t: &Task, pid: i32, signo: i32) -> Result<(), Errno> {
    let Some(target) = t.kernel.process(pid) else {
        // A zombie accepts signals and ignores them; a missing pid is ESRCH.
        return signal_process(&t.kernel, pid, 0);
    };
    if !may_signal(&t.creds(), &target.creds()) {
        return Err(Errno::EPERM);
    }
    if signo == 0 {
        return Ok(());
    }
    let handler = target.signals.action(signo).handler;
    let stops = handler == SIG_DFL && DefaultAction::of(signo) == DefaultAction::Stop;
    if signo != SIGKILL && (handler > SIG_IGN || stops) {
        tracing::warn!(
            "signal {signo} to {pid} needs a handler or a stop, which are not implemented yet"
        );
        return Err(Errno::ENOSYS);
    }
    signal_process(&t.kernel, pid, signo)
}

fn check_signo(signo: i32) -> Result<(), Errno> {
    if (0..=SIGRTMAX).contains(&signo) {
        Ok(())
    } else {
        Err(Errno::EINVAL)
    }
}

fn kill(t: &mut Task, a: &Args) -> SysResult {
    let (pid, signo) = (a.i32(0), a.i32(1));
    check_signo(signo)?;
    let targets = match pid {
        p if p > 0 => return send(t, p, signo).map(|()| 0),
        i32::MIN => return Err(Errno::ESRCH),
        0 => t.kernel.tree.group_members(t.kernel.tree.pgid(t.pid)?),
        -1 => t
            .kernel
            .tree
            .live_pids()
            .into_iter()
            .filter(|&p| p != tree::INIT_PID && p != t.pid)
            .collect(),
        p => t.kernel.tree.group_members(-p),
    };
    // A group send succeeds if any member got the signal.
    let mut result = Err(Errno::ESRCH);
    for p in targets {
        match send(t, p, signo) {
            Ok(()) => result = Ok(0),
            Err(e) if result.is_err() => result = Err(e),
            Err(_) => {}
        }
    }
    result
}

fn tkill(t: &mut Task, a: &Args) -> SysResult {
    let (tid, signo) = (a.i32(0), a.i32(1));
    check_signo(signo)?;
    if tid <= 0 {
        return Err(Errno::EINVAL);
    }
    // Every process has one thread, whose tid is its pid.
    send(t, tid, signo).map(|()| 0)
}

fn tgkill(t: &mut Task, a: &Args) -> SysResult {
    let (tgid, tid, signo) = (a.i32(0), a.i32(1), a.i32(2));
    check_signo(signo)?;
    if tgid <= 0 || tid <= 0 {
        return Err(Errno::EINVAL);
    }
    if tgid != tid {
        return Err(Errno::ESRCH);
    }
    send(t, tid, signo).map(|()| 0)
}

fn rt_sigaction(t: &mut Task, a: &Args) -> SysResult {
    let (signo, act, oact) = (a.i32(0), a.ptr(1), a.ptr(2));
    if a.usize(3) != KERNEL_SIGSET_SIZE || !(1..=SIGRTMAX).contains(&signo) {
        return Err(Errno::EINVAL);
    }
    let new = if act != 0 {
        Some(t.mm.read_obj::<KernelSigaction>(act)?)
    } else {
        None
    };
    if new.is_some() && (signo == SIGKILL || signo == SIGSTOP) {
        return Err(Errno::EINVAL);
    }
    let old = t.process.signals.action(signo);
    if let Some(mut new) = new {
        new.mask &= !UNBLOCKABLE;
        t.process.signals.set_action(signo, new);
    }
    if oact != 0 {
        t.mm.write_obj(oact, &old)?;
    }
    Ok(0)
}

fn rt_sigprocmask(t: &mut Task, a: &Args) -> SysResult {
    let (how, set, oset) = (a.u32(0), a.ptr(1), a.ptr(2));
    if a.usize(3) != KERNEL_SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let old = t.signals.mask;
    if set != 0 {
        let new: u64 = t.mm.read_obj(set)?;
        let mask = match how {
            h if h == l::SIG_BLOCK => old | new,
            h if h == l::SIG_UNBLOCK => old & !new,
            h if h == l::SIG_SETMASK => new,
            _ => return Err(Errno::EINVAL),
        };
        t.signals.mask = mask & !UNBLOCKABLE;
    }
    if oset != 0 {
        t.mm.write_obj(oset, &old)?;
    }
    Ok(0)
}
