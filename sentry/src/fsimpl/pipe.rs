//! Pipes: a bounded byte queue between a read end and a write end.
//!
//! Linux semantics: 64 KiB by default (F_SETPIPE_SZ changes it, rounded up to a
//! power-of-two number of pages), writes of at most PIPE_BUF bytes are atomic,
//! reading with no writers left is end of file, writing with no readers left is
//! EPIPE (the syscall layer raises SIGPIPE). The pipe itself never sleeps: an
//! operation that would block returns EAGAIN and the caller waits on the pipe's
//! wait queue (which signals interrupt).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use abi::Errno;
use abi::types::Stat;
use parking_lot::Mutex;

use crate::fs::FileOps;
use crate::vfs::inode::S_IFIFO;
use crate::waiter::events::*;
use crate::waiter::{Blocker, Queue, wait_until};

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
    /// Opens of each end so far (Linux's r_counter/w_counter): a FIFO opener
    /// waits for the other count to move, so a partner that came and went counts.
    reader_opens: u64,
    writer_opens: u64,
}

pub struct Pipe {
    ino: u64,
    state: Mutex<State>,
    queue: Queue,
}

impl Pipe {
    fn with_ends(readers: usize, writers: usize) -> Arc<Pipe> {
        Arc::new(Pipe {
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            state: Mutex::new(State {
                data: VecDeque::new(),
                capacity: DEFAULT_CAPACITY,
                readers,
                writers,
                reader_opens: readers as u64,
                writer_opens: writers as u64,
            }),
            queue: Queue::default(),
        })
    }

    /// A new pipe and its two ends.
    pub fn new_pair() -> (Arc<dyn FileOps>, Arc<dyn FileOps>) {
        let pipe = Pipe::with_ends(1, 1);
        let read = ReadEnd {
            pipe: pipe.clone(),
            writers_seen: 0,
            wait_for_writer: false,
        };
        (Arc::new(read), Arc::new(WriteEnd::new(pipe, None)))
    }

    /// A named pipe (FIFO): no ends yet; `open_fifo` makes them.
    pub fn fifo() -> Arc<Pipe> {
        Pipe::with_ends(0, 0)
    }

    /// Opens an end of a FIFO with Linux's rules: a reader (unless O_NONBLOCK)
    /// waits for a writer, a writer waits for a reader (with O_NONBLOCK: ENXIO),
    /// O_RDWR is both ends at once and never waits. The wait itself is the
    /// end's `open_wait`, done by the caller, which can be interrupted.
    pub fn open_fifo(self: &Arc<Pipe>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        let nonblock = flags & libc::O_NONBLOCK as u32 != 0;
        let mut s = self.state.lock();
        let end: Arc<dyn FileOps> = match flags & libc::O_ACCMODE as u32 {
            a if a == libc::O_RDONLY as u32 => {
                s.readers += 1;
                s.reader_opens += 1;
                Arc::new(ReadEnd {
                    pipe: self.clone(),
                    writers_seen: s.writer_opens,
                    wait_for_writer: !nonblock && s.writers == 0,
                })
            }
            a if a == libc::O_WRONLY as u32 => {
                if s.readers == 0 && nonblock {
                    return Err(Errno::ENXIO);
                }
                s.writers += 1;
                s.writer_opens += 1;
                Arc::new(WriteEnd::new(
                    self.clone(),
                    (s.readers == 0).then_some(s.reader_opens),
                ))
            }
            _ => {
                s.readers += 1;
                s.writers += 1;
                s.reader_opens += 1;
                s.writer_opens += 1;
                Arc::new(BothEnds(self.clone()))
            }
        };
        drop(s);
        self.queue.notify(POLLIN | POLLOUT | POLLHUP);
        Ok(end)
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

    /// Reads what there is; EAGAIN when empty with writers left.
    fn read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut s = self.state.lock();
        if s.data.is_empty() {
            return if s.writers == 0 {
                Ok(0)
            } else {
                Err(Errno::EAGAIN)
            };
        }
        let n = buf.len().min(s.data.len());
        for (dst, src) in buf.iter_mut().zip(s.data.drain(..n)) {
            *dst = src;
        }
        drop(s);
        self.queue.notify(WRITABLE);
        Ok(n)
    }

