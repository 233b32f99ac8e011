//! What `runsc do`/`run` hand to the sandbox process: everything it needs to start
//! the container's first process. It travels as JSON on an inherited descriptor.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Rlimit {
    /// Linux resource number (RLIMIT_*).
    pub resource: u32,
    pub soft: u64,
    pub hard: u64,
}

/// A filesystem to mount in the sandbox.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct MountSpec {
    pub destination: String,
    /// `tmpfs` or `bind` (a host directory or regular file served by a gofer of
    /// its own).
    pub fs_type: String,
    /// The host directory or file of a bind mount (canonical).
    pub source: Option<PathBuf>,
    pub readonly: bool,
    /// Filesystem options of a tmpfs (`size=`, `mode=`...), as config.json
    /// lists them among the mount's flags.
    #[serde(default)]
    pub options: Vec<String>,
    /// The mount's own flags among config.json's options: `nosuid`, `nodev`,
    /// `noexec`.
    #[serde(default)]
    pub flags: Vec<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct BootSpec {
    /// The container's root directory on the host.
    pub root: PathBuf,
    /// The root may not be changed: the gofer refuses changes, and the
    /// container sees it read-only unless `overlay_only`.
    pub root_readonly: bool,
    /// The root is read-only only to keep the host's files unchanged (`runsc
    /// do` on the host's root): with the overlay the container may change it
    /// in memory.
    #[serde(default)]
    pub overlay_only: bool,
    /// The container's first process.
    #[serde(flatten)]
    pub process: ProcessConfig,
    pub rlimits: Vec<Rlimit>,
    pub hostname: String,
    pub mounts: Vec<MountSpec>,
    /// The network namespace the sandbox process runs in (from the spec's
    /// `linux.namespaces`).
    #[serde(default)]
    pub network_namespace: crate::confine::NetworkNamespace,
    /// The container's init is shielded from signals as a PID namespace's
    /// init is (OCI containers); `runsc do` runs its command as the host would.
    #[serde(default)]
    pub shield_init: bool,
    /// Give processes without HOME their passwd home, as runc does (OCI
    /// containers; `runsc do` passes the caller's environment as it is).
    #[serde(default)]
    pub default_home: bool,
    /// The most tasks (processes and threads) the container may have
    /// (`linux.resources.pids.limit`), enforced by the sandbox.
    #[serde(default)]
    pub pids_limit: Option<u64>,
    /// The container's memory limit in bytes (`linux.resources.memory.limit`):
    /// the sandbox keeps application memory and in-memory files below it, so
    /// that running out refuses or kills the application, never the sandbox.
    #[serde(default)]
    pub memory_limit: Option<u64>,
}

impl BootSpec {
    /// The spec with the values of the environment left out (`NAME=…`), for
    /// logs: they may hold secrets.
    pub fn redacted(&self) -> BootSpec {
        let mut spec = self.clone();
        for var in &mut spec.process.env {
            if let Some((name, _)) = var.split_once('=') {
                *var = format!("{name}=…");
            }
        }
        spec
    }
}

/// A process to start in the sandbox: the container's first one, or one
/// `exec` starts.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ProcessConfig {
    pub args: Vec<String>,
    pub env: Vec<String>,
    /// Working directory inside the container (absolute).
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
    /// The process has a terminal (`process.terminal`): for the first
    /// process, /dev/console is made even when stdin is not a terminal.
    #[serde(default)]
    pub terminal: bool,
    /// `process.capabilities`, one bit per capability; `None` when the spec has
    /// none (root then gets every capability, anyone else none).
    #[serde(default)]
    pub capabilities: Option<CapabilitySets>,
}

/// The capability sets of a process.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CapabilitySets {
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
    pub bounding: u64,
    pub ambient: u64,
}

/// Capability names as OCI spells them, by Linux capability number.
pub const CAP_NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// RLIMIT_* names as OCI spells them, by Linux resource number.
pub const RLIMIT_NAMES: [&str; 16] = [
    "RLIMIT_CPU",
    "RLIMIT_FSIZE",
    "RLIMIT_DATA",
    "RLIMIT_STACK",
    "RLIMIT_CORE",
    "RLIMIT_RSS",
    "RLIMIT_NPROC",
    "RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",
    "RLIMIT_AS",
    "RLIMIT_LOCKS",
    "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",
    "RLIMIT_RTPRIO",
    "RLIMIT_RTTIME",
];
