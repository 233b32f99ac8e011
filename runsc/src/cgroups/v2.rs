//! cgroup v2: one directory in the unified hierarchy; controllers are enabled
//! from the root down through each parent's cgroup.subtree_control.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::stats::{self, BlkioEntry, Stats, read_flat_keyed, read_u64};
use super::{Limits, join_inside, wait_until, write};

/// Controllers enabled for the container when the host has them (memory and
/// cpu also for their usage figures, which exist only where enabled).
const WANTED: &[&str] = &["cpu", "cpuset", "memory", "pids", "io"];

#[derive(Debug)]
pub(super) struct V2 {
    dir: PathBuf,
}

impl V2 {
    pub(super) fn create(root: &Path, path: &Path, limits: &Limits) -> anyhow::Result<V2> {
        let dir = dir_of(root, path)?;
        let available = controllers(root)?;
        let needed = [
            ("memory", limits.wants_memory()),
            ("cpu", limits.wants_cpu()),
            ("cpuset", limits.wants_cpuset()),
            ("pids", limits.pids_limit.is_some()),
        ];
        for (c, wanted) in needed {
            if wanted && !available.iter().any(|a| a == c) {
                bail!(
                    "the cgroup v2 {c} controller is not available in {} (cgroup.controllers), but the spec sets its limits",
                    root.display()
                );
            }
        }
        // Every level between the root and the container's directory hands the
        // controllers down; the container's own directory holds the processes.
        let rel = dir.strip_prefix(root).unwrap_or(Path::new(""));
        let mut cur = root.to_path_buf();
        for part in rel.components() {
            let here = controllers(&cur)?;
            for c in WANTED.iter().filter(|c| here.iter().any(|h| h == *c)) {
                let required = needed.iter().any(|(n, w)| n == c && *w);
                if let Err(e) = write(&cur, "cgroup.subtree_control", &format!("+{c}")) {
                    if required {
                        return Err(e);
                    }
                    tracing::debug!("cgroup: {e:#}");
                }
            }
            cur.push(part);
            if !cur.is_dir() {
                std::fs::create_dir(&cur).with_context(|| format!("creating {}", cur.display()))?;
            }
        }
        let cg = V2 { dir };
        if let Err(e) = cg.apply(limits) {
            let _ = super::remove_dir(&cg.dir);
            return Err(e);
        }
        Ok(cg)
    }

    pub(super) fn load(root: &Path, path: &Path) -> anyhow::Result<V2> {
        let dir = dir_of(root, path)?;
        if !dir.is_dir() {
            bail!("cgroup {} does not exist", dir.display());
        }
        Ok(V2 { dir })
    }

    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(super) fn add(&self, pid: i32) -> anyhow::Result<()> {
        write(&self.dir, "cgroup.procs", &pid.to_string())
    }

    pub(super) fn apply(&self, l: &Limits) -> anyhow::Result<()> {
        let d = &self.dir;
        if let Some(swap) = swap_max(l.memory_swap, l.memory_limit)? {
            write(d, "memory.swap.max", &limit_or_max(swap))?;
        }
        if let Some(m) = l.memory_limit {
            write(d, "memory.max", &limit_or_max(m))?;
        }
        if let Some(r) = l.memory_reservation {
            write(d, "memory.low", &limit_or_max(r))?;
        }
        if let Some(s) = l.cpu_shares.filter(|&s| s != 0) {
            write(d, "cpu.weight", &shares_to_weight(s).to_string())?;
        }
        if l.cpu_quota.is_some() || l.cpu_period.is_some() {
            let mut max = match l.cpu_quota {
                Some(q) if q > 0 => q.to_string(),
                _ => "max".to_string(),
            };
            if let Some(p) = l.cpu_period {
                max.push_str(&format!(" {p}"));
            }
            write(d, "cpu.max", &max)?;
        }
        if let Some(cpus) = &l.cpuset_cpus {
            write(d, "cpuset.cpus", cpus)?;
        }
        if let Some(mems) = &l.cpuset_mems {
            write(d, "cpuset.mems", mems)?;
        }
        if let Some(n) = l.pids_limit {
            write(d, "pids.max", &super::v1::pids_max(n))?;
        }
        Ok(())
    }

    pub(super) fn set_frozen(&self, frozen: bool) -> anyhow::Result<()> {
        if !self.dir.join("cgroup.freeze").exists() {
            bail!(
                "{} has no cgroup.freeze (Linux 5.2 or later needed)",
                self.dir.display()
            );
        }
        write(&self.dir, "cgroup.freeze", if frozen { "1" } else { "0" })?;
        let want = u64::from(frozen);
        let done = wait_until(|| {
            Ok(read_flat_keyed(&self.dir, "cgroup.events")?.get("frozen") == Some(&want))
        })?;
        if !done {
            if frozen {
                let _ = write(&self.dir, "cgroup.freeze", "0");
            }
            bail!(
                "timed out waiting for {} to report frozen {want}",
                self.dir.join("cgroup.events").display()
            );
        }
        Ok(())
    }