    /// Writes what fits (small writes whole or not at all); EAGAIN when nothing
    /// could be written.
    fn write(&self, buf: &[u8]) -> Result<usize, Errno> {
        let mut s = self.state.lock();
        if s.readers == 0 {
            return Err(Errno::EPIPE);
        }
        let room = s.capacity.saturating_sub(s.data.len());
        let atomic = buf.len() <= PIPE_BUF;
        let fits = if atomic { room >= buf.len() } else { room > 0 };
        if !fits {
            return Err(Errno::EAGAIN);
        }
        let n = buf.len().min(room);
        s.data.extend(&buf[..n]);
        drop(s);
        self.queue.notify(READABLE);
        Ok(n)
    }

    /// poll(2) of an end: `read`/`write` say which end(s) the caller holds;
    /// `writers_seen` keeps a FIFO reader that never had a writer from seeing a
    /// hang-up (Linux's f_version check).
    fn readiness(&self, read: bool, write: bool, writers_seen: u64) -> u32 {
        let s = self.state.lock();
        let mut ready = 0;
        if read {
            if !s.data.is_empty() {
                ready |= READABLE;
            }
            if s.writers == 0 && s.writer_opens != writers_seen {
                ready |= POLLHUP;
            }
        }
        if write {
            if s.capacity.saturating_sub(s.data.len()) >= PIPE_BUF {
                ready |= WRITABLE;
            }
            if s.readers == 0 {
                ready |= POLLERR;
            }
        }
        ready
    }

    fn close(&self, reader: bool, writer: bool) {
        let mut s = self.state.lock();
        s.readers -= reader as usize;
        s.writers -= writer as usize;
        drop(s);
        self.queue.notify(POLLIN | POLLOUT | POLLHUP | POLLERR);
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
        drop(s);
        self.queue.notify(WRITABLE);
        Ok(cap)
    }

    /// Copies up to `buf.len()` bytes without consuming them (`tee`); EAGAIN
    /// when empty with writers left, like a read.
    pub fn peek(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        let s = self.state.lock();
        if s.data.is_empty() {
            return if s.writers == 0 {
                Ok(0)
            } else {
                Err(Errno::EAGAIN)
            };
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

    pub fn queue(&self) -> &Queue {
        &self.queue
    }
}

/// The read end. A FIFO reader remembers the writer opens it saw when opened.
pub struct ReadEnd {
    pipe: Arc<Pipe>,
    writers_seen: u64,
    /// A blocking FIFO open that found no writer waits for one.
    wait_for_writer: bool,
}

impl ReadEnd {
    /// Reads without waiting (splice on any pipe end).
    pub fn consume(pipe: &Pipe, buf: &mut [u8]) -> Result<usize, Errno> {
        pipe.read(buf)
    }
}

/// The write end.
pub struct WriteEnd {
    pipe: Arc<Pipe>,
    /// A blocking FIFO open that found no reader waits for one.
    wait_for_reader: Option<u64>,
}

impl WriteEnd {
    fn new(pipe: Arc<Pipe>, wait_for_reader: Option<u64>) -> WriteEnd {
        WriteEnd {
            pipe,
            wait_for_reader,
        }
    }
}

impl Drop for ReadEnd {
    fn drop(&mut self) {
        self.pipe.close(true, false);
    }
}

impl Drop for WriteEnd {
    fn drop(&mut self) {
        self.pipe.close(false, true);
    }
}

impl FileOps for ReadEnd {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.pipe.read(buf)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.pipe.stat())
    }
    fn seekable(&self) -> bool {
        false
    }
    fn pipe(&self) -> Option<&Pipe> {
        Some(&self.pipe)
    }
    fn readiness(&self, mask: u32) -> u32 {
        self.pipe.readiness(true, false, self.writers_seen) & (mask | ALWAYS)
    }
    fn wait_queue(&self) -> Option<&Queue> {
        Some(&self.pipe.queue)
    }
    fn open_wait(&self, b: &dyn Blocker) -> Result<(), Errno> {
        if !self.wait_for_writer {
            return Ok(());
        }
        let seen = self.writers_seen;
        wait_until(b, &self.pipe.queue, !0, None, || {
            let s = self.pipe.state.lock();
            (s.writers > 0 || s.writer_opens != seen).then_some(())
        })
    }
}

