//! Timeouts of the waiting calls (poll, select, epoll) with Linux's rules: a
//! timeout is an absolute end computed once; a zero timeout never sleeps; select,
//! pselect6 and ppoll write the time left back.

use std::time::{Duration, Instant};

use abi::types::{Timespec, Timeval};
use sentry::Errno;
use sentry::task::Task;

/// When a wait ends: never (`None`), or at an instant (a zero timeout is `now`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timeout {
    pub end: Option<Instant>,
    /// A zero timeout: no sleeping and nothing written back.
    pub zero: bool,
}

impl Timeout {
    pub const INFINITE: Timeout = Timeout {
        end: None,
        zero: false,
    };

    /// Linux's poll_select_set_timeout: EINVAL unless a valid timespec.
    fn after(sec: i64, nsec: i64) -> Result<Timeout, Errno> {
        if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
            return Err(Errno::EINVAL);
        }
        let d = Duration::new(sec as u64, nsec as u32);
        Ok(Timeout {
            end: Some(Instant::now().checked_add(d).unwrap_or_else(far_future)),
            zero: d.is_zero(),
        })
    }

    /// poll's and epoll_wait's milliseconds (negative: forever).
    pub fn from_millis(ms: i32) -> Timeout {
        if ms < 0 {
            return Timeout::INFINITE;
        }
        let ms = ms as i64;
        Timeout::after(ms / 1000, (ms % 1000) * 1_000_000).expect("valid by construction")
    }

    /// A `struct timespec` argument (NULL: forever).
    pub fn from_timespec(t: &Task, addr: u64) -> Result<Timeout, Errno> {
        if addr == 0 {
            return Ok(Timeout::INFINITE);
        }
        let ts: Timespec = t.mm.read_obj(addr)?;
        Timeout::after(ts.tv_sec, ts.tv_nsec)
    }

    /// select's `struct timeval` (NULL: forever); microseconds past a second
    /// carry into the seconds, as Linux does.
    pub fn from_timeval(t: &Task, addr: u64) -> Result<Timeout, Errno> {
        if addr == 0 {
            return Ok(Timeout::INFINITE);
        }
        let tv: Timeval = t.mm.read_obj(addr)?;
        let sec = tv.tv_sec.saturating_add(tv.tv_usec / 1_000_000);
        Timeout::after(sec, (tv.tv_usec % 1_000_000) * 1000)
    }

    /// The time left (zero once past).
    pub fn left(&self) -> Duration {
        self.end.map_or(Duration::ZERO, |e| {
            e.saturating_duration_since(Instant::now())
        })
    }

    /// The instant to sleep until, `None` for forever.
    pub fn deadline(&self) -> Option<Instant> {
        self.end
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600)
}

/// How the time left is written back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteBack {
    Timeval,
    Timespec,
}

/// Linux's poll_select_finish: writes the time left to `addr` unless there was
/// no timeout or a zero one; a bad address there is ignored.
pub(crate) fn write_back(t: &Task, addr: u64, timeout: &Timeout, how: WriteBack) {
    if addr == 0 || timeout.end.is_none() || timeout.zero {
        return;
    }
    let left = timeout.left();
    let _ = match how {
        WriteBack::Timeval => t.mm.write_obj(
            addr,
            &Timeval {
                tv_sec: left.as_secs() as i64,
                tv_usec: left.subsec_micros() as i64,
            },
        ),
        WriteBack::Timespec => t.mm.write_obj(
            addr,
            &Timespec {
                tv_sec: left.as_secs() as i64,
                tv_nsec: left.subsec_nanos() as i64,
            },
        ),
    };
}
