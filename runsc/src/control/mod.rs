//! The control socket between runsc commands and a running sandbox: `start`,
//! `kill`, `exec`, `ps` and waiting for an exit. One request and one answer
//! per message on a SOCK_SEQPACKET unix socket; `exec` passes its stdio as
//! descriptors with its request.

pub mod client;
pub mod server;
pub mod wire;

use serde::{Deserialize, Serialize};

/// Which processes a signal goes to.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The container's first process.
    Init,
    /// Every process of the sandbox (`kill --all`).
    All,
    /// One process, by its pid inside the sandbox.
    Pid(i32),
    /// The foreground group of the controlling terminal of process `pid`
    /// (a terminal's own signals), or `pid` when it has none.
    Terminal(i32),
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub enum Request {
    /// Run the container's first process (it was loaded at create).
    Start,
    Signal {
        target: Target,
        signo: i32,
    },
    /// Start a process; its stdin, stdout and stderr come with the request.
    Exec(crate::boot_spec::ProcessConfig),
    /// Answer once process `pid` (started by `Exec`) has exited.
    Wait {
        pid: i32,
    },
    /// The sandbox's processes.
    Ps,
    /// The most tasks the container may have (None: no limit).
    SetPidsLimit {
        limit: Option<u64>,
    },
    /// How many processes the sandbox killed for want of memory.
    OomKills,
    /// The container's memory limit in bytes (None: no limit).
    SetMemoryLimit {
        limit: Option<u64>,
    },
}

/// One process, as `ps` shows it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ProcessEntry {
    pub pid: i32,
    pub ppid: i32,
    pub uid: u32,
    /// Seconds since the sandbox started.
    pub started: f64,
    pub cmd: String,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub enum Response {
    Ok,
    Error(String),
    Started {
        pid: i32,
    },
    /// A shell-style exit status (128+N for signal N).
    Exited {
        status: i32,
    },
    Processes(Vec<ProcessEntry>),
    Count(u64),
}
