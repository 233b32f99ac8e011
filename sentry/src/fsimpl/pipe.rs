//! Pipes: a bounded byte queue between a read end and a write end.
//!
//! Linux semantics: 64 KiB by default (F_SETPIPE_SZ changes it, rounded up to a
//! power-of-two number of pages), writes of at most PIPE_BUF bytes are atomic,
//! reading with no writers left is end of file, writing with no readers left is
//! EPIPE (the syscall layer raises SIGPIPE). Blocking waits are not interrupted by
//! signals yet.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use abi::Errno;
use abi::types::Stat;
use parking_lot::{Condvar, Mutex};

use crate::fs::FileOps;
use crate::vfs::inode::S_IFIFO;

pub const PIPE_BUF: usize = 4096;
pub const DEFAULT_CAPACITY: usize = 65536;
/// Linux's default /proc/sys/fs/pipe-max-size.
pub const MAX_CAPACITY: usize = 1 << 20;
/// Device number of pipefs.
const PIPEFS_DEV: u64 = 0x0c;
static NEXT_INO: AtomicU64 = AtomicU64::new(1);

struct State {
    data: VecDeque<u8>,
    capacity: usize,
    readers: usize,
    writers: usize,
}

pub struct Pipe {
    ino: u64,
    state: Mutex<State>,
    changed: Condvar,
}

impl Pipe {
    /// A new pipe and its two ends.
    pub fn new_pair() -> (Arc<dyn FileOps>, Arc<dyn FileOps>) {
        let pipe = Arc::new(Pipe {
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            state: Mutex::new(State {
                data: VecDeque::new(),
                capacity: DEFAULT_CAPACITY,
                readers: 1,
                writers: 1,
            }),
            changed: Condvar::new(),
        });
        (Arc::new(ReadEnd(pipe.clone())), Arc::new(WriteEnd(pipe)))
    }

    /// A named pipe (FIFO): no ends yet; `open_fifo` makes them.
    pub fn fifo() -> Arc<Pipe> {
        Arc::new(Pipe {
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            state: Mutex::new(State {
                data: VecDeque::new(),
                capacity: DEFAULT_CAPACITY,
                readers: 0,
                writers: 0,
            }),
            changed: Condvar::new(),
        })
    }

    /// Opens an end of a FIFO with Linux's rules: a reader (unless O_NONBLOCK)
    /// waits for a writer, a writer waits for a reader (with O_NONBLOCK: ENXIO),
    /// O_RDWR is both ends at once and never waits.
    pub fn open_fifo(self: &Arc<Pipe>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        let nonblock = flags & libc::O_NONBLOCK as u32 != 0;
        let mut s = self.state.lock();
        match flags & libc::O_ACCMODE as u32 {
            a if a == libc::O_RDONLY as u32 => {
                s.readers += 1;
                self.changed.notify_all();
                while !nonblock && s.writers == 0 {
                    self.changed.wait(&mut s);
                }
                drop(s);
                Ok(Arc::new(ReadEnd(self.clone())))
            }
            a if a == libc::O_WRONLY as u32 => {
                if s.readers == 0 && nonblock {
                    return Err(Errno::ENXIO);
                }
                s.writers += 1;
                self.changed.notify_all();
                while s.readers == 0 {
                    self.changed.wait(&mut s);
                }
                drop(s);
                Ok(Arc::new(WriteEnd(self.clone())))
            }
            _ => {
                s.readers += 1;
                s.writers += 1;
                self.changed.notify_all();
                drop(s);
                Ok(Arc::new(BothEnds(self.clone())))
            }
        }
    }

    fn stat(&self) -> Stat {
        Stat {
            dev: PIPEFS_DEV,
            ino: self.ino,
            nlink: 1,
            mode: S_IFIFO | 0o600,
            blksize: 4096,
            ..Default::default()
        }
    }

    fn read(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut s = self.state.lock();
        while s.data.is_empty() {
            if s.writers == 0 {
                return Ok(0);
            }
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            self.changed.wait(&mut s);
        }
        let n = buf.len().min(s.data.len());
        for (dst, src) in buf.iter_mut().zip(s.data.drain(..n)) {
            *dst = src;
        }
        self.changed.notify_all();
        Ok(n)
    }

