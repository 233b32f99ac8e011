//! wait4 and waitid: collecting children that exited, stopped or continued.

use abi::linux as l;
use abi::signal::SIGCHLD;
use abi::types::{Rusage, SigInfo, Timeval};
use sentry::Errno;
use sentry::task::tree::{JobEvent, WaitEvent, WaitFor, WaitOptions, Waited};
use sentry::task::{ExitStatus, Task};

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (l::__NR_wait4, Some(wait4), Full),
        (l::__NR_waitid, Some(waitid), Full),
    ]
}

/// Options both calls accept whatever the child kind.
const THREAD_KIND: u32 = l::__WNOTHREAD | l::__WCLONE | l::__WALL;

/// The status word wait4 reports.
fn status_word(event: WaitEvent) -> i32 {
    match event {
        WaitEvent::Exited(e) => match e.status {
            ExitStatus::Exited(code) => (code & 0xff) << 8,
            ExitStatus::Signaled(signo) => signo & 0x7f,
        },
        WaitEvent::Job(JobEvent::Stopped(signo)) => (signo << 8) | 0x7f,
        WaitEvent::Job(JobEvent::Continued) => 0xffff,
    }
}

fn rusage_of(w: &Waited) -> Rusage {
    let WaitEvent::Exited(e) = w.event else {
        return Rusage::default();
    };
    Rusage {
        utime: Timeval {
            tv_sec: e.cpu.as_secs() as i64,
            tv_usec: e.cpu.subsec_micros() as i64,
        },
        ..Default::default()
    }
}

fn do_wait(t: &Task, which: WaitFor, opts: WaitOptions) -> Result<Option<Waited>, Errno> {
    let found = t.kernel.tree.wait(t.pid, which, opts, t).map_err(|e| {
        // Interrupted: restarted unless a handler without SA_RESTART runs.
        if e == Errno::EINTR {
            Errno::ERESTARTSYS
        } else {
            e
        }
    })?;
    if let Some(Waited {
        event: WaitEvent::Exited(e),
        ..
    }) = &found
        && !opts.keep
    {
        *t.process.children_cpu.lock() += e.cpu;
    }
    Ok(found)
}

fn wait4(t: &mut Task, a: &Args) -> SysResult {
    let (pid, status_addr, options, rusage_addr) = (a.i32(0), a.ptr(1), a.u32(2), a.ptr(3));
    if options & !(l::WNOHANG | l::WUNTRACED | l::WCONTINUED | THREAD_KIND) != 0 {
        return Err(Errno::EINVAL);
    }
    let which = match pid {
        i32::MIN => return Err(Errno::ESRCH),
        -1 => WaitFor::Any,
        0 => WaitFor::Group(t.kernel.tree.pgid(t.pid)?),
        p if p < 0 => WaitFor::Group(-p),
        p => WaitFor::Pid(p),
    };
    let opts = WaitOptions {
        nohang: options & l::WNOHANG != 0,
        stopped: options & l::WUNTRACED != 0,
        continued: options & l::WCONTINUED != 0,
        ..WaitOptions::BLOCK
    };
    let Some(w) = do_wait(t, which, opts)? else {
        return Ok(0);
    };
    if status_addr != 0 {
        t.mm.write_obj(status_addr, &status_word(w.event))?;
    }
    if rusage_addr != 0 {
        t.mm.write_obj(rusage_addr, &rusage_of(&w))?;
    }
    Ok(w.pid as u64)
}

/// The SIGCHLD siginfo waitid fills: pid, uid, status after code.
fn child_siginfo(t: &Task, w: &Waited) -> SigInfo {
    let (code, status, uid) = match w.event {
        WaitEvent::Exited(e) => match e.status {
            ExitStatus::Exited(c) => (l::CLD_EXITED, c & 0xff, e.uid),
            ExitStatus::Signaled(s) => (l::CLD_KILLED, s, e.uid),
        },
        WaitEvent::Job(job) => {
            let uid = t.kernel.process(w.pid).map_or(0, |p| p.creds().uid);
            match job {
                JobEvent::Stopped(s) => (l::CLD_STOPPED, s, uid),
                JobEvent::Continued => (l::CLD_CONTINUED, abi::signal::SIGCONT, uid),
            }
        }
    };
    SigInfo::new(SIGCHLD, code as i32)
        .with_sender(w.pid, uid)
        .with_status(status)
}

fn waitid(t: &mut Task, a: &Args) -> SysResult {
    let (idtype, id, info_addr, options, rusage_addr) =
        (a.u32(0), a.i32(1), a.ptr(2), a.u32(3), a.ptr(4));
    let events = l::WEXITED | l::WSTOPPED | l::WCONTINUED;
    if options & !(events | l::WNOHANG | l::WNOWAIT | THREAD_KIND) != 0 || options & events == 0 {
        return Err(Errno::EINVAL);
    }
    let mut pidfd_nonblock = false;
    let which = match idtype {
        l::P_ALL => WaitFor::Any,
        l::P_PID if id > 0 => WaitFor::Pid(id),
        l::P_PGID if id == 0 => WaitFor::Group(t.kernel.tree.pgid(t.pid)?),
        l::P_PGID if id > 0 => WaitFor::Group(id),
        l::P_PIDFD => {
            let file = t.fds.get(id)?;
            let pidfd = file.ops.as_pidfd().ok_or(Errno::EBADF)?;
            // A non-blocking pidfd makes the wait say EAGAIN rather than block.
            pidfd_nonblock = *file.flags.lock() & l::O_NONBLOCK != 0;
            WaitFor::Pid(pidfd.pid)
        }
        _ => return Err(Errno::EINVAL),
    };
    let nohang = options & l::WNOHANG != 0;
    let opts = WaitOptions {
        exited: options & l::WEXITED != 0,
        stopped: options & l::WSTOPPED != 0,
        continued: options & l::WCONTINUED != 0,
        nohang: nohang || pidfd_nonblock,
        keep: options & l::WNOWAIT != 0,
    };
    let found = do_wait(t, which, opts)?;
    if found.is_none() && pidfd_nonblock && !nohang {
        return Err(Errno::EAGAIN);
    }
    if info_addr != 0 {
        let info = found
            .as_ref()
            .map_or(SigInfo { words: [0; 16] }, |w| child_siginfo(t, w));
        t.mm.write_obj(info_addr, &info)?;
    }
    if rusage_addr != 0 {
        let usage = found.as_ref().map(rusage_of).unwrap_or_default();
        t.mm.write_obj(rusage_addr, &usage)?;
    }
    Ok(0)
}
