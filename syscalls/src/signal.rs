//! Signals: sending them, dispositions, masks, waiting for them, returning
//! from handlers.

use std::time::{Duration, Instant};

use abi::linux as l;
use abi::signal::{SI_TKILL, SI_USER, SIGKILL, SIGPIPE, SIGRTMAX, SIGSEGV, SIGSTOP};
use abi::types::{KERNEL_SIGSET_SIZE, KernelSigaction, SigInfo, StackT, Timespec};
use sentry::Errno;
use sentry::task::{
    Credentials, SS_DISABLE, SS_ONSTACK, Task, UNBLOCKABLE, bit, signal_process, signal_thread,
    signals_in, tree,
};
use sentry::waiter::Blocker;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const QUEUE: &str =
        "RLIMIT_SIGPENDING bounds the receiving process's queued signals, not its user's";
    vec![
        (l::__NR_rt_sigaction, Some(rt_sigaction), Full),
        (l::__NR_rt_sigprocmask, Some(rt_sigprocmask), Full),
        (l::__NR_rt_sigreturn, Some(rt_sigreturn), Full),
        (l::__NR_sigaltstack, Some(sigaltstack), Full),
        (l::__NR_rt_sigpending, Some(rt_sigpending), Full),
        (l::__NR_rt_sigsuspend, Some(rt_sigsuspend), Full),
        (l::__NR_pause, Some(pause), Full),
        (l::__NR_rt_sigtimedwait, Some(rt_sigtimedwait), Full),
        (l::__NR_kill, Some(kill), Full),
        (l::__NR_tkill, Some(tkill), Full),
        (l::__NR_tgkill, Some(tgkill), Full),
        (
            l::__NR_rt_sigqueueinfo,
            Some(rt_sigqueueinfo),
            Partial(QUEUE),
        ),
        (
            l::__NR_rt_tgsigqueueinfo,
            Some(rt_tgsigqueueinfo),
            Partial(QUEUE),
        ),
    ]
}

/// Raises SIGPIPE for a write to a pipe without readers.
pub fn raise_sigpipe(t: &Task) {
    let info = SigInfo::new(SIGPIPE, SI_USER).with_sender(t.pid, t.creds().uid);
    let _ = signal_process(&t.kernel, t.pid, SIGPIPE, info);
}

/// Whether the caller may signal `target` (kill(2)'s permission rule).
fn may_signal(sender: &Credentials, target: &Credentials) -> bool {
    sender.has_cap(abi::linux::CAP_KILL)
        || [sender.uid, sender.euid].contains(&target.uid)
        || [sender.uid, sender.euid].contains(&target.suid)
}

/// Sends `info`'s signal to process `pid` on behalf of `t`.
pub(crate) fn send(t: &Task, pid: i32, info: SigInfo) -> Result<(), Errno> {
    let signo = info.signo();
    let Some(target) = t.kernel.process(pid) else {
        // A zombie accepts signals and ignores them; a missing pid is ESRCH.
        return signal_process(&t.kernel, pid, 0, info);
    };
    if !may_signal(&t.creds(), &target.creds()) {
        return Err(Errno::EPERM);
    }
    if signo == 0 {
        return Ok(());
    }
    signal_process(&t.kernel, pid, signo, info)
}

pub(crate) fn check_signo(signo: i32) -> Result<(), Errno> {
    if (0..=SIGRTMAX).contains(&signo) {
        Ok(())
    } else {
        Err(Errno::EINVAL)
    }
}

/// The siginfo of a signal sent by the calling process with `code`.
pub(crate) fn from_caller(t: &Task, signo: i32, code: i32) -> SigInfo {
    SigInfo::new(signo, code).with_sender(t.pid, t.creds().uid)
}

fn kill(t: &mut Task, a: &Args) -> SysResult {
    let (pid, signo) = (a.i32(0), a.i32(1));
    check_signo(signo)?;
    let info = from_caller(t, signo, SI_USER);
    let targets = match pid {
        p if p > 0 => return send(t, p, info).map(|()| 0),
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
        match send(t, p, info) {
            Ok(()) => result = Ok(0),
            Err(e) if result.is_err() => result = Err(e),
            Err(_) => {}
        }
    }
    result
}

/// Sends `info`'s signal to thread `tid` of process `tgid` alone.
fn send_to_thread(t: &Task, tgid: i32, tid: i32, info: SigInfo) -> Result<(), Errno> {
    let signo = info.signo();
    let target = t.kernel.process(tgid).ok_or(Errno::ESRCH)?;
    if !may_signal(&t.creds(), &target.creds()) {
        return Err(Errno::EPERM);
    }
    signal_thread(&t.kernel, tgid, tid, signo, info)
}

fn tkill(t: &mut Task, a: &Args) -> SysResult {
    let (tid, signo) = (a.i32(0), a.i32(1));
    check_signo(signo)?;
    if tid <= 0 {
        return Err(Errno::EINVAL);
    }
    let tgid = t.kernel.tree.process_of(tid).ok_or(Errno::ESRCH)?;
    send_to_thread(t, tgid, tid, from_caller(t, signo, SI_TKILL)).map(|()| 0)
}

fn tgkill(t: &mut Task, a: &Args) -> SysResult {
    let (tgid, tid, signo) = (a.i32(0), a.i32(1), a.i32(2));
    check_signo(signo)?;
    if tgid <= 0 || tid <= 0 {
        return Err(Errno::EINVAL);
    }
    send_to_thread(t, tgid, tid, from_caller(t, signo, SI_TKILL)).map(|()| 0)
}