    fn write(&self, buf: &[u8], nonblock: bool) -> Result<usize, Errno> {
        let mut s = self.state.lock();
        let mut done = 0;
        while done < buf.len() {
            if s.readers == 0 {
                return if done > 0 {
                    Ok(done)
                } else {
                    Err(Errno::EPIPE)
                };
            }
            let room = s.capacity.saturating_sub(s.data.len());
            // Small writes go in whole or not at all.
            let atomic = buf.len() <= PIPE_BUF;
            let fits = if atomic { room >= buf.len() } else { room > 0 };
            if !fits {
                if nonblock {
                    return if done > 0 {
                        Ok(done)
                    } else {
                        Err(Errno::EAGAIN)
                    };
                }
                self.changed.wait(&mut s);
                continue;
            }
            let n = (buf.len() - done).min(room);
            s.data.extend(&buf[done..done + n]);
            done += n;
            self.changed.notify_all();
        }
        Ok(done)
    }

    pub fn capacity(&self) -> usize {
        self.state.lock().capacity
    }

    /// F_SETPIPE_SZ: at least `size`, a power-of-two number of pages; EBUSY if the
    /// data in the pipe would not fit.
    pub fn set_capacity(&self, size: usize) -> Result<usize, Errno> {
        if size > MAX_CAPACITY {
            return Err(Errno::EPERM);
        }
        let cap = size.max(4096).div_ceil(4096).next_power_of_two() * 4096;
        let mut s = self.state.lock();
        if s.data.len() > cap {
            return Err(Errno::EBUSY);
        }
        s.capacity = cap;
        self.changed.notify_all();
        Ok(cap)
    }

    /// Copies up to `buf.len()` bytes without consuming them (`tee`); waits for
    /// data like a read unless `nonblock`.
    pub fn peek(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        let mut s = self.state.lock();
        while s.data.is_empty() {
            if s.writers == 0 {
                return Ok(0);
            }
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            self.changed.wait(&mut s);
        }
        let n = buf.len().min(s.data.len());
        for (dst, src) in buf.iter_mut().zip(s.data.iter()) {
            *dst = *src;
        }
        Ok(n)
    }

    pub fn available(&self) -> usize {
        self.state.lock().data.len()
    }
}

pub struct ReadEnd(pub Arc<Pipe>);

impl ReadEnd {
    /// Reads without waiting (splice with SPLICE_F_NONBLOCK on any pipe end).
    pub fn consume(pipe: &Pipe, buf: &mut [u8]) -> Result<usize, Errno> {
        pipe.read(buf, true)
    }
}
pub struct WriteEnd(pub Arc<Pipe>);

impl Drop for ReadEnd {
    fn drop(&mut self) {
        self.0.state.lock().readers -= 1;
        self.0.changed.notify_all();
    }
}

impl Drop for WriteEnd {
    fn drop(&mut self) {
        self.0.state.lock().writers -= 1;
        self.0.changed.notify_all();
    }
}

impl FileOps for ReadEnd {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.0.read(buf, false)
    }
    fn read_flags(&self, _offset: u64, buf: &mut [u8], flags: u32) -> Result<usize, Errno> {
        self.0.read(buf, flags & libc::O_NONBLOCK as u32 != 0)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.0.stat())
    }
    fn seekable(&self) -> bool {
        false
    }
    fn pipe(&self) -> Option<&Pipe> {
        Some(&self.0)
    }
}

impl FileOps for WriteEnd {
    fn read(&self, _offset: u64, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
    fn write(&self, _offset: u64, buf: &[u8]) -> Result<usize, Errno> {
        self.0.write(buf, false)
    }
    fn write_flags(&self, _offset: u64, buf: &[u8], flags: u32) -> Result<usize, Errno> {
        self.0.write(buf, flags & libc::O_NONBLOCK as u32 != 0)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.0.stat())
    }
    fn seekable(&self) -> bool {
        false
    }
    fn pipe(&self) -> Option<&Pipe> {
        Some(&self.0)
    }
}

/// A FIFO opened O_RDWR: reads and writes, counts as a reader and a writer.
pub struct BothEnds(pub Arc<Pipe>);

impl Drop for BothEnds {
    fn drop(&mut self) {
        let mut s = self.0.state.lock();
        s.readers -= 1;
        s.writers -= 1;
        self.0.changed.notify_all();
    }
}

impl FileOps for BothEnds {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.0.read(buf, false)
    }
    fn read_flags(&self, _offset: u64, buf: &mut [u8], flags: u32) -> Result<usize, Errno> {
        self.0.read(buf, flags & libc::O_NONBLOCK as u32 != 0)
    }
    fn write(&self, _offset: u64, buf: &[u8]) -> Result<usize, Errno> {
        self.0.write(buf, false)
    }
    fn write_flags(&self, _offset: u64, buf: &[u8], flags: u32) -> Result<usize, Errno> {
        self.0.write(buf, flags & libc::O_NONBLOCK as u32 != 0)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.0.stat())
    }
    fn seekable(&self) -> bool {
        false
    }
    fn pipe(&self) -> Option<&Pipe> {
        Some(&self.0)
    }
}
