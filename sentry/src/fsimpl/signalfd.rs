//! signalfd: an anonymous file that hands out pending signals as
//! `struct signalfd_siginfo` records instead of delivering them.
//!
//! As on Linux the file reads the signals of whoever reads or polls it (the
//! calling thread's own and its process's), not of its creator: the caller
//! comes from `task::current`. Waits use the creator's `arrivals` queue, so a
//! signalfd polled by another process (inherited across fork) wakes on the
//! creator's signals only; its readiness is still the poller's.

use std::sync::Arc;

use abi::Errno;
use abi::linux as l;
use abi::types::{SigInfo, Stat};
use parking_lot::Mutex;

use super::eventfd::anon_stat;
use crate::fs::FileOps;
use crate::task::{ProcessInfo, ThreadInfo, UNBLOCKABLE, current, signals_in};
use crate::waiter::Queue;
use crate::waiter::events::*;

/// Size of `struct signalfd_siginfo`.
pub const RECORD: usize = 128;

pub struct SignalFd {
    mask: Mutex<u64>,
    /// The creator's `arrivals` (not the process: descriptors live in the
    /// process, and children inherit them).
    arrivals: Arc<Queue>,
}

impl SignalFd {
    pub fn new(creator: &ProcessInfo, mask: u64) -> SignalFd {
        SignalFd {
            mask: Mutex::new(mask & !UNBLOCKABLE),
            arrivals: creator.signals.arrivals.clone(),
        }
    }

    /// signalfd on an existing descriptor replaces the mask.
    pub fn set_mask(&self, mask: u64) {
        *self.mask.lock() = mask & !UNBLOCKABLE;
        self.arrivals.notify(POLLIN);
    }

    fn next(&self, process: &ProcessInfo, thread: &ThreadInfo) -> Option<SigInfo> {
        let wanted = process.signals.pending(thread) & *self.mask.lock();
        signals_in(wanted).find_map(|s| process.signals.take(thread, s))
    }
}

/// si_code values that select the siginfo union's layout (Linux's
/// `siginfo_layout`).
const SI_KERNEL: i32 = 0x80;

fn u32_at(info: &SigInfo, offset: usize) -> u32 {
    let w = info.words[offset / 8];
    if offset.is_multiple_of(8) {
        w as u32
    } else {
        (w >> 32) as u32
    }
}

/// The `signalfd_siginfo` record of a siginfo: the fields its layout has.
pub fn record(info: &SigInfo) -> [u8; RECORD] {
    let mut r = [0u8; RECORD];
    let mut put = |off: usize, bytes: &[u8]| r[off..off + bytes.len()].copy_from_slice(bytes);
    let (signo, code) = (info.signo(), info.code());
    put(0, &(signo as u32).to_ne_bytes());
    put(4, &u32_at(info, 4).to_ne_bytes()); // si_errno
    put(8, &code.to_ne_bytes());
    let (word16, word20, word24) = (u32_at(info, 16), u32_at(info, 20), info.words[3]);
    let fault = matches!(signo, 4 | 5 | 7 | 8 | 11); // SIGILL SIGTRAP SIGBUS SIGFPE SIGSEGV
    if code > 0 && code < SI_KERNEL && signo == l::SIGCHLD as i32 {
        put(12, &word16.to_ne_bytes()); // ssi_pid
        put(16, &word20.to_ne_bytes()); // ssi_uid
        put(40, &(word24 as u32).to_ne_bytes()); // ssi_status
        put(56, &info.words[4].to_ne_bytes()); // ssi_utime
        put(64, &info.words[5].to_ne_bytes()); // ssi_stime
    } else if code > 0 && code < SI_KERNEL && fault {
        put(72, &info.words[2].to_ne_bytes()); // ssi_addr
    } else if code == l::SI_TIMER {
        put(24, &word16.to_ne_bytes()); // ssi_tid (the timer id)
        put(32, &word20.to_ne_bytes()); // ssi_overrun
        put(44, &(word24 as u32).to_ne_bytes()); // ssi_int
        put(48, &word24.to_ne_bytes()); // ssi_ptr
    } else if code == l::SI_SIGIO || (code > 0 && code < SI_KERNEL && signo == l::SIGIO as i32) {
        put(28, &word16.to_ne_bytes()); // ssi_band
        put(20, &(word24 as u32).to_ne_bytes()); // ssi_fd
    } else {
        // kill (SI_USER, SI_KERNEL) and the queued kinds (sigqueue, tkill).
        put(12, &word16.to_ne_bytes());
        put(16, &word20.to_ne_bytes());
        if code < 0 {
            put(44, &(word24 as u32).to_ne_bytes());
            put(48, &word24.to_ne_bytes());
        }
    }
    r
}

impl FileOps for SignalFd {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if buf.len() < RECORD {
            return Err(Errno::EINVAL);
        }
        let mut n = 0;
        current::with(|process, thread| {
            while n + RECORD <= buf.len() {
                let Some(info) = self.next(process, thread) else {
                    break;
                };
                buf[n..n + RECORD].copy_from_slice(&record(&info));
                n += RECORD;
            }
        });
        if n == 0 { Err(Errno::EAGAIN) } else { Ok(n) }
    }

    fn write(&self, _offset: u64, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn readiness(&self, mask: u32) -> u32 {
        let wanted = *self.mask.lock();
        let pending = current::with(|p, t| p.signals.pending(t)).unwrap_or(0);
        let ready = if pending & wanted != 0 { READABLE } else { 0 };
        ready & mask
    }

    fn wait_queue(&self) -> Option<&Queue> {
        Some(&self.arrivals)
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("[signalfd]")
    }

    fn stat(&self) -> Result<Stat, Errno> {
        Ok(anon_stat())
    }

    fn seekable(&self) -> bool {
        false
    }

    fn as_signalfd(&self) -> Option<&SignalFd> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_follow_the_siginfo_layout() {
        let kill = SigInfo::new(10, 0).with_sender(42, 1000);
        let r = record(&kill);
        assert_eq!(u32::from_ne_bytes(r[0..4].try_into().unwrap()), 10);
        assert_eq!(u32::from_ne_bytes(r[12..16].try_into().unwrap()), 42);
        assert_eq!(u32::from_ne_bytes(r[16..20].try_into().unwrap()), 1000);
        let chld = SigInfo::new(l::SIGCHLD as i32, l::CLD_EXITED as i32)
            .with_sender(7, 0)
            .with_status(3);
        let r = record(&chld);
        assert_eq!(u32::from_ne_bytes(r[12..16].try_into().unwrap()), 7);
        assert_eq!(i32::from_ne_bytes(r[40..44].try_into().unwrap()), 3);
        let segv = SigInfo::new(11, 1).with_addr(0x1000);
        assert_eq!(
            u64::from_ne_bytes(record(&segv)[72..80].try_into().unwrap()),
            0x1000
        );
    }
}
