//! Terminals from the syscalls' side: the terminal ioctls (with their
//! argument sizes), job control on reads and writes (SIGTTIN, SIGTTOU), VMIN
//! and VTIME waits of pty slaves, and taking a controlling terminal on open.

use std::sync::Arc;
use std::time::{Duration, Instant};

use abi::ioctl as io;
use abi::linux as l;
use abi::signal::{SIGTTIN, SIGTTOU, SIGWINCH};
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::fsimpl::tty::termios::{
    TERMIO_SIZE, TERMIOS_SIZE, TERMIOS2_SIZE, Termios, WINSIZE_SIZE, Winsize,
};
use sentry::fsimpl::tty::{Pty, SetWhen, Terminal, TtyFile};
use sentry::task::ctty;
use sentry::task::{SIG_IGN, Task, bit};
use sentry::waiter::Blocker;
use sentry::waiter::events::{ALWAYS, READABLE};

use crate::args::SysResult;
use crate::blocking::io_wait;

/// Linux's `__tty_check_change`: a process of a background group that uses
/// its controlling terminal gets `signo` (its whole group does) and the call
/// restarts once it is continued; EIO when the group is orphaned, or for
/// SIGTTIN when the signal is ignored or blocked (an ignored SIGTTOU lets
/// the call go on).
fn job_control(t: &Task, tty: &Arc<dyn Terminal>, signo: i32) -> Result<(), Errno> {
    if !ctty::is_controlling(&t.process, tty) {
        return Ok(());
    }
    let pgrp = t.kernel.tree.pgid(t.pid)?;
    match tty.job().get().pgrp {
        Some(fg) if fg != pgrp => {}
        _ => return Ok(()),
    }
    let ignored =
        t.signals.mask & bit(signo) != 0 || t.process.signals.action(signo).handler == SIG_IGN;
    if ignored {
        return if signo == SIGTTIN {
            Err(Errno::EIO)
        } else {
            Ok(())
        };
    }
    if ctty::orphaned_group(&t.kernel, pgrp) {
        return Err(Errno::EIO);
    }
    ctty::signal_group(&t.kernel, pgrp, signo);
    Err(Errno::ERESTARTSYS)
}

/// A request that changes the terminal: background callers get SIGTTOU.
fn check_change(t: &Task, tty: &Arc<dyn Terminal>) -> Result<(), Errno> {
    job_control(t, tty, SIGTTOU)
}

/// One read of a terminal file into `buf`.
pub(crate) fn read(t: &Task, f: &OpenFile, tty: &TtyFile, buf: &mut [u8]) -> Result<usize, Errno> {
    let flags = *f.flags.lock();
    match tty {
        TtyFile::Master(_) => io_wait(t, f, READABLE, || f.ops.read_flags(0, buf, flags)),
        TtyFile::Other(term) => {
            job_control(t, term, SIGTTIN)?;
            io_wait(t, f, READABLE, || f.ops.read_flags(0, buf, flags))
        }
        TtyFile::Slave(pty) => {
            job_control(t, &(pty.clone() as Arc<dyn Terminal>), SIGTTIN)?;
            read_slave(t, f, pty, buf, flags & l::O_NONBLOCK != 0)
        }
    }
}

/// A slave read: a line in canonical mode; otherwise as VMIN and VTIME say
/// (MIN bytes; TIME tenths of a second for the first byte when MIN is 0, else
/// between bytes).
fn read_slave(
    t: &Task,
    f: &OpenFile,
    pty: &Pty,
    buf: &mut [u8],
    nonblock: bool,
) -> Result<usize, Errno> {
    let (canonical, vmin, vtime) = pty.read_mode();
    if canonical || vtime == 0 {
        let min = if canonical {
            1
        } else {
            (vmin as usize).min(buf.len())
        };
        return io_wait(t, f, READABLE, || pty.slave_read(buf, min));
    }
    if nonblock {
        return pty.slave_read(buf, 1);
    }
    let step = Duration::from_millis(vtime as u64 * 100);
    let want = (vmin as usize).clamp(1, buf.len());
    let mut deadline = (vmin == 0).then(|| Instant::now() + step);
    let queue = f.ops.wait_queue().ok_or(Errno::EIO)?;
    let _watch = queue.watch(READABLE | ALWAYS, t.waker());
    let mut done = 0;
    loop {
        match pty.slave_read(&mut buf[done..], 1) {
            Ok(0) => return Ok(done),
            Ok(n) => {
                done += n;
                if done >= want {
                    return Ok(done);
                }
                deadline = Some(Instant::now() + step);
            }
            Err(Errno::EAGAIN) => {}
            Err(e) if done == 0 => return Err(e),
            Err(_) => return Ok(done),
        }
        match t.block(deadline) {
            Ok(()) => {}
            Err(Errno::ETIMEDOUT) => return Ok(done),
            Err(_) if done > 0 => return Ok(done),
            Err(e) => return crate::blocking::restartable(Err(e)),
        }
    }
}

