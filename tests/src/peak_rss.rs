//! The sentry's peak resident memory, sampled while a sandbox runs.
//!
//! The sentry is the `runsc ... boot ...` process; the processes it traces
//! (the application's stubs) rename themselves, so they do not match. Its
//! `VmHWM` (the kernel's high-water mark of its RSS) is read from
//! `/proc/PID/status` every few milliseconds while it lives; the last
//! reading before it exits is at most one interval short of the true peak.

use crate::memcg::MemCgroup;
use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

const INTERVAL: Duration = Duration::from_millis(10);

/// What the sampler saw.
#[derive(Clone, Copy, Debug, Default)]
pub struct Peak {
    /// The largest `VmHWM` of a sentry, in bytes.
    pub sentry_hwm: u64,
    /// How many samples found a sentry: 0 means it was never seen.
    pub samples: u64,
}

/// Samples the sentries among a cgroup's processes until stopped.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: thread::JoinHandle<Peak>,
}

impl Sampler {
    /// Starts sampling the processes of `cg`.
    pub fn start(cg: &MemCgroup) -> Sampler {
        let procs = cg.procs_file();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = thread::spawn(move || sample(procs, &flag));
        Sampler { stop, thread }
    }

    /// Stops and returns the peak.
    pub fn finish(self) -> Peak {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the RSS sampler panicked")
    }
}

fn sample(procs: PathBuf, stop: &AtomicBool) -> Peak {
    let mut peak = Peak::default();
    while !stop.load(Ordering::Relaxed) {
        let pids = fs::read_to_string(&procs).unwrap_or_default();
        for pid in pids.lines().map(str::trim) {
            if !is_sentry(pid) {
                continue;
            }
            if let Some(hwm) = status_kib(pid, "VmHWM:") {
                peak.sentry_hwm = peak.sentry_hwm.max(hwm * 1024);
                peak.samples += 1;
            }
        }
        thread::sleep(INTERVAL);
    }
    peak
}

/// Whether `pid` runs `runsc [flags] boot ...`.
fn is_sentry(pid: &str) -> bool {
    let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let mut args = cmdline.split(|&b| b == 0);
    let is_runsc = args
        .next()
        .is_some_and(|argv0| argv0.ends_with(b"runsc"));
    is_runsc && args.any(|a| a == b"boot")
}

/// A `kB` line of `/proc/PID/status`.
fn status_kib(pid: &str, key: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}
