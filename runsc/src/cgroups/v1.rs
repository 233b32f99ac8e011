//! cgroup v1: one directory per mounted hierarchy (a hierarchy may carry
//! several controllers, e.g. `cpu,cpuacct`).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::stats::{self, BlkioEntry, MemoryEntry, Stats, read_flat_keyed, read_u64};
use super::{Limits, join_inside, wait_until, write};

/// The controllers whose hierarchies a container joins.
const CONTROLLERS: &[&str] = &[
    "cpu",
    "cpuacct",
    "cpuset",
    "memory",
    "pids",
    "freezer",
    "blkio",
    "devices",
    "hugetlb",
    "net_cls",
    "net_prio",
    "perf_event",
    "rdma",
    "misc",
];

/// The kernel reports cpuacct.stat in USER_HZ ticks, 100 per second on every
/// architecture Linux exposes to user space.
const USER_HZ: u64 = 100;

#[derive(Debug, Clone)]
struct Hierarchy {
    controllers: Vec<String>,
    /// Where it is mounted.
    mount_point: PathBuf,
    /// The container's cgroup directory in it.
    dir: PathBuf,
}

#[derive(Debug)]
pub(super) struct V1 {
    hierarchies: Vec<Hierarchy>,
}

impl V1 {
    pub(super) fn create(path: &Path, limits: &Limits) -> anyhow::Result<V1> {
        let cg = V1 {
            hierarchies: hierarchies(path)?,
        };
        for h in &cg.hierarchies {
            if h.has("cpuset") {
                create_cpuset_dirs(&h.mount_point, &h.dir)?;
            } else {
                std::fs::create_dir_all(&h.dir)
                    .with_context(|| format!("creating {}", h.dir.display()))?;
            }
        }
        if let Err(e) = cg.apply(limits) {
            let _ = cg.dirs().try_for_each(super::remove_dir);
            return Err(e);
        }
        Ok(cg)
    }

    pub(super) fn load(path: &Path) -> anyhow::Result<V1> {
        let hierarchies: Vec<_> = hierarchies(path)?
            .into_iter()
            .filter(|h| h.dir.is_dir())
            .collect();
        if hierarchies.is_empty() {
            bail!("cgroup {} does not exist", path.display());
        }
        Ok(V1 { hierarchies })
    }

    pub(super) fn dirs(&self) -> impl Iterator<Item = &Path> {
        self.hierarchies.iter().map(|h| h.dir.as_path())
    }

    /// The directory of `controller`, if its hierarchy is mounted.
    pub(super) fn dir(&self, controller: &str) -> Option<&Path> {
        self.hierarchies
            .iter()
            .find(|h| h.has(controller))
            .map(|h| h.dir.as_path())
    }

    fn required(&self, controller: &str) -> anyhow::Result<&Path> {
        self.dir(controller).with_context(|| {
            format!(
                "the cgroup v1 {controller} controller is not mounted, but the spec sets its limits"
            )
        })
    }

    pub(super) fn add(&self, pid: i32) -> anyhow::Result<()> {
        self.dirs()
            .try_for_each(|d| write(d, "cgroup.procs", &pid.to_string()))
    }

    pub(super) fn pids(&self) -> anyhow::Result<Vec<i32>> {
        let dir = ["pids", "freezer", "memory", "cpu"]
            .iter()
            .find_map(|c| self.dir(c))
            .or_else(|| self.dirs().next());
        match dir {
            Some(d) => stats::read_procs(d),
            None => Ok(Vec::new()),
        }
    }

