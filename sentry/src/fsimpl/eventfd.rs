//! eventfd: an anonymous file holding a 64-bit counter.
//!
//! Linux semantics: a read takes the whole counter (or 1 with EFD_SEMAPHORE)
//! and would block at 0; a write adds to it and would block if the sum would
//! pass `u64::MAX - 1`; buffers shorter than 8 bytes and writing `u64::MAX` are
//! EINVAL. Readable while the counter is not 0, writable while it can take 1.

use abi::Errno;
use abi::types::Stat;
use parking_lot::Mutex;

use crate::fs::FileOps;
use crate::waiter::Queue;
use crate::waiter::events::*;

/// Device number of the anonymous-inode filesystem, and its one inode.
pub const ANON_DEV: u64 = 0x0e;
pub const ANON_INO: u64 = 1;

const MAX: u64 = u64::MAX - 1;

pub struct EventFd {
    count: Mutex<u64>,
    semaphore: bool,
    queue: Queue,
}

impl EventFd {
    pub fn new(initial: u64, semaphore: bool) -> EventFd {
        EventFd {
            count: Mutex::new(initial),
            semaphore,
            queue: Queue::default(),
        }
    }
}

/// The stat of an anonymous file (eventfd, epoll): Linux's shared anon inode.
pub fn anon_stat() -> Stat {
    Stat {
        dev: ANON_DEV,
        ino: ANON_INO,
        nlink: 1,
        mode: 0o600,
        blksize: 4096,
        ..Default::default()
    }
}

impl FileOps for EventFd {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let mut c = self.count.lock();
        if *c == 0 {
            return Err(Errno::EAGAIN);
        }
        let v = if self.semaphore { 1 } else { *c };
        *c -= v;
        drop(c);
        buf[..8].copy_from_slice(&v.to_ne_bytes());
        self.queue.notify(WRITABLE);
        Ok(8)
    }

    fn write(&self, _offset: u64, buf: &[u8]) -> Result<usize, Errno> {
        let Some(bytes) = buf.get(..8) else {
            return Err(Errno::EINVAL);
        };
        let v = u64::from_ne_bytes(bytes.try_into().expect("8 bytes"));
        if v == u64::MAX {
            return Err(Errno::EINVAL);
        }
        let mut c = self.count.lock();
        if MAX - *c < v {
            return Err(Errno::EAGAIN);
        }
        *c += v;
        drop(c);
        if v > 0 {
            self.queue.notify(READABLE);
        }
        Ok(8)
    }

    fn readiness(&self, mask: u32) -> u32 {
        let c = *self.count.lock();
        let mut ready = 0;
        if c > 0 {
            ready |= READABLE;
        }
        if c < MAX {
            ready |= WRITABLE;
        }
        ready & (mask | ALWAYS)
    }

    fn wait_queue(&self) -> Option<&Queue> {
        Some(&self.queue)
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("[eventfd]")
    }

    fn stat(&self) -> Result<Stat, Errno> {
        Ok(anon_stat())
    }

    fn seekable(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_and_semaphore() {
        let e = EventFd::new(3, true);
        let mut b = [0u8; 8];
        assert_eq!(e.read(0, &mut b), Ok(8));
        assert_eq!(u64::from_ne_bytes(b), 1);
        let e = EventFd::new(0, false);
        assert_eq!(e.read(0, &mut b), Err(Errno::EAGAIN));
        assert_eq!(e.readiness(!0), WRITABLE);
        assert_eq!(e.write(0, &u64::MAX.to_ne_bytes()), Err(Errno::EINVAL));
        assert_eq!(e.write(0, &(MAX).to_ne_bytes()), Ok(8));
        assert_eq!(e.write(0, &1u64.to_ne_bytes()), Err(Errno::EAGAIN));
        assert_eq!(e.readiness(!0), READABLE);
        assert_eq!(e.read(0, &mut b[..4]), Err(Errno::EINVAL));
    }
}
