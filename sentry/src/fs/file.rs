//! Open file descriptions.

use std::sync::Arc;

use abi::Errno;
use abi::types::Stat;
use parking_lot::Mutex;

use crate::mm::Mappable;
use crate::waiter::events::{READABLE, WRITABLE};
use crate::waiter::{Blocker, Queue};

/// What a kind of file does. Defaults are Linux's answers for files that do not
/// support an operation.
pub trait FileOps: Send + Sync {
    /// Reads at `offset` (ignored by streams); returns bytes read.
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno>;
    /// Writes at `offset` (ignored by streams); returns bytes written.
    fn write(&self, _offset: u64, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
    /// `read` with the description's status flags (O_NONBLOCK), for files that care.
    fn read_flags(&self, offset: u64, buf: &mut [u8], _flags: u32) -> Result<usize, Errno> {
        self.read(offset, buf)
    }
    /// `write` with the description's status flags.
    fn write_flags(&self, offset: u64, buf: &[u8], _flags: u32) -> Result<usize, Errno> {
        self.write(offset, buf)
    }
    /// Flushes written data to stable storage (`fsync`); in-memory files have
    /// nothing to flush.
    fn fsync(&self) -> Result<(), Errno> {
        Ok(())
    }
    /// A host descriptor holding the file's data, for reading straight into
    /// application memory (regular files of the gofer).
    fn host_fd(&self) -> Option<std::os::fd::RawFd> {
        None
    }
    /// `ftruncate` of a file that is not in the VFS (memfd); others go through
    /// their inode.
    fn set_size(&self, _size: u64) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }
    /// `fallocate(mode, offset, len)`; files that cannot say EOPNOTSUPP.
    fn fallocate(&self, _mode: u32, _offset: u64, _len: u64) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }
    /// lseek(SEEK_DATA): the next offset holding data. Files that do not
    /// know their holes are all data up to their size (ENXIO past it).
    fn seek_data(&self, offset: u64) -> Result<u64, Errno> {
        if offset >= self.size()? {
            return Err(Errno::ENXIO);
        }
        Ok(offset)
    }
    /// lseek(SEEK_HOLE): the next hole; the end of the file is one.
    fn seek_hole(&self, offset: u64) -> Result<u64, Errno> {
        let size = self.size()?;
        if offset >= size {
            return Err(Errno::ENXIO);
        }
        Ok(size)
    }
    /// The pipe behind a pipe end or FIFO (for F_GETPIPE_SZ, FIONREAD).
    fn pipe(&self) -> Option<&crate::fsimpl::pipe::Pipe> {
        None
    }
    /// Which of `mask` (poll bits) the file is ready for now, plus error and
    /// hang-up. Files without a wait queue are always readable and writable, as
    /// on Linux.
    fn readiness(&self, mask: u32) -> u32 {
        mask & (READABLE | WRITABLE)
    }
    /// Notified when readiness may have changed; `None` for files that are always
    /// ready (epoll refuses them with EPERM, as Linux does files without `poll`).
    fn wait_queue(&self) -> Option<&Queue> {
        None
    }
    /// Waits for what a blocking open must wait for (a FIFO's other end).
    fn open_wait(&self, _b: &dyn Blocker) -> Result<(), Errno> {
        Ok(())
    }
    /// The epoll instance behind an epoll descriptor.
    fn epoll(&self) -> Option<&crate::fsimpl::epoll::Epoll> {
        None
    }
    /// The signalfd behind a descriptor (signalfd on it replaces its mask).
    fn as_signalfd(&self) -> Option<&crate::fsimpl::signalfd::SignalFd> {
        None
    }
    /// The timerfd behind a descriptor (timerfd_settime/gettime).
    fn as_timerfd(&self) -> Option<&crate::fsimpl::timerfd::TimerFd> {
        None
    }
    /// The inotify instance behind a descriptor.
    fn as_inotify(&self) -> Option<&crate::fsimpl::inotify::Inotify> {
        None
    }
    /// The pidfd behind a descriptor.
    fn as_pidfd(&self) -> Option<&crate::fsimpl::pidfd::PidFd> {
        None
    }
    /// What the file is as a terminal (pty master or slave, host terminal);
    /// None for files that are not terminals (their tty requests are ENOTTY).
    fn terminal(&self) -> Option<crate::fsimpl::tty::TtyFile> {
        None
    }
    /// For anonymous files (eventfd, epoll): the name /proc/PID/fd shows after
    /// `anon_inode:`.
    fn anon_name(&self) -> Option<&'static str> {
        None
    }
    fn stat(&self) -> Result<Stat, Errno>;
    /// Seekable files have offsets; streams (pipes, ttys) do not (`ESPIPE`).
    fn seekable(&self) -> bool;
    /// For `lseek(SEEK_END)`.
    fn size(&self) -> Result<u64, Errno> {
        Ok(self.stat()?.size as u64)
    }
    /// `ioctl` requests that return an integer and may read or write an argument
    /// buffer of the size the request implies (`ENOTTY` when not a tty request).
    fn ioctl(&self, _request: u32, _arg: &mut [u8]) -> Result<u64, Errno> {
        Err(Errno::ENOTTY)
    }
    /// The file's path in the sandbox, when it has one (for `*at` calls on directories).
    fn path(&self) -> Option<String> {
        None
    }
    /// For `mmap`: the file's contents, when it can be mapped.
    fn mappable(&self) -> Option<Arc<dyn Mappable>> {
        None
    }
}