    pub(super) fn apply(&self, l: &Limits) -> anyhow::Result<()> {
        if l.wants_memory() {
            let dir = self.required("memory")?;
            set_memory(dir, l)?;
            if let Some(r) = l.memory_reservation {
                write(dir, "memory.soft_limit_in_bytes", &r.to_string())?;
            }
        }
        if l.wants_cpu() {
            let dir = self.required("cpu")?;
            if let Some(s) = l.cpu_shares {
                write(dir, "cpu.shares", &s.to_string())?;
            }
            set_cpu_bandwidth(dir, l.cpu_quota, l.cpu_period)?;
        }
        if l.wants_cpuset() {
            let dir = self.required("cpuset")?;
            if let Some(cpus) = &l.cpuset_cpus {
                write(dir, "cpuset.cpus", cpus)?;
            }
            if let Some(mems) = &l.cpuset_mems {
                write(dir, "cpuset.mems", mems)?;
            }
        }
        if let Some(n) = l.pids_limit {
            let dir = self.required("pids")?;
            write(dir, "pids.max", &pids_max(n))?;
        }
        Ok(())
    }

    pub(super) fn set_frozen(&self, frozen: bool) -> anyhow::Result<()> {
        let dir = self
            .dir("freezer")
            .context("the cgroup v1 freezer controller is not mounted")?;
        let want = if frozen { "FROZEN" } else { "THAWED" };
        write(dir, "freezer.state", want)?;
        // FREEZING until every task has stopped; writing again nudges tasks that
        // were forking while the freeze began.
        let done = wait_until(|| {
            let state = stats::read_opt(dir, "freezer.state")?.unwrap_or_default();
            if state.trim() == want {
                return Ok(true);
            }
            write(dir, "freezer.state", want)?;
            Ok(false)
        })?;
        if !done {
            if frozen {
                let _ = write(dir, "freezer.state", "THAWED");
            }
            bail!(
                "timed out setting {} to {want}",
                dir.join("freezer.state").display()
            );
        }
        Ok(())
    }

    pub(super) fn stats(&self) -> anyhow::Result<Stats> {
        let mut s = Stats::default();
        if let Some(d) = self.dir("cpuacct") {
            s.cpu.usage.total = read_u64(d, "cpuacct.usage")?.unwrap_or(0);
            s.cpu.usage.percpu = stats::read_opt(d, "cpuacct.usage_percpu")?
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect();
            let ticks = read_flat_keyed(d, "cpuacct.stat")?;
            let ns = |k: &str| ticks.get(k).copied().unwrap_or(0) * (1_000_000_000 / USER_HZ);
            s.cpu.usage.user = ns("user");
            s.cpu.usage.kernel = ns("system");
        }
        if let Some(d) = self.dir("cpu") {
            let st = read_flat_keyed(d, "cpu.stat")?;
            let get = |k: &str| st.get(k).copied().unwrap_or(0);
            s.cpu.throttling.periods = get("nr_periods");
            s.cpu.throttling.throttled_periods = get("nr_throttled");
            s.cpu.throttling.throttled_time = get("throttled_time");
        }
        if let Some(d) = self.dir("memory") {
            s.memory.usage = memory_entry(d, "memory")?;
            s.memory.swap = memory_entry(d, "memory.memsw")?;
            s.memory.kernel = memory_entry(d, "memory.kmem")?;
            s.memory.kernel_tcp = memory_entry(d, "memory.kmem.tcp")?;
            s.memory.raw = read_flat_keyed(d, "memory.stat")?;
            s.memory.cache = s.memory.raw.get("cache").copied().unwrap_or(0);
        }
        if let Some(d) = self.dir("pids") {
            s.pids.current = read_u64(d, "pids.current")?.unwrap_or(0);
            s.pids.limit = read_u64(d, "pids.max")?
                .filter(|&m| m != u64::MAX)
                .unwrap_or(0);
        } else {
            s.pids.current = self.pids()?.len() as u64;
        }
        if let Some(d) = self.dir("blkio") {
            let read = |names: [&str; 2]| -> anyhow::Result<Vec<BlkioEntry>> {
                for n in names {
                    if let Some(text) = stats::read_opt(d, n)? {
                        return Ok(parse_blkio(&text));
                    }
                }
                Ok(Vec::new())
            };
            s.blkio.io_service_bytes_recursive = read([
                "blkio.io_service_bytes_recursive",
                "blkio.throttle.io_service_bytes_recursive",
            ])?;
            s.blkio.io_serviced_recursive = read([
                "blkio.io_serviced_recursive",
                "blkio.throttle.io_serviced_recursive",
            ])?;
        }
        Ok(s)
    }
}

