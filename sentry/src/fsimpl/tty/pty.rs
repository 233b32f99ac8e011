//! Pseudo terminals: a master and a slave joined by the slave's line
//! discipline. What the master writes is the slave's input; what the slave
//! writes (output-processed) and the echo are the master's input.
//!
//! Linux's rules: the settings, window size and job control belong to the
//! slave (the master's requests act on it); the master may write before a
//! slave is open (the input waits, echoed); once every slave closed, the master reads EIO after
//! the data and polls POLLHUP; when the master closes, the slave is hung up
//! (reads 0, writes EIO, /dev/pts/N goes) and its session leader gets SIGHUP.
//! Neither side ever sleeps: what would block says EAGAIN.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};

use abi::Errno;
use abi::linux as l;
use abi::types::Stat;
use parking_lot::Mutex;

use super::ldisc::{Effect, LineDiscipline};
use super::termios::{Termios, Winsize};
use super::{JobControl, SetWhen, Terminal, TtyFile};
use crate::fs::FileOps;
use crate::fsimpl::devpts::PtsNode;
use crate::kernel::Kernel;
use crate::waiter::Queue;
use crate::waiter::events::*;

/// What the slave's output side holds for the master to read.
const OUTPUT_CAPACITY: usize = 65536;

struct State {
    termios: Termios,
    winsize: Winsize,
    ldisc: LineDiscipline,
    /// The master's input: slave output and echo.
    to_master: VecDeque<u8>,
    /// TIOCSPTLCK: the slave cannot be opened while locked (new ptys are).
    locked: bool,
    master_open: bool,
    /// Open slave files.
    slaves: usize,
    /// Every slave that was opened has closed (the master sees a hang-up).
    slave_closed: bool,
    /// IXON or TCOOFF stopped the slave's output.
    output_stopped: bool,
}

pub struct Pty {
    /// /dev/pts/N: its number (freed when the pty goes), mode and owner.
    node: PtsNode,
    me: Weak<Pty>,
    /// Whose processes the pty signals (that of the task that opened ptmx).
    kernel: Weak<Kernel>,
    state: Mutex<State>,
    /// Told when the master's readiness may change.
    master_queue: Queue,
    slave_queue: Queue,
    job: JobControl,
}

/// Linux's encoding of a device number in `st_rdev`.
pub fn makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xfffff000) << 32)
        | ((major & 0xfff) << 8)
        | ((minor & 0xffffff00) << 12)
        | (minor & 0xff)
}

/// Unix98 pty slaves' major number.
pub const PTS_MAJOR: u64 = 136;

/// Signals the pty raises, sent once its lock is released.
type Signals = Vec<(i32, i32)>;

impl Pty {
    /// A new pair whose slave is `node`.
    pub(crate) fn new(node: PtsNode) -> Arc<Pty> {
        let kernel = crate::task::current::kernel().unwrap_or_default();
        Arc::new_cyclic(|me| Pty {
            node,
            me: me.clone(),
            kernel,
            state: Mutex::new(State {
                termios: Termios::pty_slave(),
                winsize: Winsize::default(),
                ldisc: LineDiscipline::default(),
                to_master: VecDeque::new(),
                locked: true,
                master_open: true,
                slaves: 0,
                slave_closed: false,
                output_stopped: false,
            }),
            master_queue: Queue::default(),
            slave_queue: Queue::default(),
            job: JobControl::default(),
        })
    }

    /// The pty's number (the N of /dev/pts/N, TIOCGPTN).
    pub fn index(&self) -> u32 {
        self.node.index()
    }

    /// The slave's node (its `stat`, chmod and chown).
    pub fn node(&self) -> &PtsNode {
        &self.node
    }

    fn notify_all(&self, events: u32) {
        self.master_queue.notify(events);
        self.slave_queue.notify(events);
    }

    fn send(&self, signals: Signals) {
        let Some(kernel) = self.kernel.upgrade() else {
            return;
        };
        for (pgrp, signo) in signals {
            crate::task::ctty::signal_group(&kernel, pgrp, signo);
        }
    }

