//! Resource usage in the shape `runc events --stats` prints, which containerd's
//! runc shim parses for `docker stats`: `{"type":"stats","id":ID,"data":STATS}`.
//! Zero values are left out where runc leaves them out (Go's `omitempty`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

/// One line of `events`: the stats of container `id`.
#[derive(Debug, Serialize)]
pub struct StatsEvent<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: &'a str,
    pub data: &'a Stats,
}

impl<'a> StatsEvent<'a> {
    pub fn new(id: &'a str, data: &'a Stats) -> Self {
        StatsEvent {
            kind: "stats",
            id,
            data,
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Stats {
    pub cpu: Cpu,
    pub memory: Memory,
    pub pids: Pids,
    pub blkio: Blkio,
    pub hugetlb: BTreeMap<String, Hugetlb>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

#[derive(Debug, Default, Serialize)]
pub struct Cpu {
    pub usage: CpuUsage,
    pub throttling: Throttling,
}

/// Nanoseconds.
#[derive(Debug, Default, Serialize)]
pub struct CpuUsage {
    #[serde(skip_serializing_if = "is_zero")]
    pub total: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub percpu: Vec<u64>,
    pub kernel: u64,
    pub user: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct Throttling {
    #[serde(skip_serializing_if = "is_zero")]
    pub periods: u64,
    #[serde(rename = "throttledPeriods", skip_serializing_if = "is_zero")]
    pub throttled_periods: u64,
    /// Nanoseconds.
    #[serde(rename = "throttledTime", skip_serializing_if = "is_zero")]
    pub throttled_time: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct Memory {
    #[serde(skip_serializing_if = "is_zero")]
    pub cache: u64,
    pub usage: MemoryEntry,
    pub swap: MemoryEntry,
    pub kernel: MemoryEntry,
    #[serde(rename = "kernelTCP")]
    pub kernel_tcp: MemoryEntry,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub raw: BTreeMap<String, u64>,
}

/// Bytes; `limit` is u64::MAX when unlimited, as runc reports it.
#[derive(Debug, Default, Serialize)]
pub struct MemoryEntry {
    pub limit: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub usage: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub max: u64,
    pub failcnt: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct Pids {
    #[serde(skip_serializing_if = "is_zero")]
    pub current: u64,
    /// 0 when unlimited.
    #[serde(skip_serializing_if = "is_zero")]
    pub limit: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct Blkio {
    #[serde(
        rename = "ioServiceBytesRecursive",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_service_bytes_recursive: Vec<BlkioEntry>,
    #[serde(rename = "ioServicedRecursive", skip_serializing_if = "Vec::is_empty")]
    pub io_serviced_recursive: Vec<BlkioEntry>,
}

#[derive(Debug, Default, Serialize, PartialEq)]
pub struct BlkioEntry {
    #[serde(skip_serializing_if = "is_zero")]
    pub major: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub minor: u64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub op: String,
    #[serde(skip_serializing_if = "is_zero")]
    pub value: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct Hugetlb {
    #[serde(skip_serializing_if = "is_zero")]
    pub usage: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub max: u64,
    pub failcnt: u64,
}

// Readers shared by v1 and v2. A file the kernel does not have (an older
// kernel, a controller not mounted) reads as nothing: stats stay zero.

/// The text of `dir/name`, or None if it does not exist.
pub(super) fn read_opt(dir: &Path, name: &str) -> anyhow::Result<Option<String>> {
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::Error::new(e).context(format!("reading {}", path.display()))),
    }
}

/// A single number; "max" is u64::MAX.
pub(super) fn read_u64(dir: &Path, name: &str) -> anyhow::Result<Option<u64>> {
    let Some(text) = read_opt(dir, name)? else {
        return Ok(None);
    };
    parse_u64(text.trim()).map(Some).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: not a number: {:?}",
            dir.join(name).display(),
            text.trim()
        )
    })
}

pub(super) fn parse_u64(s: &str) -> Option<u64> {
    if s == "max" {
        Some(u64::MAX)
    } else {
        s.parse().ok()
    }
}

/// "key value" lines (memory.stat, cpu.stat, ...); lines that are not are skipped.
pub(super) fn read_flat_keyed(dir: &Path, name: &str) -> anyhow::Result<BTreeMap<String, u64>> {
    let text = read_opt(dir, name)?.unwrap_or_default();
    Ok(text
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_string(), parse_u64(v.trim())?))
        })
        .collect())
}

/// The processes in a cgroup directory (its cgroup.procs).
pub(super) fn read_procs(dir: &Path) -> anyhow::Result<Vec<i32>> {
    let text = read_opt(dir, "cgroup.procs")?.unwrap_or_default();
    Ok(text.lines().filter_map(|l| l.trim().parse().ok()).collect())
}