impl Hierarchy {
    fn has(&self, controller: &str) -> bool {
        self.controllers.iter().any(|c| c == controller)
    }
}

/// The mounted hierarchies of the controllers we join, with `path`'s directory
/// in each: an absolute path from the hierarchy's root, a relative one from this
/// process's own cgroup in it (as runc does).
fn hierarchies(path: &Path) -> anyhow::Result<Vec<Hierarchy>> {
    let mountinfo =
        std::fs::read_to_string("/proc/self/mountinfo").context("reading /proc/self/mountinfo")?;
    let own = std::fs::read_to_string("/proc/self/cgroup").context("reading /proc/self/cgroup")?;
    let mut out: Vec<Hierarchy> = Vec::new();
    for line in mountinfo.lines() {
        let Some((mount, fs)) = line.split_once(" - ") else {
            continue;
        };
        let fs: Vec<&str> = fs.split(' ').collect();
        let mount: Vec<&str> = mount.split(' ').collect();
        if fs.first() != Some(&"cgroup") || fs.len() < 3 || mount.len() < 5 {
            continue;
        }
        let controllers: Vec<String> = fs[2]
            .split(',')
            .filter(|o| CONTROLLERS.contains(o))
            .map(String::from)
            .collect();
        // One directory per hierarchy even if it is mounted twice.
        if controllers.is_empty() || out.iter().any(|h| h.controllers == controllers) {
            continue;
        }
        let mount_root = PathBuf::from(unescape(mount[3]));
        let mount_point = PathBuf::from(unescape(mount[4]));
        let base = if path.is_absolute() {
            mount_point.clone()
        } else {
            let own = own_cgroup(&own, &controllers).unwrap_or_else(|| PathBuf::from("/"));
            join_inside(&mount_point, own.strip_prefix(&mount_root).unwrap_or(&own))
        };
        out.push(Hierarchy {
            dir: join_inside(&base, path),
            controllers,
            mount_point,
        });
    }
    if out.is_empty() {
        bail!("no cgroup v1 hierarchy is mounted");
    }
    Ok(out)
}

/// This process's cgroup in the hierarchy of `controllers` (/proc/self/cgroup).
fn own_cgroup(proc_cgroup: &str, controllers: &[String]) -> Option<PathBuf> {
    proc_cgroup.lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        let (_, list, path) = (parts.next()?, parts.next()?, parts.next()?);
        list.split(',')
            .any(|c| controllers.iter().any(|w| w == c))
            .then(|| PathBuf::from(path))
    })
}

/// mountinfo escapes space, tab, newline and backslash as \ooo.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 4 <= b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A new cpuset cgroup has no CPUs or memory nodes, and a task cannot join it
/// until it has: each new level copies its parent's.
fn create_cpuset_dirs(mount_point: &Path, dir: &Path) -> anyhow::Result<()> {
    let rel = dir.strip_prefix(mount_point).unwrap_or(Path::new(""));
    let mut parent = mount_point.to_path_buf();
    for part in rel.components() {
        let cur = parent.join(part);
        if !cur.is_dir() {
            std::fs::create_dir(&cur).with_context(|| format!("creating {}", cur.display()))?;
        }
        for file in ["cpuset.cpus", "cpuset.mems"] {
            let mine = stats::read_opt(&cur, file)?.unwrap_or_default();
            if mine.trim().is_empty() {
                let theirs = stats::read_opt(&parent, file)?.unwrap_or_default();
                write(&cur, file, theirs.trim())?;
            }
        }
        parent = cur;
    }
    Ok(())
}