    /// Opens the slave: EIO while locked or once the master is gone.
    pub fn open_slave(&self) -> Result<Arc<dyn FileOps>, Errno> {
        let me = self.me.upgrade().ok_or(Errno::EIO)?;
        {
            let mut s = self.state.lock();
            if s.locked || !s.master_open {
                return Err(Errno::EIO);
            }
            s.slaves += 1;
            s.slave_closed = false;
        }
        self.master_queue.notify(WRITABLE);
        Ok(Arc::new(SlaveFile { pty: me }))
    }

    // ---- master requests ----

    /// TIOCSPTLCK.
    pub fn set_locked(&self, locked: bool) {
        self.state.lock().locked = locked;
    }

    /// TIOCGPTLCK.
    pub fn locked(&self) -> bool {
        self.state.lock().locked
    }

    /// FIONREAD on the master.
    pub fn master_input_len(&self) -> usize {
        self.state.lock().to_master.len()
    }

    /// TCFLSH on the master: its input is the slave's output.
    pub fn master_flush(&self, queue: u32) -> Result<(), Errno> {
        match queue {
            q if q == l::TCIFLUSH || q == l::TCIOFLUSH => self.state.lock().to_master.clear(),
            q if q == l::TCOFLUSH => {}
            _ => return Err(Errno::EINVAL),
        }
        self.notify_all(WRITABLE);
        Ok(())
    }

    /// TIOCSIG: `signo` to the slave's foreground group.
    pub fn signal_foreground(&self, signo: i32) -> Result<(), Errno> {
        if !(1..=64).contains(&signo) {
            return Err(Errno::EINVAL);
        }
        if let Some(pgrp) = self.job.get().pgrp {
            self.send(vec![(pgrp, signo)]);
        }
        Ok(())
    }

