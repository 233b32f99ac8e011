//! A process on the host named by pid and start time, so that a recycled pid
//! is never mistaken for the sandbox or a gofer.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostProcess {
    pub pid: i32,
    /// Field 22 of /proc/PID/stat (clock ticks since boot).
    pub start_time: u64,
}

/// The state letter and start time of `pid`, from /proc/PID/stat.
fn stat_of(pid: i32) -> Option<(char, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields follow the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let state = fields.first()?.chars().next()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((state, start))
}

impl HostProcess {
    /// The process `pid` as it is now.
    pub fn of(pid: i32) -> Option<HostProcess> {
        let (_, start_time) = stat_of(pid)?;
        Some(HostProcess { pid, start_time })
    }

    /// Whether this very process still runs (a zombie does not).
    pub fn alive(&self) -> bool {
        matches!(stat_of(self.pid), Some((state, start)) if start == self.start_time && state != 'Z' && state != 'X')
    }

    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        if self.alive() {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid), sig);
        }
    }

    pub fn wait_gone(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let mut pause = Duration::from_micros(200);
        while self.alive() {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
        true
    }
}