/// An open file description: the file, its status flags and its offset.
pub struct OpenFile {
    pub ops: Arc<dyn FileOps>,
    /// Where the file was opened, for files that live in the VFS.
    pub path: Option<crate::vfs::VfsPath>,
    /// `O_ACCMODE`, `O_APPEND`, `O_NONBLOCK`...
    pub flags: Mutex<u32>,
    pub offset: Mutex<u64>,
    /// The lock table this description holds flock/OFD locks in, released when
    /// the description goes.
    pub locks: Mutex<Option<Arc<crate::fs::locks::LockTable>>>,
    /// A regular file open for writing keeps its inode from being executed.
    pub write_access: Mutex<Option<crate::vfs::write_access::WriteAccess>>,
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        crate::notify::description_released(self);
        if let Some(table) = self.locks.get_mut().take() {
            table.release_owner(crate::fs::locks::Owner::File(
                self as *const OpenFile as usize,
            ));
        }
    }
}

impl OpenFile {
    pub fn new(ops: Arc<dyn FileOps>, flags: u32) -> Arc<OpenFile> {
        Arc::new(OpenFile {
            ops,
            path: None,
            flags: Mutex::new(flags),
            offset: Mutex::new(0),
            locks: Mutex::new(None),
            write_access: Mutex::new(None),
        })
    }

    /// A file opened from `path` in the VFS.
    pub fn at_path(ops: Arc<dyn FileOps>, path: crate::vfs::VfsPath, flags: u32) -> Arc<OpenFile> {
        crate::notify::description_made(&path);
        Arc::new(OpenFile {
            ops,
            path: Some(path),
            flags: Mutex::new(flags),
            offset: Mutex::new(0),
            locks: Mutex::new(None),
            write_access: Mutex::new(None),
        })
    }

    /// Opened with O_PATH: a location only, no I/O.
    pub fn is_path_only(&self) -> bool {
        *self.flags.lock() & libc::O_PATH as u32 != 0
    }

    pub fn readable(&self) -> bool {
        if self.is_path_only() {
            return false;
        }
        let acc = *self.flags.lock() & libc::O_ACCMODE as u32;
        acc == libc::O_RDONLY as u32 || acc == libc::O_RDWR as u32
    }

    pub fn writable(&self) -> bool {
        if self.is_path_only() {
            return false;
        }
        let acc = *self.flags.lock() & libc::O_ACCMODE as u32;
        acc == libc::O_WRONLY as u32 || acc == libc::O_RDWR as u32
    }
}