impl FileOps for WriteEnd {
    fn read(&self, _offset: u64, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
    fn write(&self, _offset: u64, buf: &[u8]) -> Result<usize, Errno> {
        self.pipe.write(buf)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.pipe.stat())
    }
    fn seekable(&self) -> bool {
        false
    }
    fn pipe(&self) -> Option<&Pipe> {
        Some(&self.pipe)
    }
    fn readiness(&self, mask: u32) -> u32 {
        self.pipe.readiness(false, true, 0) & (mask | ALWAYS)
    }
    fn wait_queue(&self) -> Option<&Queue> {
        Some(&self.pipe.queue)
    }
    fn open_wait(&self, b: &dyn Blocker) -> Result<(), Errno> {
        let Some(seen) = self.wait_for_reader else {
            return Ok(());
        };
        wait_until(b, &self.pipe.queue, !0, None, || {
            let s = self.pipe.state.lock();
            (s.readers > 0 || s.reader_opens != seen).then_some(())
        })
    }
}

/// A FIFO opened O_RDWR: reads and writes, counts as a reader and a writer.
pub struct BothEnds(pub Arc<Pipe>);

impl Drop for BothEnds {
    fn drop(&mut self) {
        self.0.close(true, true);
    }
}

impl FileOps for BothEnds {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.0.read(buf)
    }
    fn write(&self, _offset: u64, buf: &[u8]) -> Result<usize, Errno> {
        self.0.write(buf)
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
    fn readiness(&self, mask: u32) -> u32 {
        // Never a hang-up: this description is a writer itself.
        self.0.readiness(true, true, 0) & (mask | ALWAYS)
    }
    fn wait_queue(&self) -> Option<&Queue> {
        Some(&self.0.queue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::waiter::{Uninterruptible, Waker};
    use std::time::Instant;

    /// A blocker with a signal pending: every sleep gives up.
    struct Interrupted(Arc<Waker>);
    impl Blocker for Interrupted {
        fn waker(&self) -> Arc<Waker> {
            self.0.clone()
        }
        fn block(&self, _: Option<Instant>) -> Result<(), Errno> {
            Err(Errno::EINTR)
        }
    }

    #[test]
    fn an_interrupted_fifo_open_leaves_no_reader_behind() {
        let fifo = Pipe::fifo();
        let reader = fifo.open_fifo(libc::O_RDONLY as u32).unwrap();
        assert_eq!(
            reader.open_wait(&Interrupted(Waker::new())),
            Err(Errno::EINTR)
        );
        drop(reader);
        let nb_writer = (libc::O_WRONLY | libc::O_NONBLOCK) as u32;
        assert_eq!(fifo.open_fifo(nb_writer).err(), Some(Errno::ENXIO));
    }

    #[test]
    fn a_reader_waits_for_a_writer_that_came_and_went() {
        let fifo = Pipe::fifo();
        let reader = fifo.open_fifo(libc::O_RDONLY as u32).unwrap();
        drop(fifo.open_fifo(libc::O_WRONLY as u32).unwrap());
        assert_eq!(reader.open_wait(&Uninterruptible::new()), Ok(()));
        assert_eq!(reader.readiness(POLLIN), POLLHUP);
    }

    #[test]
    fn full_and_empty_pipes_say_eagain() {
        let (r, w) = Pipe::new_pair();
        let mut b = [0u8; 8];
        assert_eq!(r.read(0, &mut b), Err(Errno::EAGAIN));
        assert_eq!(r.readiness(POLLIN), 0);
        let big = vec![0u8; DEFAULT_CAPACITY + 10];
        assert_eq!(w.write(0, &big), Ok(DEFAULT_CAPACITY));
        assert_eq!(w.write(0, &[1]), Err(Errno::EAGAIN));
        assert_eq!(w.readiness(POLLOUT), 0);
        assert_eq!(r.readiness(POLLIN), READABLE & POLLIN);
        drop(w);
        assert_eq!(r.readiness(POLLIN), POLLIN | POLLHUP);
    }
}