/// The siginfo given to rt_sigqueueinfo: a process may not pretend to be the
/// kernel or kill(2) when signalling another process.
pub(crate) fn queued_info(t: &Task, pid: i32, signo: i32, addr: u64) -> Result<SigInfo, Errno> {
    let mut info: SigInfo = t.mm.read_obj(addr)?;
    if (info.code() >= 0 || info.code() == SI_TKILL) && pid != t.pid {
        return Err(Errno::EPERM);
    }
    info.words[0] = (info.words[0] & !0xffff_ffff) | signo as u32 as u64;
    Ok(info)
}

fn rt_sigqueueinfo(t: &mut Task, a: &Args) -> SysResult {
    let (pid, signo) = (a.i32(0), a.i32(1));
    check_signo(signo)?;
    let info = queued_info(t, pid, signo, a.ptr(2))?;
    send(t, pid, info).map(|()| 0)
}

fn rt_tgsigqueueinfo(t: &mut Task, a: &Args) -> SysResult {
    let (tgid, tid, signo) = (a.i32(0), a.i32(1), a.i32(2));
    check_signo(signo)?;
    if tgid <= 0 || tid <= 0 {
        return Err(Errno::EINVAL);
    }
    let info = queued_info(t, tgid, signo, a.ptr(3))?;
    send_to_thread(t, tgid, tid, info).map(|()| 0)
}

fn rt_sigreturn(t: &mut Task, _: &Args) -> SysResult {
    if t.sigreturn().is_err() {
        // A bad frame: Linux kills the process with SIGSEGV.
        let info = SigInfo::new(SIGSEGV, abi::signal::SI_KERNEL);
        t.process
            .signals
            .set_action(SIGSEGV, KernelSigaction::default());
        let _ = signal_process(&t.kernel, t.pid, SIGSEGV, info);
        t.signals.mask &= !bit(SIGSEGV);
        return Ok(0);
    }
    t.keep_registers();
    Ok(0)
}

fn sigaltstack(t: &mut Task, a: &Args) -> SysResult {
    let (new, old) = (a.ptr(0), a.ptr(1));
    let current = t.signals.altstack;
    let on = t.signals.on_altstack(t.cpu.regs.rsp);
    if new != 0 {
        let stack: StackT = t.mm.read_obj(new)?;
        t.set_altstack(stack)?;
    }
    if old != 0 {
        let mut report = current;
        if on {
            report.flags |= SS_ONSTACK;
        }
        if report.flags & SS_DISABLE != 0 {
            report = StackT {
                flags: SS_DISABLE,
                ..Default::default()
            };
        }
        t.mm.write_obj(old, &report)?;
    }
    Ok(0)
}

fn read_sigset(t: &Task, addr: u64, size: usize) -> Result<u64, Errno> {
    if size != KERNEL_SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    t.mm.read_obj(addr)
}

fn rt_sigpending(t: &mut Task, a: &Args) -> SysResult {
    if a.usize(1) > KERNEL_SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let pending = t.process.signals.pending(&t.thread) & t.signals.mask;
    t.mm.copy_out(a.ptr(0), &pending.to_le_bytes()[..a.usize(1)])
        .map(|_| 0)
}

/// Waits with `mask` as the signal mask until a signal runs a handler (EINTR)
/// or ends the process; the old mask comes back after the handler.
fn suspend_with(t: &mut Task, mask: u64) -> SysResult {
    let old = t.signals.mask;
    t.signals.mask = mask & !UNBLOCKABLE;
    // Senders see the mask of the wait (an ignored signal it lets through is dropped).
    t.thread.set_blocked(t.signals.mask);
    // Blocking gives up exactly when a signal needs the thread.
    while t.block(None).is_ok() {}
    t.signals.saved_mask = Some(old);
    Err(Errno::ERESTARTNOHAND)
}

fn rt_sigsuspend(t: &mut Task, a: &Args) -> SysResult {
    let mask = read_sigset(t, a.ptr(0), a.usize(1))?;
    suspend_with(t, mask)
}

fn pause(t: &mut Task, _: &Args) -> SysResult {
    let mask = t.signals.mask;
    suspend_with(t, mask)
}

fn rt_sigtimedwait(t: &mut Task, a: &Args) -> SysResult {
    let (set_addr, info_addr, timeout_addr) = (a.ptr(0), a.ptr(1), a.ptr(2));
    let set = read_sigset(t, set_addr, a.usize(3))? & !UNBLOCKABLE;
    let deadline = if timeout_addr != 0 {
        let ts: Timespec = t.mm.read_obj(timeout_addr)?;
        if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
            return Err(Errno::EINVAL);
        }
        Some(Instant::now() + Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    } else {
        None
    };
    loop {
        if let Some(signo) = signals_in(t.process.signals.pending(&t.thread) & set).next()
            && let Some(info) = t.process.signals.take(&t.thread, signo)
        {
            if info_addr != 0 {
                t.mm.write_obj(info_addr, &info)?;
            }
            return Ok(signo as u64);
        }
        match t.block(deadline) {
            Ok(()) => {}
            Err(Errno::ETIMEDOUT) => return Err(Errno::EAGAIN),
            Err(e) => return Err(e),
        }
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