/// Before a write to a terminal file: with TOSTOP, background writers get SIGTTOU.
pub(crate) fn check_write(t: &Task, tty: &TtyFile) -> Result<(), Errno> {
    if let TtyFile::Master(_) = tty {
        return Ok(());
    }
    let term = tty.terminal();
    if term.hung_up() {
        return Err(Errno::EIO);
    }
    if term.termios()?.has_l(l::TOSTOP) {
        job_control(t, &term, SIGTTOU)?;
    }
    Ok(())
}

/// After opening `file` without O_NOCTTY: a session leader without a terminal
/// takes a terminal (not a pty master, /dev/tty or /dev/console) no session has.
pub(crate) fn on_open(t: &Task, file: &OpenFile, flags: u32) {
    if flags & l::O_NOCTTY != 0 {
        return;
    }
    let Some(tty) = file.ops.terminal() else {
        return;
    };
    if matches!(tty, TtyFile::Master(_)) {
        return;
    }
    let rdev = file.ops.stat().map(|s| s.rdev).unwrap_or(0);
    if rdev == (5 << 8) || rdev == ((5 << 8) | 1) {
        return;
    }
    ctty::acquire_on_open(&t.kernel, &t.process, &tty.terminal());
}

fn write_i32(t: &Task, addr: u64, v: i32) -> SysResult {
    t.mm.write_obj(addr, &v).map(|_| 0)
}

fn read_bytes<const N: usize>(t: &Task, addr: u64) -> Result<[u8; N], Errno> {
    let mut b = [0u8; N];
    t.mm.copy_in(addr, &mut b)?;
    Ok(b)
}

fn set_termios(t: &Task, term: &Arc<dyn Terminal>, new: Termios, when: SetWhen) -> SysResult {
    check_change(t, term)?;
    term.set_termios(&new, when).map(|_| 0)
}

/// The terminal ioctls of `f` (a terminal file). `arg` is the raw argument.
pub(crate) fn ioctl(
    t: &mut Task,
    f: &Arc<OpenFile>,
    tty: TtyFile,
    request: u32,
    arg: u64,
) -> SysResult {
    let term = tty.terminal();
    let master = match &tty {
        TtyFile::Master(pty) => Some(pty.clone()),
        _ => None,
    };
    if master.is_none() && term.hung_up() {
        return Err(if request == io::TIOCSPGRP {
            Errno::ENOTTY
        } else {
            Errno::EIO
        });
    }
    // Requests of the caller's own terminal: a master answers for its slave.
    let own = master.is_some() || ctty::is_controlling(&t.process, &term);
    match request {
        r if r == io::TCGETS => t.mm.copy_out(arg, &term.termios()?.to_termios()).map(|_| 0),
        r if r == io::TCGETS2 => {
            t.mm.copy_out(arg, &term.termios()?.to_termios2())
                .map(|_| 0)
        }
        r if r == io::TCGETA => t.mm.copy_out(arg, &term.termios()?.to_termio()).map(|_| 0),
        r if r == io::TCSETS || r == io::TCSETSW || r == io::TCSETSF => {
            let b = read_bytes::<TERMIOS_SIZE>(t, arg)?;
            set_termios(
                t,
                &term,
                Termios::from_bytes(&b),
                when(r, io::TCSETSW, io::TCSETSF),
            )
        }
        r if r == io::TCSETS2 || r == io::TCSETSW2 || r == io::TCSETSF2 => {
            let b = read_bytes::<TERMIOS2_SIZE>(t, arg)?;
            set_termios(
                t,
                &term,
                Termios::from_bytes(&b),
                when(r, io::TCSETSW2, io::TCSETSF2),
            )
        }
        r if r == io::TCSETA || r == io::TCSETAW || r == io::TCSETAF => {
            let b = read_bytes::<TERMIO_SIZE>(t, arg)?;
            let new = term.termios()?.with_termio(&b);
            set_termios(t, &term, new, when(r, io::TCSETAW, io::TCSETAF))
        }
        r if r == io::TIOCGWINSZ => t.mm.copy_out(arg, &term.winsize()?.to_bytes()).map(|_| 0),
        r if r == io::TIOCSWINSZ => {
            let w = Winsize::from_bytes(&read_bytes::<WINSIZE_SIZE>(t, arg)?);
            if term.set_winsize(&w)?
                && let Some(pgrp) = term.job().get().pgrp
            {
                ctty::signal_group(&t.kernel, pgrp, SIGWINCH);
            }
            Ok(0)
        }
        r if r == io::TIOCSCTTY => {
            let admin = t.creds().has_cap(l::CAP_SYS_ADMIN);
            ctty::acquire(&t.kernel, &t.process, &term, arg == 1, admin, f.readable()).map(|_| 0)
        }
        r if r == io::TIOCNOTTY => {
            if master.is_some() {
                return Err(Errno::ENOTTY);
            }
            ctty::release(&t.kernel, &t.process, &term).map(|_| 0)
        }
        r if r == io::TIOCGPGRP => {
            if !own {
                return Err(Errno::ENOTTY);
            }
            write_i32(t, arg, term.job().get().pgrp.unwrap_or(0))
        }
        r if r == io::TIOCSPGRP => set_pgrp(t, &term, arg),
        r if r == io::TIOCGSID => {
            if !own {
                return Err(Errno::ENOTTY);
            }
            let sid = term.job().get().session.ok_or(Errno::ENOTTY)?;
            write_i32(t, arg, sid)
        }
        r if r == io::FIONREAD => {
            let n = match &master {
                Some(pty) => pty.master_input_len(),
                None => term.input_len()?,
            };
            write_i32(t, arg, n as i32)
        }
        r if r == io::TIOCOUTQ => {
            let n = if master.is_some() {
                0
            } else {
                term.output_len()?
            };
            write_i32(t, arg, n as i32)
        }
        r if r == io::TCFLSH => {
            check_change(t, &term)?;
            match &master {
                Some(pty) => pty.master_flush(arg as u32),
                None => term.flush(arg as u32),
            }
            .map(|_| 0)
        }
        r if r == io::TCXONC => {
            check_change(t, &term)?;
            term.flow(arg as u32).map(|_| 0)
        }
        // Nothing waits to be sent, and a pty sends no breaks.
        r if r == io::TCSBRK || r == io::TCSBRKP => check_change(t, &term).map(|_| 0),
        r if r == io::TIOCSBRK || r == io::TIOCCBRK => Ok(0),
        r if r == io::TIOCGETD => write_i32(t, arg, 0),
        r if r == io::TIOCSETD => {
            let ldisc: i32 = t.mm.read_obj(arg)?;
            if ldisc == 0 {
                Ok(0)
            } else {
                Err(Errno::EINVAL)
            }
        }
        r if r == io::TIOCGDEV => t.mm.write_obj(arg, &(term.rdev() as u32)).map(|_| 0),
        _ => match master {
            Some(pty) => master_ioctl(t, f, &pty, request, arg),
            None => Err(Errno::ENOTTY),
        },
    }
}

