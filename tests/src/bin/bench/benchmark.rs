//! What a benchmark is, the getpid benchmark, and the names the command
//! line accepts (single benchmarks and groups).

use crate::data_files::{DataDir, DataFile};
use crate::file_benches;
use crate::process_benches;
use crate::tmpfs_benches;
use crate::workload::Arg;
use std::time::Duration;

pub struct Benchmark {
    /// Its name on the command line.
    pub name: &'static str,
    /// `benches/c/<program>.c`.
    pub program: &'static str,
    /// What the result is per: the table shows ns/<unit>.
    pub unit: &'static str,
    /// What `--iterations` counts, for the usage text.
    pub counts: &'static str,
    pub default_count: u64,
    /// Time allowed per counted item, on top of a fixed minute, before the
    /// run is killed; generous, since only hangs should hit it.
    pub budget_per_count: Duration,
    /// The table also shows MB/s (the unit is then a MiB).
    pub throughput: bool,
    /// Which group name runs it besides `all`.
    pub group: Group,
    /// Makes its files and its arguments for a count.
    pub prepare: fn(&DataDir, u64) -> Result<Setup, String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Only by its own name.
    Alone,
    /// `files`; the output says where its files live.
    Files,
    /// `processes`.
    Processes,
    /// `tmpfs`; the output says which tmpfs each runtime writes to.
    Tmpfs,
}

/// A prepared run: what to tell the reader, the program's arguments and the
/// files they name (removed when the setup is dropped).
pub struct Setup {
    pub description: String,
    pub args: Vec<Arg>,
    pub files: Vec<DataFile>,
}

impl Benchmark {
    pub fn timeout(&self, count: u64) -> Duration {
        let per = u32::try_from(count).unwrap_or(u32::MAX);
        Duration::from_secs(60).saturating_add(self.budget_per_count.saturating_mul(per))
    }
}

pub static GETPID: Benchmark = Benchmark {
    name: "getpid",
    program: "getpid_loop",
    unit: "call",
    counts: "calls",
    default_count: 100_000,
    // A slow sandbox may take ~100 µs per syscall.
    budget_per_count: Duration::from_micros(200),
    throughput: false,
    group: Group::Alone,
    prepare: getpid,
};

fn getpid(_: &DataDir, count: u64) -> Result<Setup, String> {
    Ok(Setup {
        description: format!("getpid: {count} x syscall(SYS_getpid)"),
        args: vec![Arg::Text(count.to_string())],
        files: Vec::new(),
    })
}

/// Every benchmark, in the order `all` runs them.
pub static ALL: [&Benchmark; 12] = [
    &GETPID,
    &file_benches::STAT,
    &file_benches::OPEN_READ,
    &file_benches::SEQ_READ,
    &file_benches::CREATE_UNLINK,
    &process_benches::FORK_EXIT,
    &process_benches::FORK_EXEC,
    &process_benches::THREAD,
    &process_benches::PIPE_PINGPONG,
    &process_benches::FUTEX_PINGPONG,
    &tmpfs_benches::TMPFS_WRITE,
    &tmpfs_benches::TMPFS_DD,
];

/// Names that stand for several benchmarks.
pub const GROUPS: [(&str, &str); 4] = [
    ("files", "stat, open-read, seq-read and create-unlink"),
    (
        "processes",
        "fork-exit, fork-exec, thread, pipe-pingpong and futex-pingpong",
    ),
    ("tmpfs", "tmpfs-write and tmpfs-dd"),
    ("all", "getpid, files, processes and tmpfs"),
];

/// The benchmarks a command-line name stands for.
pub fn select(name: &str) -> Option<Vec<&'static Benchmark>> {
    match name {
        "all" => Some(ALL.to_vec()),
        "files" => Some(in_group(Group::Files)),
        "processes" => Some(in_group(Group::Processes)),
        "tmpfs" => Some(in_group(Group::Tmpfs)),
        _ => ALL.iter().find(|b| b.name == name).map(|b| vec![*b]),
    }
}

fn in_group(group: Group) -> Vec<&'static Benchmark> {
    ALL.iter().copied().filter(|b| b.group == group).collect()
}

pub fn find(name: &str) -> Option<&'static Benchmark> {
    ALL.iter().copied().find(|b| b.name == name)
}
