//! Terminals: the settings (`termios`), the line discipline (`ldisc`), pseudo
//! terminals (`pty`, served by devpts), and what every terminal shares with job
//! control: the session it controls and its foreground process group.
//!
//! Files that are terminals say so with `FileOps::terminal`; the syscalls
//! (ioctl, read and write job control) work from that. The controlling
//! terminal of a process is `ProcessInfo::ctty`; `task::ctty` keeps it and the
//! terminal's `JobControl` consistent.

pub mod ldisc;
pub mod pty;
pub mod termios;

use std::sync::Arc;

use abi::Errno;
use parking_lot::Mutex;

use crate::fs::FileOps;
pub use pty::Pty;
pub use termios::{Termios, Winsize};

/// When new settings take effect (TCSETS, TCSETSW, TCSETSF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetWhen {
    Now,
    /// After written output drained.
    Drain,
    /// After output drained, discarding unread input.
    Flush,
}

/// The session a terminal controls and its foreground process group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobState {
    pub session: Option<i32>,
    pub pgrp: Option<i32>,
}

#[derive(Default)]
pub struct JobControl(Mutex<JobState>);

impl JobControl {
    pub fn get(&self) -> JobState {
        *self.0.lock()
    }
    pub fn set(&self, state: JobState) {
        *self.0.lock() = state;
    }
    pub fn set_pgrp(&self, pgrp: i32) {
        self.0.lock().pgrp = Some(pgrp);
    }
}

/// A terminal as job control and the terminal ioctls see it: a pty's slave
/// side, or a host terminal the sandbox was given.
pub trait Terminal: Send + Sync {
    fn job(&self) -> &JobControl;
    fn termios(&self) -> Result<Termios, Errno>;
    fn set_termios(&self, t: &Termios, when: SetWhen) -> Result<(), Errno>;
    fn winsize(&self) -> Result<Winsize, Errno>;
    /// Returns whether the size changed (SIGWINCH is then due).
    fn set_winsize(&self, w: &Winsize) -> Result<bool, Errno>;
    /// Unread input (FIONREAD on this side).
    fn input_len(&self) -> Result<usize, Errno>;
    /// Output not yet taken by the other side (TIOCOUTQ).
    fn output_len(&self) -> Result<usize, Errno>;
    /// TCFLSH: discard input (TCIFLUSH), output (TCOFLUSH) or both.
    fn flush(&self, queue: u32) -> Result<(), Errno>;
    /// TCXONC: suspend or restart output or input.
    fn flow(&self, action: u32) -> Result<(), Errno>;
    /// The device number (`st_rdev`, TIOCGDEV).
    fn rdev(&self) -> u64;
    /// A new open file of this terminal (open of /dev/tty).
    fn reopen(&self, flags: u32) -> Result<Arc<dyn FileOps>, Errno>;
    /// Hung up: its requests fail with EIO.
    fn hung_up(&self) -> bool {
        false
    }
}

/// What a terminal file is, for the ioctls and the read/write job control.
#[derive(Clone)]
pub enum TtyFile {
    /// A pty master: most requests act on its slave.
    Master(Arc<Pty>),
    /// A pty slave.
    Slave(Arc<Pty>),
    /// Another terminal (a host terminal).
    Other(Arc<dyn Terminal>),
}

impl TtyFile {
    /// The terminal the settings and job-control requests act on.
    pub fn terminal(&self) -> Arc<dyn Terminal> {
        match self {
            TtyFile::Master(pty) | TtyFile::Slave(pty) => pty.clone(),
            TtyFile::Other(t) => t.clone(),
        }
    }
}

/// Whether two terminals are the same one.
pub fn same(a: &Arc<dyn Terminal>, b: &Arc<dyn Terminal>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}