fn when(request: u32, drain: u32, flush: u32) -> SetWhen {
    if request == drain {
        SetWhen::Drain
    } else if request == flush {
        SetWhen::Flush
    } else {
        SetWhen::Now
    }
}

/// TIOCSPGRP, in Linux's order of checks.
fn set_pgrp(t: &Task, term: &Arc<dyn Terminal>, arg: u64) -> SysResult {
    match check_change(t, term) {
        Err(Errno::EIO) => return Err(Errno::ENOTTY),
        Err(e) => return Err(e),
        Ok(()) => {}
    }
    let sid = t.kernel.tree.sid(t.pid)?;
    if !ctty::is_controlling(&t.process, term) || term.job().get().session != Some(sid) {
        return Err(Errno::ENOTTY);
    }
    let pgrp: i32 = t.mm.read_obj(arg)?;
    if pgrp < 0 {
        return Err(Errno::EINVAL);
    }
    let members = t.kernel.tree.group_members(pgrp);
    let first = *members.first().ok_or(Errno::ESRCH)?;
    if t.kernel.tree.sid(first) != Ok(sid) {
        return Err(Errno::EPERM);
    }
    term.job().set_pgrp(pgrp);
    Ok(0)
}

/// Requests only a pty master answers.
fn master_ioctl(
    t: &mut Task,
    f: &Arc<OpenFile>,
    pty: &Arc<Pty>,
    request: u32,
    arg: u64,
) -> SysResult {
    match request {
        r if r == io::TIOCGPTN => t.mm.write_obj(arg, &pty.index()).map(|_| 0),
        r if r == io::TIOCSPTLCK => {
            let v: i32 = t.mm.read_obj(arg)?;
            pty.set_locked(v != 0);
            Ok(0)
        }
        r if r == io::TIOCGPTLCK => write_i32(t, arg, pty.locked() as i32),
        r if r == io::TIOCSIG => pty.signal_foreground(arg as i32).map(|_| 0),
        r if r == io::TIOCGPTPEER => open_peer(t, f, pty, arg as u32),
        _ => Err(Errno::ENOTTY),
    }
}

/// TIOCGPTPEER: a new descriptor of the slave, found beside the master's
/// ptmx in the same devpts.
fn open_peer(t: &mut Task, f: &Arc<OpenFile>, pty: &Arc<Pty>, flags: u32) -> SysResult {
    let known = l::O_ACCMODE | l::O_NOCTTY | l::O_NONBLOCK | l::O_CLOEXEC;
    if flags & !known != 0 {
        return Err(Errno::EINVAL);
    }
    let ops = pty.open_slave()?;
    let path = f.path.as_ref().and_then(|p| p.parent()).and_then(|dir| {
        t.resolver()
            .resolve(dir, pty.index().to_string().as_bytes(), false)
            .ok()
    });
    let status = flags & (l::O_ACCMODE | l::O_NONBLOCK);
    let file = match path {
        Some(p) => OpenFile::at_path(ops, p, status),
        None => OpenFile::new(ops, status),
    };
    let limit = t.limit(l::RLIMIT_NOFILE);
    let fd = t.fds.install(file, flags & l::O_CLOEXEC != 0, 0, limit)?;
    Ok(fd as u64)
}
