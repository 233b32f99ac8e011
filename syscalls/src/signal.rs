//! Signal dispositions and masks (bookkeeping: delivery comes with signal frames).

use abi::linux as l;
use abi::signal::{SIGKILL, SIGRTMAX, SIGSTOP};
use abi::types::{KERNEL_SIGSET_SIZE, KernelSigaction};
use sentry::Errno;
use sentry::task::{Task, UNBLOCKABLE};

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const NOTE: &str = "recorded; handlers are not invoked yet (faults terminate)";
    vec![
        (l::__NR_rt_sigaction, Some(rt_sigaction), Partial(NOTE)),
        (l::__NR_rt_sigprocmask, Some(rt_sigprocmask), Partial(NOTE)),
    ]
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
