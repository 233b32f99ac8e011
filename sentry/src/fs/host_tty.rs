//! A host terminal the sandbox was given as stdio (or /dev/console). Its
//! settings and window size are the host's: those requests are forwarded
//! to the host terminal. Its session and foreground group are the sandbox's
//! (sandbox pids mean nothing to the host), shared by every descriptor of
//! the same host terminal. Given a devpts node (`PtsNode`), the terminal is
//! /dev/pts/N in the sandbox: its files report that node's `stat`.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, OnceLock, Weak};

use abi::Errno;
use abi::ioctl as io;
use parking_lot::Mutex;

use super::FileOps;
use super::host_fd::HostFd;
use crate::fsimpl::devpts::PtsNode;
use crate::fsimpl::tty::termios::{TERMIOS2_SIZE, WINSIZE_SIZE};
use crate::fsimpl::tty::{JobControl, SetWhen, Terminal, Termios, Winsize};

pub struct HostTty {
    /// The terminal's own host descriptor (a duplicate: the files it came
    /// from may close theirs).
    fd: std::os::fd::OwnedFd,
    /// The host's device number.
    rdev: u64,
    job: JobControl,
    /// Its name in the sandbox's devpts, once it has one.
    node: OnceLock<PtsNode>,
}

/// The host terminals in use, by device number.
static TERMINALS: LazyLock<Mutex<HashMap<u64, Weak<HostTty>>>> = LazyLock::new(Default::default);

impl HostTty {
    /// The terminal behind host `fd`, if it is one.
    pub fn of(fd: i32) -> Option<Arc<HostTty>> {
        // SAFETY: isatty only inspects the descriptor.
        if unsafe { libc::isatty(fd) } != 1 {
            return None;
        }
        let rdev = nix::sys::stat::fstat(fd).ok()?.st_rdev;
        let mut all = TERMINALS.lock();
        if let Some(t) = all.get(&rdev).and_then(Weak::upgrade) {
            return Some(t);
        }
        let own = dup_owned(fd).ok()?;
        let t = Arc::new(HostTty {
            fd: own,
            rdev,
            job: JobControl::default(),
            node: OnceLock::new(),
        });
        all.insert(rdev, Arc::downgrade(&t));
        Some(t)
    }

    /// The terminal's devpts node, if it has one.
    pub fn node(&self) -> Option<&PtsNode> {
        self.node.get()
    }

    /// Names the terminal `node` (devpts does); gives the node back if the
    /// terminal already has one.
    pub(crate) fn set_node(&self, node: PtsNode) -> Result<(), PtsNode> {
        self.node.set(node)
    }

    fn raw(&self) -> i32 {
        std::os::fd::AsRawFd::as_raw_fd(&self.fd)
    }

    /// An ioctl on the host terminal whose argument is `arg` (a buffer the
    /// request reads or writes, sized for it).
    fn ioctl_buf(&self, request: u32, arg: &mut [u8]) -> Result<(), Errno> {
        // SAFETY: every caller passes a buffer of the size `request` uses.
        let r = unsafe { libc::ioctl(self.raw(), request as libc::Ioctl, arg.as_mut_ptr()) };
        check(r)
    }

    /// An ioctl whose argument is a value.
    fn ioctl_value(&self, request: u32, value: u64) -> Result<(), Errno> {
        // SAFETY: the request takes its argument by value; no memory is passed.
        let r = unsafe { libc::ioctl(self.raw(), request as libc::Ioctl, value) };
        check(r)
    }

    fn ioctl_int(&self, request: u32) -> Result<usize, Errno> {
        let mut v = [0u8; 4];
        self.ioctl_buf(request, &mut v)?;
        Ok(i32::from_le_bytes(v).max(0) as usize)
    }
}

/// A close-on-exec duplicate of host `fd`, owned.
fn dup_owned(fd: i32) -> Result<std::os::fd::OwnedFd, Errno> {
    let raw = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(0))
        .map_err(|e| Errno(e as i32 as u16))?;
    // SAFETY: `raw` is a new descriptor that nothing else owns.
    Ok(unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(raw) })
}

fn check(r: i32) -> Result<(), Errno> {
    if r < 0 {
        Err(Errno(nix::errno::Errno::last_raw() as u16))
    } else {
        Ok(())
    }
}

impl Terminal for HostTty {
    fn job(&self) -> &JobControl {
        &self.job
    }

    fn termios(&self) -> Result<Termios, Errno> {
        let mut b = [0u8; TERMIOS2_SIZE];
        self.ioctl_buf(io::TCGETS2, &mut b)?;
        Ok(Termios::from_bytes(&b))
    }

    fn set_termios(&self, t: &Termios, when: SetWhen) -> Result<(), Errno> {
        // Never TCSETSW: waiting for the host's output to drain could hold
        // this thread where no signal reaches it.
        if when == SetWhen::Flush {
            self.ioctl_value(io::TCFLSH, abi::linux::TCIFLUSH as u64)?;
        }
        let mut b = t.to_termios2();
        self.ioctl_buf(io::TCSETS2, &mut b)
    }

    fn winsize(&self) -> Result<Winsize, Errno> {
        let mut b = [0u8; WINSIZE_SIZE];
        self.ioctl_buf(io::TIOCGWINSZ, &mut b)?;
        Ok(Winsize::from_bytes(&b))
    }

    fn set_winsize(&self, w: &Winsize) -> Result<bool, Errno> {
        let old = self.winsize()?;
        let mut b = w.to_bytes();
        self.ioctl_buf(io::TIOCSWINSZ, &mut b)?;
        Ok(old != *w)
    }

    fn input_len(&self) -> Result<usize, Errno> {
        self.ioctl_int(io::FIONREAD)
    }

    fn output_len(&self) -> Result<usize, Errno> {
        self.ioctl_int(io::TIOCOUTQ)
    }

    fn flush(&self, queue: u32) -> Result<(), Errno> {
        self.ioctl_value(io::TCFLSH, queue as u64)
    }

    fn flow(&self, action: u32) -> Result<(), Errno> {
        self.ioctl_value(io::TCXONC, action as u64)
    }

    fn rdev(&self) -> u64 {
        self.node().map_or(self.rdev, PtsNode::rdev)
    }

    fn reopen(&self, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        Ok(Arc::new(HostFd::owned(dup_owned(self.raw())?)))
    }
}