/// memory.limit_in_bytes and memory.memsw.limit_in_bytes, in the order the
/// kernel accepts: it refuses a memory limit above memsw, and memsw below memory.
fn set_memory(dir: &Path, l: &Limits) -> anyhow::Result<()> {
    let mut swap = l.memory_swap;
    let memsw = "memory.memsw.limit_in_bytes";
    if l.memory_limit == Some(-1) && swap.is_none() && dir.join(memsw).exists() {
        swap = Some(-1);
    }
    let set_mem = || match l.memory_limit {
        Some(m) => write(dir, "memory.limit_in_bytes", &m.to_string()),
        None => Ok(()),
    };
    let set_swap = || match swap {
        Some(s) => {
            write(dir, memsw, &s.to_string()).context("is swap accounting on (swapaccount=1)?")
        }
        None => Ok(()),
    };
    let current = read_u64(dir, "memory.limit_in_bytes")?.unwrap_or(u64::MAX);
    // Raising: memsw first (room for the new memory limit); lowering: memory first.
    let raise = match swap {
        Some(-1) => true,
        Some(s) => s >= 0 && (s as u64) > current,
        None => false,
    };
    if raise {
        set_swap()?;
        set_mem()
    } else {
        set_mem()?;
        set_swap()
    }
}

/// cpu.cfs_period_us and cpu.cfs_quota_us; a period the current quota does not
/// fit is refused, so on EINVAL the quota goes first.
fn set_cpu_bandwidth(dir: &Path, quota: Option<i64>, period: Option<u64>) -> anyhow::Result<()> {
    let set_quota = || match quota {
        Some(q) => write(dir, "cpu.cfs_quota_us", &q.max(-1).to_string()),
        None => Ok(()),
    };
    let Some(p) = period else {
        return set_quota();
    };
    if let Err(e) = write(dir, "cpu.cfs_period_us", &p.to_string()) {
        if quota.is_none() {
            return Err(e);
        }
        set_quota()?;
        return write(dir, "cpu.cfs_period_us", &p.to_string());
    }
    set_quota()
}

pub(super) fn pids_max(n: i64) -> String {
    if n > 0 { n.to_string() } else { "max".into() }
}

fn memory_entry(dir: &Path, prefix: &str) -> anyhow::Result<MemoryEntry> {
    let get = |name: &str| read_u64(dir, &format!("{prefix}.{name}"));
    Ok(MemoryEntry {
        limit: get("limit_in_bytes")?.unwrap_or(0),
        usage: get("usage_in_bytes")?.unwrap_or(0),
        max: get("max_usage_in_bytes")?.unwrap_or(0),
        failcnt: get("failcnt")?.unwrap_or(0),
    })
}

/// Lines "MAJ:MIN Op VALUE" (the trailing "Total N" line is not per device).
fn parse_blkio(text: &str) -> Vec<BlkioEntry> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let [dev, op, value] = f[..] else { return None };
            let (major, minor) = dev.split_once(':')?;
            Some(BlkioEntry {
                major: major.parse().ok()?,
                minor: minor.parse().ok()?,
                op: op.to_string(),
                value: value.parse().ok()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn blkio_lines_parse_per_device() {
        let e = parse_blkio("8:0 Read 4096\n8:0 Write 0\nTotal 4096\n");
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].major, e[0].minor, e[0].op.as_str(), e[0].value),
            (8, 0, "Read", 4096)
        );
    }

    #[test]
    fn own_cgroup_matches_comounted_controllers() {
        let pc = "4:memory:/a/b\n1:cpu,cpuacct:/\n0::/\n";
        assert_eq!(
            own_cgroup(pc, &["memory".into()]),
            Some(PathBuf::from("/a/b"))
        );
        assert_eq!(
            own_cgroup(pc, &["cpuacct".into()]),
            Some(PathBuf::from("/"))
        );
        assert_eq!(own_cgroup(pc, &["pids".into()]), None);
    }

    #[test]
    fn mountinfo_escapes_are_undone() {
        assert_eq!(unescape(r"/a\040b"), "/a b");
        assert_eq!(unescape(r"/plain"), "/plain");
    }
}
