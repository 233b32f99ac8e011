//! Controlling terminals: a session leader takes one (TIOCSCTTY, or opening a
//! terminal without O_NOCTTY), its processes inherit it, setsid and TIOCNOTTY
//! drop it, and it is lost when the leader exits or the terminal hangs up.
//! The process holds its terminal (`ProcessInfo::ctty`, as Linux's
//! `signal->tty`); the terminal holds its session and foreground group
//! (`tty::JobControl`).

use std::sync::Arc;

use abi::Errno;
use abi::signal::{SI_KERNEL, SIGCONT, SIGHUP};
use abi::types::SigInfo;

use super::ProcessInfo;
use super::kill::signal_process;
use crate::fsimpl::tty::{JobState, Terminal, same};
use crate::kernel::Kernel;

/// Sends `signo` from the kernel to every member of process group `pgid`.
pub fn signal_group(kernel: &Kernel, pgid: i32, signo: i32) {
    for pid in kernel.tree.group_members(pgid) {
        let _ = signal_process(kernel, pid, signo, SigInfo::new(signo, SI_KERNEL));
    }
}

/// Whether `tty` is `process`'s controlling terminal.
pub fn is_controlling(process: &ProcessInfo, tty: &Arc<dyn Terminal>) -> bool {
    process.ctty.lock().as_ref().is_some_and(|c| same(c, tty))
}

/// Live processes of session `sid`.
fn session_members(kernel: &Kernel, sid: i32) -> Vec<Arc<ProcessInfo>> {
    kernel
        .tree
        .live_pids()
        .into_iter()
        .filter(|&pid| kernel.tree.sid(pid) == Ok(sid))
        .filter_map(|pid| kernel.process(pid))
        .collect()
}

/// Every process of session `sid` loses its controlling terminal.
fn clear_session(kernel: &Kernel, sid: i32) {
    for p in session_members(kernel, sid) {
        *p.ctty.lock() = None;
    }
}

fn take(kernel: &Kernel, process: &ProcessInfo, tty: &Arc<dyn Terminal>, sid: i32) {
    let pgrp = kernel.tree.pgid(process.pid).ok();
    tty.job().set(JobState {
        session: Some(sid),
        pgrp,
    });
    *process.ctty.lock() = Some(tty.clone());
}

/// TIOCSCTTY: the caller, a session leader without a terminal, takes `tty`
/// unless another session has it (which `steal` with CAP_SYS_ADMIN overrides).
/// Without CAP_SYS_ADMIN the file must be open for reading.
pub fn acquire(
    kernel: &Kernel,
    process: &ProcessInfo,
    tty: &Arc<dyn Terminal>,
    steal: bool,
    privileged: bool,
    readable: bool,
) -> Result<(), Errno> {
    let sid = kernel.tree.sid(process.pid)?;
    let leader = sid == process.pid;
    let owner = tty.job().get().session;
    if leader && owner == Some(sid) {
        return Ok(());
    }
    if !leader || process.ctty.lock().is_some() {
        return Err(Errno::EPERM);
    }
    if let Some(other) = owner {
        if !(steal && privileged) {
            return Err(Errno::EPERM);
        }
        clear_session(kernel, other);
    }
    if !readable && !privileged {
        return Err(Errno::EPERM);
    }
    take(kernel, process, tty, sid);
    Ok(())
}

/// Opening a terminal without O_NOCTTY: a session leader without a
/// terminal takes it if no session has it.
pub fn acquire_on_open(kernel: &Kernel, process: &ProcessInfo, tty: &Arc<dyn Terminal>) {
    let Ok(sid) = kernel.tree.sid(process.pid) else {
        return;
    };
    if sid == process.pid && process.ctty.lock().is_none() && tty.job().get().session.is_none() {
        take(kernel, process, tty, sid);
    }
}

/// The session leader gives its terminal up (TIOCNOTTY, or its exit):
/// the foreground group gets SIGHUP (and SIGCONT unless exiting), and the
/// whole session loses the terminal.
fn disassociate(kernel: &Kernel, sid: i32, tty: &Arc<dyn Terminal>, exiting: bool) {
    let job = tty.job().get();
    if job.session == Some(sid) {
        tty.job().set(JobState::default());
        if let Some(pgrp) = job.pgrp {
            signal_group(kernel, pgrp, SIGHUP);
            if !exiting {
                signal_group(kernel, pgrp, SIGCONT);
            }
        }
    }
    clear_session(kernel, sid);
}

/// TIOCNOTTY.
pub fn release(
    kernel: &Kernel,
    process: &ProcessInfo,
    tty: &Arc<dyn Terminal>,
) -> Result<(), Errno> {
    if !is_controlling(process, tty) {
        return Err(Errno::ENOTTY);
    }
    let sid = kernel.tree.sid(process.pid)?;
    if sid == process.pid {
        disassociate(kernel, sid, tty, false);
    } else {
        *process.ctty.lock() = None;
    }
    Ok(())
}

/// Process `pid` exited holding `ctty`: if it led its session, the session
/// loses the terminal.
pub fn on_exit(kernel: &Kernel, pid: i32, ctty: Option<Arc<dyn Terminal>>) {
    if let Some(tty) = ctty
        && kernel.tree.sid(pid) == Ok(pid)
    {
        disassociate(kernel, pid, &tty, true);
    }
}

/// The terminal hung up (its pty master closed): the processes that have it
/// lose it, and the leader of its session gets SIGHUP and SIGCONT.
pub fn hangup(kernel: &Kernel, tty: &Arc<dyn Terminal>) {
    let Some(sid) = tty.job().get().session else {
        return;
    };
    tty.job().set(JobState::default());
    for p in session_members(kernel, sid) {
        let mut ctty = p.ctty.lock();
        if ctty.as_ref().is_some_and(|c| same(c, tty)) {
            *ctty = None;
        }
    }
    for signo in [SIGHUP, SIGCONT] {
        let _ = signal_process(kernel, sid, signo, SigInfo::new(signo, SI_KERNEL));
    }
}

/// Whether process group `pgid` is orphaned: no member has a parent in
/// another group of the same session (its stops would never be undone).
pub fn orphaned_group(kernel: &Kernel, pgid: i32) -> bool {
    let tree = &kernel.tree;
    !tree.group_members(pgid).into_iter().any(|pid| {
        let parent = tree.parent(pid);
        parent > 0
            && tree.pgid(parent).is_ok_and(|g| g != pgid)
            && tree.sid(parent) == tree.sid(pid)
    })
}