    fn master_read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        let n = {
            let mut s = self.state.lock();
            if s.to_master.is_empty() {
                return Err(if s.slave_closed {
                    Errno::EIO
                } else {
                    Errno::EAGAIN
                });
            }
            let n = buf.len().min(s.to_master.len());
            for (slot, b) in buf.iter_mut().zip(s.to_master.drain(..n)) {
                *slot = b;
            }
            n
        };
        self.slave_queue.notify(WRITABLE);
        Ok(n)
    }

    /// The master writes the slave's input, through the line discipline.
    fn master_write(&self, buf: &[u8]) -> Result<usize, Errno> {
        let mut signals = Signals::new();
        let taken = {
            let mut s = self.state.lock();
            let s = &mut *s;
            let mut taken = 0;
            let mut echo = Vec::new();
            for &c in buf {
                echo.clear();
                let Some(effect) = s.ldisc.receive(&s.termios, c, &mut echo) else {
                    break;
                };
                taken += 1;
                match effect {
                    Effect::Signal { signo, flush } => {
                        if flush {
                            s.to_master.clear();
                        }
                        if let Some(pgrp) = self.job.get().pgrp {
                            signals.push((pgrp, signo));
                        }
                    }
                    Effect::OutputStopped(stopped) => s.output_stopped = stopped,
                    Effect::None => {}
                }
                s.to_master.extend(echo.iter());
            }
            taken
        };
        self.notify_all(READABLE | WRITABLE);
        self.send(signals);
        if taken == 0 && !buf.is_empty() {
            return Err(Errno::EAGAIN);
        }
        Ok(taken)
    }

    fn master_readiness(&self, mask: u32) -> u32 {
        let s = self.state.lock();
        let mut ready = 0;
        if !s.to_master.is_empty() {
            ready |= READABLE;
        }
        if !s.ldisc.full(&s.termios) {
            ready |= WRITABLE;
        }
        if s.slave_closed {
            ready |= POLLHUP;
        }
        ready & (mask | ALWAYS)
    }

    /// The master's last close: the slave hangs up and its node goes.
    fn close_master(&self) {
        self.state.lock().master_open = false;
        self.node.remove();
        self.notify_all(READABLE | WRITABLE | POLLHUP);
        if let (Some(kernel), Some(me)) = (self.kernel.upgrade(), self.me.upgrade()) {
            crate::task::ctty::hangup(&kernel, &(me as Arc<dyn Terminal>));
        }
    }

    // ---- slave side ----

    /// ICANON, VMIN and VTIME: how a slave read waits.
    pub fn read_mode(&self) -> (bool, u8, u8) {
        let s = self.state.lock();
        let t = &s.termios;
        (
            t.has_l(l::ICANON),
            t.cc[l::VMIN as usize],
            t.cc[l::VTIME as usize],
        )
    }

    /// Reads the slave's input: a line in canonical mode; otherwise what is
    /// there once at least `min` bytes are (0: whatever is there, maybe
    /// nothing). EAGAIN when that is not there yet; 0 once hung up.
    pub fn slave_read(&self, buf: &mut [u8], min: usize) -> Result<usize, Errno> {
        let n = {
            let mut s = self.state.lock();
            if !s.master_open {
                return Ok(0);
            }
            let s = &mut *s;
            let canonical = s.termios.has_l(l::ICANON);
            if (canonical || min > 0) && !s.ldisc.can_read(&s.termios, min) {
                return Err(Errno::EAGAIN);
            }
            s.ldisc.read(&s.termios, buf)
        };
        self.master_queue.notify(WRITABLE);
        Ok(n)
    }

    fn slave_write(&self, buf: &[u8]) -> Result<usize, Errno> {
        let taken = {
            let mut s = self.state.lock();
            if !s.master_open {
                return Err(Errno::EIO);
            }
            if s.output_stopped {
                return Err(Errno::EAGAIN);
            }
            let s = &mut *s;
            let mut out = Vec::new();
            let mut taken = 0;
            for &c in buf {
                out.clear();
                s.ldisc.output(&s.termios, &[c], &mut out);
                if s.to_master.len() + out.len() > OUTPUT_CAPACITY {
                    break;
                }
                s.to_master.extend(out.iter());
                taken += 1;
            }
            taken
        };
        if taken == 0 && !buf.is_empty() {
            return Err(Errno::EAGAIN);
        }
        self.master_queue.notify(READABLE);
        Ok(taken)
    }

    fn slave_readiness(&self, mask: u32) -> u32 {
        let s = self.state.lock();
        if !s.master_open {
            return (READABLE | WRITABLE | POLLERR | POLLHUP) & (mask | ALWAYS);
        }
        let t = &s.termios;
        // A poll waits for VMIN bytes when VTIME is 0, as Linux's.
        let min = if !t.has_l(l::ICANON) && t.cc[l::VTIME as usize] == 0 {
            t.cc[l::VMIN as usize].max(1) as usize
        } else {
            1
        };
        let mut ready = 0;
        if s.ldisc.can_read(t, min) {
            ready |= READABLE;
        }
        if !s.output_stopped && s.to_master.len() < OUTPUT_CAPACITY {
            ready |= WRITABLE;
        }
        ready & (mask | ALWAYS)
    }

    fn close_slave(&self) {
        {
            let mut s = self.state.lock();
            s.slaves -= 1;
            if s.slaves == 0 {
                s.slave_closed = true;
            }
        }
        self.master_queue.notify(POLLHUP);
    }
}

impl Terminal for Pty {
    fn job(&self) -> &JobControl {
        &self.job
    }

    fn termios(&self) -> Result<Termios, Errno> {
        Ok(self.state.lock().termios)
    }

    fn set_termios(&self, t: &Termios, when: SetWhen) -> Result<(), Errno> {
        {
            let mut s = self.state.lock();
            let s = &mut *s;
            if when == SetWhen::Flush {
                s.ldisc.flush_input();
            }
            let old = s.termios;
            s.termios = *t;
            s.ldisc.settings_changed(&old, t);
            if !t.has_i(l::IXON) {
                s.output_stopped = false;
            }
        }
        self.notify_all(READABLE | WRITABLE);
        Ok(())
    }

