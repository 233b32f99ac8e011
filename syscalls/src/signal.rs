//! Signal dispositions and masks (bookkeeping: delivery comes with signal frames).

use abi::linux as l;
use abi::signal::{SIGKILL, SIGPIPE, SIGRTMAX, SIGSTOP};
use abi::types::{KERNEL_SIGSET_SIZE, KernelSigaction};
use sentry::Errno;
use sentry::task::{ExitStatus, Task, UNBLOCKABLE};

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const NOTE: &str = "recorded; handlers are not invoked yet (faults terminate)";
    const KILL: &str = "only to the sandbox's own process, with default or ignored dispositions; handlers, blocked and stop signals are ENOSYS until signal delivery exists";
    vec![
        (l::__NR_rt_sigaction, Some(rt_sigaction), Partial(NOTE)),
        (l::__NR_rt_sigprocmask, Some(rt_sigprocmask), Partial(NOTE)),
        (l::__NR_kill, Some(kill), Partial(KILL)),
        (l::__NR_tkill, Some(tkill), Partial(KILL)),
        (l::__NR_tgkill, Some(tgkill), Partial(KILL)),
    ]
}

/// Signals whose default action is to do nothing.
const DEFAULT_IGNORED: [i32; 4] = [
    abi::signal::SIGCHLD,
    abi::signal::SIGCONT,
    23, /* SIGURG */
    28, /* SIGWINCH */
];
/// Signals whose default action is to stop.
const DEFAULT_STOP: [i32; 4] = [
    SIGSTOP, 20, /* SIGTSTP */
    21, /* SIGTTIN */
    22, /* SIGTTOU */
];

/// Sends `signo` to the calling process, which is the only one there is.
fn signal_self(t: &mut Task, signo: i32) -> SysResult {
    if !(0..=SIGRTMAX).contains(&signo) {
        return Err(Errno::EINVAL);
    }
    if signo == 0 {
        return Ok(0);
    }
    let handler = t.signals.action(signo).handler;
    let blocked = t.signals.mask & (1 << (signo - 1)) != 0;
    if signo == SIGKILL
        || (!blocked
            && handler == SIG_DFL
            && !DEFAULT_IGNORED.contains(&signo)
            && !DEFAULT_STOP.contains(&signo))
    {
        t.exit_group(ExitStatus::Signaled(signo));
        return Ok(0);
    }
    if handler == SIG_IGN || (handler == SIG_DFL && DEFAULT_IGNORED.contains(&signo)) {
        return Ok(0);
    }
    tracing::warn!(
        "signal {signo} needs delivery (handler, mask or stop), which is not implemented yet"
    );
    Err(Errno::ENOSYS)
}

/// Raises SIGPIPE for a write to a pipe without readers (with the limits of
/// `signal_self`: a handler cannot run yet, so the write just fails with EPIPE).
pub fn raise_sigpipe(t: &Task) {
    let handler = t.signals.action(SIGPIPE).handler;
    let blocked = t.signals.mask & (1 << (SIGPIPE - 1)) != 0;
    if handler == SIG_DFL && !blocked {
        t.request_exit(ExitStatus::Signaled(SIGPIPE));
    }
}

const SIG_DFL: u64 = 0;
const SIG_IGN: u64 = 1;

fn kill(t: &mut Task, a: &Args) -> SysResult {
    let pid = a.i32(0);
    // Our pid, our process group (0 or -pgid), or every process (-1): all mean us.
    if pid == t.pid || pid == 0 || pid == -1 || pid == -t.pid {
        signal_self(t, a.i32(1))
    } else {
        Err(Errno::ESRCH)
    }
}

fn tkill(t: &mut Task, a: &Args) -> SysResult {
    match a.i32(0) {
        tid if tid <= 0 => Err(Errno::EINVAL),
        tid if tid == t.tid => signal_self(t, a.i32(1)),
        _ => Err(Errno::ESRCH),
    }
}

fn tgkill(t: &mut Task, a: &Args) -> SysResult {
    match (a.i32(0), a.i32(1)) {
        (tgid, tid) if tgid <= 0 || tid <= 0 => Err(Errno::EINVAL),
        (tgid, tid) if tgid == t.pid && tid == t.tid => signal_self(t, a.i32(2)),
        _ => Err(Errno::ESRCH),
    }
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
    let old = *t.signals.action(signo);
    if let Some(mut new) = new {
        new.mask &= !UNBLOCKABLE;
        t.signals.set_action(signo, new);
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
