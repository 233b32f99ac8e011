//! timerfd: an anonymous file counting the expirations of a timer.
//!
//! Reading gives the count since the last read (8 bytes) and resets it; at 0 it
//! would block. Readable while the count is not 0. Arming the timer again
//! resets the count, as Linux's timerfd_settime.

use std::sync::Arc;
use std::time::Duration;

use abi::Errno;
use abi::types::Stat;
use parking_lot::Mutex;

use super::eventfd::anon_stat;
use crate::fs::FileOps;
use crate::timer::{Timer, TimerClock, TimerService};
use crate::waiter::Queue;
use crate::waiter::events::*;

/// What the timer's thread and readers share.
#[derive(Default)]
struct Expirations {
    count: Mutex<u64>,
    queue: Queue,
}

pub struct TimerFd {
    /// The host clock absolute times are on (CLOCK_REALTIME...).
    pub clock_id: u32,
    shared: Arc<Expirations>,
    timer: Arc<Timer>,
}

impl TimerFd {
    pub fn new(clock_id: u32) -> TimerFd {
        let shared = Arc::new(Expirations::default());
        let weak = Arc::downgrade(&shared);
        // The timer holds only a weak reference: closing the file disarms it.
        let fire = Box::new(move |overruns: u64| {
            if let Some(s) = weak.upgrade() {
                let mut c = s.count.lock();
                *c = c.saturating_add(overruns + 1);
                drop(c);
                s.queue.notify(READABLE);
            }
        });
        TimerFd {
            clock_id,
            shared,
            timer: Timer::new(TimerClock::Wall, fire),
        }
    }

    /// Arms (or, with a zero value, disarms) the timer to fire after `value`
    /// and then every `interval`; returns the old (remaining, interval).
    pub fn set(
        &self,
        service: &TimerService,
        value: Duration,
        interval: Duration,
    ) -> (Duration, Duration) {
        *self.shared.count.lock() = 0;
        self.timer.set(service, value, false, interval)
    }

    pub fn get(&self, service: &TimerService) -> (Duration, Duration) {
        self.timer.get(service)
    }
}

impl FileOps for TimerFd {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let n = std::mem::take(&mut *self.shared.count.lock());
        if n == 0 {
            return Err(Errno::EAGAIN);
        }
        buf[..8].copy_from_slice(&n.to_ne_bytes());
        Ok(8)
    }

    fn write(&self, _offset: u64, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn readiness(&self, mask: u32) -> u32 {
        if *self.shared.count.lock() > 0 {
            READABLE & mask
        } else {
            0
        }
    }

    fn wait_queue(&self) -> Option<&Queue> {
        Some(&self.shared.queue)
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("[timerfd]")
    }

    fn stat(&self) -> Result<Stat, Errno> {
        Ok(anon_stat())
    }

    fn seekable(&self) -> bool {
        false
    }

    fn as_timerfd(&self) -> Option<&TimerFd> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_expirations_and_resets_on_read() {
        let service = TimerService::start();
        let t = TimerFd::new(1);
        let mut b = [0u8; 8];
        assert_eq!(t.read(0, &mut b), Err(Errno::EAGAIN));
        t.set(&service, Duration::from_millis(1), Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(t.readiness(!0), READABLE);
        assert_eq!(t.read(0, &mut b), Ok(8));
        assert!(u64::from_ne_bytes(b) >= 2);
        t.set(&service, Duration::ZERO, Duration::ZERO);
        assert_eq!(t.readiness(!0), 0);
        assert_eq!(t.read(0, &mut b[..4]), Err(Errno::EINVAL));
    }
}