    pub(super) fn stats(&self) -> anyhow::Result<Stats> {
        let d = &self.dir;
        let mut s = Stats::default();
        let cpu = read_flat_keyed(d, "cpu.stat")?;
        let us = |k: &str| cpu.get(k).copied().unwrap_or(0) * 1000;
        s.cpu.usage.total = us("usage_usec");
        s.cpu.usage.user = us("user_usec");
        s.cpu.usage.kernel = us("system_usec");
        s.cpu.throttling.periods = cpu.get("nr_periods").copied().unwrap_or(0);
        s.cpu.throttling.throttled_periods = cpu.get("nr_throttled").copied().unwrap_or(0);
        s.cpu.throttling.throttled_time = us("throttled_usec");

        if let Some(usage) = read_u64(d, "memory.current")? {
            let events = read_flat_keyed(d, "memory.events")?;
            s.memory.usage.usage = usage;
            s.memory.usage.limit = read_u64(d, "memory.max")?.unwrap_or(u64::MAX);
            s.memory.usage.max = read_u64(d, "memory.peak")?.unwrap_or(0);
            s.memory.usage.failcnt = events.get("max").copied().unwrap_or(0);
            // As runc reports v2 swap: memory plus swap, as v1's memsw counted it.
            if let Some(swap) = read_u64(d, "memory.swap.current")? {
                let swap_max = read_u64(d, "memory.swap.max")?.unwrap_or(u64::MAX);
                s.memory.swap.usage = usage.saturating_add(swap);
                s.memory.swap.limit = s.memory.usage.limit.saturating_add(swap_max);
            }
            s.memory.raw = read_flat_keyed(d, "memory.stat")?;
            s.memory.cache = s.memory.raw.get("file").copied().unwrap_or(0);
        }
        match read_u64(d, "pids.current")? {
            Some(n) => {
                s.pids.current = n;
                s.pids.limit = read_u64(d, "pids.max")?
                    .filter(|&m| m != u64::MAX)
                    .unwrap_or(0);
            }
            None => s.pids.current = stats::read_procs(d)?.len() as u64,
        }
        let io = stats::read_opt(d, "io.stat")?.unwrap_or_default();
        (
            s.blkio.io_service_bytes_recursive,
            s.blkio.io_serviced_recursive,
        ) = parse_io_stat(&io);
        Ok(s)
    }
}

/// An absolute path from the root; a relative one from this process's own
/// cgroup (the "0::" line of /proc/self/cgroup), as runc does.
fn dir_of(root: &Path, path: &Path) -> anyhow::Result<PathBuf> {
    if path.is_absolute() {
        return Ok(join_inside(root, path));
    }
    let own = std::fs::read_to_string("/proc/self/cgroup").context("reading /proc/self/cgroup")?;
    let own = own
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .context("/proc/self/cgroup has no cgroup v2 line")?;
    Ok(join_inside(&join_inside(root, Path::new(own)), path))
}

#[cfg(test)]
pub(super) fn controllers_of(dir: &Path) -> Vec<String> {
    controllers(dir).unwrap_or_default()
}

fn controllers(dir: &Path) -> anyhow::Result<Vec<String>> {
    Ok(stats::read_opt(dir, "cgroup.controllers")?
        .unwrap_or_default()
        .split_whitespace()
        .map(String::from)
        .collect())
}

fn limit_or_max(n: i64) -> String {
    if n < 0 { "max".into() } else { n.to_string() }
}

/// v2 counts swap alone where OCI (like v1) gives memory+swap.
fn swap_max(swap: Option<i64>, memory: Option<i64>) -> anyhow::Result<Option<i64>> {
    match (swap, memory) {
        (None | Some(0), Some(-1)) => Ok(Some(-1)),
        (None | Some(0), _) => Ok(None),
        (Some(-1), _) => Ok(Some(-1)),
        (Some(_), None | Some(0) | Some(-1)) => {
            bail!("unable to set swap limit without memory limit")
        }
        (Some(s), Some(m)) if m < 0 => bail!("invalid memory value: {m} (swap {s})"),
        (Some(s), Some(m)) if s < m => bail!("memory+swap limit should be >= memory limit"),
        (Some(s), Some(m)) => Ok(Some(s - m)),
    }
}

/// cpu.shares (2..262144) onto cpu.weight (1..10000), linearly, as runc maps them.
fn shares_to_weight(shares: u64) -> u64 {
    let shares = shares.clamp(2, 262_144);
    1 + ((shares - 2) * 9999) / 262_142
}

/// io.stat lines "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.. ...".
fn parse_io_stat(text: &str) -> (Vec<BlkioEntry>, Vec<BlkioEntry>) {
    let (mut bytes, mut ios) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let Some((major, minor)) = f.next().and_then(|d| d.split_once(':')) else {
            continue;
        };
        let (Ok(major), Ok(minor)) = (major.parse(), minor.parse()) else {
            continue;
        };
        for kv in f {
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            let Ok(value) = v.parse() else { continue };
            let (list, op) = match k {
                "rbytes" => (&mut bytes, "Read"),
                "wbytes" => (&mut bytes, "Write"),
                "rios" => (&mut ios, "Read"),
                "wios" => (&mut ios, "Write"),
                _ => continue,
            };
            list.push(BlkioEntry {
                major,
                minor,
                op: op.into(),
                value,
            });
        }
    }
    (bytes, ios)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn swap_is_converted_to_swap_alone() {
        assert_eq!(swap_max(Some(300), Some(100)).unwrap(), Some(200));
        assert_eq!(swap_max(None, Some(-1)).unwrap(), Some(-1));
        assert_eq!(swap_max(None, Some(100)).unwrap(), None);
        assert_eq!(swap_max(Some(-1), Some(100)).unwrap(), Some(-1));
        assert!(swap_max(Some(50), Some(100)).is_err());
        assert!(swap_max(Some(50), None).is_err());
    }

    #[test]
    fn shares_map_onto_weights() {
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(1024), 39);
        assert_eq!(shares_to_weight(262_144), 10_000);
    }

    #[test]
    fn io_stat_lines_become_read_and_write_entries() {
        let (b, i) = parse_io_stat("8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
        assert_eq!(b.iter().map(|e| e.value).collect::<Vec<_>>(), [10, 20]);
        assert_eq!(
            i.iter()
                .map(|e| (e.op.as_str(), e.value))
                .collect::<Vec<_>>(),
            [("Read", 1), ("Write", 2)]
        );
    }
}
