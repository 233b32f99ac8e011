//! Watching a sandbox in a cgroup while it runs: the sentry's peak
//! resident memory, and what its processes were doing when last looked at
//! (for a sandbox that hangs).
//!
//! The sentry is the `runsc ... boot ...` process; the processes it traces
//! (the application's stubs) rename themselves, so they do not match. Its
//! `VmHWM` (the kernel's high-water mark of its RSS) and `RssAnon` (its own
//! memory: heap and stacks, not the memory file's pages it maps) are read
//! from `/proc/PID/status` every few milliseconds while it lives; the last
//! reading before it exits is at most one interval short of the true peak.

use crate::memcg::MemCgroup;
use crate::procs::{is_sandbox, state, status_kib};
use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

const INTERVAL: Duration = Duration::from_millis(10);

/// Samples between two process censuses: about one a second.
const CENSUS_EVERY: u64 = 100;

/// What the sampler saw.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// The largest `VmHWM` of a sentry, in bytes: its own memory and the
    /// application's pages it touched (file data, syscall buffers), which
    /// the container's memory limit bounds.
    pub sentry_hwm: u64,
    /// The largest `RssAnon` of a sentry, in bytes: its own memory alone.
    pub sentry_own: u64,
    /// How many samples found a sentry: 0 means it was never seen.
    pub samples: u64,
    /// The last census of the cgroup's processes: one line each with pid,
    /// state, wait channel and command line.
    pub processes: String,
}

/// Samples the sentries among a cgroup's processes until stopped.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: thread::JoinHandle<Observed>,
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

    /// Stops and returns what it saw.
    pub fn finish(self) -> Observed {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the RSS sampler panicked")
    }
}

fn sample(procs: PathBuf, stop: &AtomicBool) -> Observed {
    let mut seen = Observed::default();
    let mut round = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let pids = fs::read_to_string(&procs).unwrap_or_default();
        if round.is_multiple_of(CENSUS_EVERY) && !pids.trim().is_empty() {
            seen.processes = census(&pids);
        }
        round += 1;
        for pid in pids.lines().filter_map(|p| p.trim().parse().ok()) {
            if !is_sandbox(pid) {
                continue;
            }
            if let Some(hwm) = status_kib(pid, "VmHWM:") {
                seen.sentry_hwm = seen.sentry_hwm.max(hwm * 1024);
                seen.samples += 1;
            }
            if let Some(own) = status_kib(pid, "RssAnon:") {
                seen.sentry_own = seen.sentry_own.max(own * 1024);
            }
        }
        thread::sleep(INTERVAL);
    }
    seen
}

/// One line per process: `pid state wchan cmdline`.
fn census(pids: &str) -> String {
    let mut out = String::new();
    for pid in pids.lines().filter_map(|p| p.trim().parse::<u32>().ok()) {
        let state = state(pid).unwrap_or_else(|| "?".into());
        let wchan = fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline: Vec<String> = cmdline
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        out.push_str(&format!("{pid} {state} {wchan} {}\n", cmdline.join(" ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_status_and_is_not_a_sentry() {
        let pid = std::process::id();
        assert!(status_kib(pid, "VmHWM:").is_some_and(|kib| kib > 0));
        assert!(!is_sandbox(pid));
        // The main thread waits for the test threads: any state will do.
        let line = census(&pid.to_string());
        assert!(line.starts_with(&format!("{pid} ")), "{line}");
        let exe = std::env::current_exe().unwrap();
        assert!(line.trim_end().contains(exe.to_str().unwrap()), "{line}");
    }
}