    fn winsize(&self) -> Result<Winsize, Errno> {
        Ok(self.state.lock().winsize)
    }

    fn set_winsize(&self, w: &Winsize) -> Result<bool, Errno> {
        let mut s = self.state.lock();
        let changed = s.winsize != *w;
        s.winsize = *w;
        Ok(changed)
    }

    fn input_len(&self) -> Result<usize, Errno> {
        Ok(self.state.lock().ldisc.readable_len())
    }

    fn output_len(&self) -> Result<usize, Errno> {
        // Linux's ptys keep no output of their own: it is the master's input.
        Ok(0)
    }

    fn flush(&self, queue: u32) -> Result<(), Errno> {
        {
            let mut s = self.state.lock();
            match queue {
                q if q == l::TCIFLUSH => s.ldisc.flush_input(),
                q if q == l::TCOFLUSH => s.to_master.clear(),
                q if q == l::TCIOFLUSH => {
                    s.ldisc.flush_input();
                    s.to_master.clear();
                }
                _ => return Err(Errno::EINVAL),
            }
        }
        self.notify_all(WRITABLE);
        Ok(())
    }

    fn flow(&self, action: u32) -> Result<(), Errno> {
        {
            let mut s = self.state.lock();
            match action {
                a if a == l::TCOOFF => s.output_stopped = true,
                a if a == l::TCOON => s.output_stopped = false,
                // Input flow: the STOP or START character goes to the other side.
                a if a == l::TCIOFF || a == l::TCION => {
                    let index = if a == l::TCIOFF { l::VSTOP } else { l::VSTART };
                    if let Some(c) = s.termios.cc(index) {
                        s.to_master.push_back(c);
                    }
                }
                _ => return Err(Errno::EINVAL),
            }
        }
        self.notify_all(READABLE | WRITABLE);
        Ok(())
    }

    fn rdev(&self) -> u64 {
        self.node.rdev()
    }

    fn reopen(&self, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        self.open_slave()
    }

    fn hung_up(&self) -> bool {
        !self.state.lock().master_open
    }
}

/// An open master (made by opening ptmx).
pub struct MasterFile {
    pty: Arc<Pty>,
    /// The ptmx node's stat.
    stat: Stat,
}

impl MasterFile {
    pub(crate) fn new(pty: Arc<Pty>, stat: Stat) -> MasterFile {
        MasterFile { pty, stat }
    }
}

impl Drop for MasterFile {
    fn drop(&mut self) {
        self.pty.close_master();
    }
}

impl FileOps for MasterFile {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.pty.master_read(buf)
    }
    fn write(&self, _offset: u64, buf: &[u8]) -> Result<usize, Errno> {
        self.pty.master_write(buf)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.stat)
    }
    fn seekable(&self) -> bool {
        false
    }
    fn readiness(&self, mask: u32) -> u32 {
        self.pty.master_readiness(mask)
    }
    fn wait_queue(&self) -> Option<&Queue> {
        Some(&self.pty.master_queue)
    }
    fn terminal(&self) -> Option<TtyFile> {
        Some(TtyFile::Master(self.pty.clone()))
    }
}

/// An open slave (/dev/pts/N).
pub struct SlaveFile {
    pty: Arc<Pty>,
}

impl Drop for SlaveFile {
    fn drop(&mut self) {
        self.pty.close_slave();
    }
}

impl FileOps for SlaveFile {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        // Plain reads (outside the read syscalls' VMIN/VTIME handling).
        self.pty.slave_read(buf, 1)
    }
    fn write(&self, _offset: u64, buf: &[u8]) -> Result<usize, Errno> {
        self.pty.slave_write(buf)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.pty.node.stat())
    }
    fn seekable(&self) -> bool {
        false
    }
    fn readiness(&self, mask: u32) -> u32 {
        self.pty.slave_readiness(mask)
    }
    fn wait_queue(&self) -> Option<&Queue> {
        Some(&self.pty.slave_queue)
    }
    fn terminal(&self) -> Option<TtyFile> {
        Some(TtyFile::Slave(self.pty.clone()))
    }
}
