//! CPU pinning of tracer/stub pairs.
//!
//! A ptrace round trip costs about 3.5 µs when the sentry thread and its stub
//! thread share a CPU and about 50 µs when every wake-up crosses CPUs, so each
//! sentry task thread is pinned to one CPU and its stub thread follows it.

use std::sync::atomic::{AtomicUsize, Ordering};

use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::unistd::Pid;

/// Hands out the CPUs the sentry may use, round robin.
#[derive(Debug)]
pub(crate) struct CpuPicker {
    cpus: Vec<usize>,
    next: AtomicUsize,
}

impl CpuPicker {
    pub fn new() -> CpuPicker {
        let cpus = sched_getaffinity(Pid::from_raw(0))
            .map(|set| {
                (0..CpuSet::count())
                    .filter(|&c| set.is_set(c).unwrap_or(false))
                    .collect()
            })
            .unwrap_or_default();
        CpuPicker {
            cpus,
            next: AtomicUsize::new(0),
        }
    }

    /// Pins the calling thread to the next CPU. Failure only costs speed, so it is
    /// logged, not returned.
    pub fn pin_current_thread(&self) {
        if self.cpus.is_empty() {
            return;
        }
        let cpu = self.cpus[self.next.fetch_add(1, Ordering::Relaxed) % self.cpus.len()];
        let mut set = CpuSet::new();
        if set.set(cpu).is_ok()
            && let Err(e) = sched_setaffinity(Pid::from_raw(0), &set)
        {
            tracing::debug!("pinning sentry thread to cpu {cpu}: {e}");
        }
    }
}

/// Gives thread `tid` the calling thread's CPU affinity.
pub(crate) fn follow_current_thread(tid: i32) {
    match sched_getaffinity(Pid::from_raw(0)) {
        Ok(set) => {
            if let Err(e) = sched_setaffinity(Pid::from_raw(tid), &set) {
                tracing::debug!("pinning stub thread {tid}: {e}");
            }
        }
        Err(e) => tracing::debug!("reading sentry thread affinity: {e}"),
    }
}
