//! A host descriptor the sandbox was given (the container's stdio).
//!
//! Reads and writes go to the host descriptor; `fstat` reports it; when it is
//! a terminal, the terminal requests go to its `HostTty`. Descriptors the host can poll are watched by the
//! host-FD notifier: a read or write first checks readiness without waiting and
//! says EAGAIN when not ready (the caller then sleeps on the wait queue), so a
//! task never sleeps in a host call. The host descriptor's own flags are left
//! alone (it may be a terminal shared with the caller of runsc).

use abi::Errno;
use abi::types::{Stat, Timespec};

use std::sync::Arc;

use super::file::FileOps;
use crate::waiter::Queue;
use crate::waiter::events::{ALWAYS, READABLE, WRITABLE};

pub struct HostFd {
    fd: i32,
    /// Set when the host can poll the descriptor (not a regular file).
    queue: Option<Arc<Queue>>,
    /// Set when the descriptor is a terminal.
    tty: Option<Arc<super::host_tty::HostTty>>,
    /// The descriptor is this file's alone (an `exec`'s stdio): closed when
    /// the file goes.
    owned: bool,
}

/// At most this much per host write to a stream, so that a write the host
/// said it has room for cannot block (a pipe with room takes PIPE_BUF).
const STREAM_WRITE_MAX: usize = 4096;

fn last_errno() -> Errno {
    Errno(nix::errno::Errno::last_raw() as u16)
}

impl HostFd {
    /// Wraps host descriptor `fd`, which the sentry keeps open for its whole life.
    pub fn new(fd: i32) -> HostFd {
        HostFd {
            fd,
            queue: super::host_notifier::watch(fd),
            tty: super::host_tty::HostTty::of(fd),
            owned: false,
        }
    }

    /// Wraps host descriptor `fd`, which this file owns and closes when it goes.
    pub fn owned(fd: std::os::fd::OwnedFd) -> HostFd {
        use std::os::fd::IntoRawFd;
        let fd = fd.into_raw_fd();
        HostFd {
            fd,
            queue: super::host_notifier::watch(fd),
            tty: super::host_tty::HostTty::of(fd),
            owned: true,
        }
    }

    /// The host terminal the descriptor is, if it is one.
    pub fn host_tty(&self) -> Option<&Arc<super::host_tty::HostTty>> {
        self.tty.as_ref()
    }
}

impl Drop for HostFd {
    fn drop(&mut self) {
        if self.owned {
            super::host_notifier::unwatch(self.fd);
            // SAFETY: the descriptor is this file's alone (`owned`) and nothing
            // uses it once the file is dropped.
            unsafe { libc::close(self.fd) };
        }
    }
}

impl FileOps for HostFd {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if self.queue.is_some()
            && crate::host::poll_now(self.fd, (libc::POLLIN | libc::POLLRDHUP) as u32) == 0
        {
            return Err(Errno::EAGAIN);
        }
        loop {
            // SAFETY: reads into a live buffer of buf.len() bytes.
            let n = unsafe { libc::read(self.fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = last_errno();
            if e != Errno::EINTR {
                return Err(e);
            }
        }
    }

    fn write(&self, _offset: u64, buf: &[u8]) -> Result<usize, Errno> {
        let buf = if self.queue.is_some() {
            if crate::host::poll_now(self.fd, libc::POLLOUT as u32) == 0 {
                return Err(Errno::EAGAIN);
            }
            &buf[..buf.len().min(STREAM_WRITE_MAX)]
        } else {
            buf
        };
        loop {
            // SAFETY: writes from a live buffer of buf.len() bytes.
            let n = unsafe { libc::write(self.fd, buf.as_ptr().cast(), buf.len()) };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = last_errno();
            if e != Errno::EINTR {
                return Err(e);
            }
        }
    }

    fn stat(&self) -> Result<Stat, Errno> {
        // A host terminal named in devpts is its node there, as stat sees it.
        if let Some(node) = self.tty.as_ref().and_then(|t| t.node()) {
            return Ok(node.stat());
        }
        let st = nix::sys::stat::fstat(self.fd).map_err(|e| Errno(e as i32 as u16))?;
        Ok(Stat {
            dev: st.st_dev,
            ino: st.st_ino,
            nlink: st.st_nlink,
            mode: st.st_mode,
            uid: st.st_uid,
            gid: st.st_gid,
            pad0: 0,
            rdev: st.st_rdev,
            size: st.st_size,
            blksize: st.st_blksize,
            blocks: st.st_blocks,
            atime: Timespec {
                tv_sec: st.st_atime,
                tv_nsec: st.st_atime_nsec,
            },
            mtime: Timespec {
                tv_sec: st.st_mtime,
                tv_nsec: st.st_mtime_nsec,
            },
            ctime: Timespec {
                tv_sec: st.st_ctime,
                tv_nsec: st.st_ctime_nsec,
            },
            reserved: [0; 3],
        })
    }

    fn readiness(&self, mask: u32) -> u32 {
        if self.queue.is_none() {
            return mask & (READABLE | WRITABLE);
        }
        crate::host::poll_now(self.fd, mask) & (mask | ALWAYS)
    }

    fn wait_queue(&self) -> Option<&Queue> {
        self.queue.as_deref()
    }

    fn seekable(&self) -> bool {
        // Regular files redirected into the container are seekable on the host too.
        self.stat()
            .is_ok_and(|s| s.mode & libc::S_IFMT == libc::S_IFREG)
    }

    fn terminal(&self) -> Option<crate::fsimpl::tty::TtyFile> {
        let tty = self.tty.clone()?;
        Some(crate::fsimpl::tty::TtyFile::Other(tty))
    }
}

/// The access mode (`O_RDONLY`/`O_WRONLY`/`O_RDWR`) and status flags of host `fd`.
pub fn host_access_mode(fd: i32) -> u32 {
    // SAFETY: F_GETFL only reads descriptor flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        libc::O_RDWR as u32
    } else {
        flags as u32 & (libc::O_ACCMODE | libc::O_APPEND) as u32
    }
}
