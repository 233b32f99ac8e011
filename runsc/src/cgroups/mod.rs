//! The host cgroup of a container: where its sandbox and gofers are placed, the
//! limits of `linux.resources`, usage for `events --stats`, and the freezer for
//! pause/resume. cgroup v1 (one hierarchy per controller, as on hybrid hosts)
//! and v2 (the unified hierarchy) have one interface, [`Cgroup`].

mod own_limit;
pub mod path;
pub mod stats;
mod v1;
mod v2;

#[cfg(test)]
mod tests;

use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use oci_spec::runtime::LinuxResources;

pub use own_limit::own_memory_limit;
pub use stats::{Stats, StatsEvent};

/// Where cgroup filesystems are mounted.
const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// The limits of `linux.resources` that runsc applies; the rest are ignored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Bytes; -1 is unlimited.
    pub memory_limit: Option<i64>,
    /// Bytes (soft limit); -1 is unlimited.
    pub memory_reservation: Option<i64>,
    /// Memory plus swap, in bytes (as OCI and cgroup v1 count it); -1 is unlimited.
    pub memory_swap: Option<i64>,
    pub cpu_shares: Option<u64>,
    /// Microseconds per period; -1 (or below 0) is unlimited.
    pub cpu_quota: Option<i64>,
    /// Microseconds.
    pub cpu_period: Option<u64>,
    pub cpuset_cpus: Option<String>,
    pub cpuset_mems: Option<String>,
    /// 0 leaves it unset; below 0 is unlimited.
    pub pids_limit: Option<i64>,
}

impl Limits {
    /// The limits runsc applies, logging (at debug) the ones it ignores.
    pub fn from_resources(r: &LinuxResources) -> Limits {
        let mut l = Limits::default();
        // As runc, 0 leaves a value as it is (`update` gets every field,
        // unset ones as 0).
        let set = |v: Option<i64>| v.filter(|&v| v != 0);
        let set_u = |v: Option<u64>| v.filter(|&v| v != 0);
        if let Some(m) = r.memory() {
            l.memory_limit = set(m.limit());
            l.memory_reservation = set(m.reservation());
            l.memory_swap = set(m.swap());
            if m.kernel().is_some()
                || m.kernel_tcp().is_some()
                || m.swappiness().is_some()
                || m.disable_oom_killer().is_some()
            {
                tracing::debug!(
                    "cgroup: memory kernel/kernelTCP/swappiness/disableOOMKiller ignored"
                );
            }
        }
        if let Some(c) = r.cpu() {
            l.cpu_shares = set_u(c.shares());
            l.cpu_quota = set(c.quota());
            l.cpu_period = set_u(c.period());
            l.cpuset_cpus = c.cpus().clone().filter(|s| !s.is_empty());
            l.cpuset_mems = c.mems().clone().filter(|s| !s.is_empty());
            if c.realtime_runtime().is_some() || c.realtime_period().is_some() {
                tracing::debug!("cgroup: cpu realtimeRuntime/realtimePeriod ignored");
            }
        }
        if let Some(p) = r.pids() {
            l.pids_limit = Some(p.limit()).filter(|&n| n != 0);
        }
        let ignored = [
            (
                "devices",
                r.devices().as_ref().is_some_and(|d| !d.is_empty()),
            ),
            ("blockIO", r.block_io().is_some()),
            (
                "hugepageLimits",
                r.hugepage_limits().as_ref().is_some_and(|h| !h.is_empty()),
            ),
            ("network", r.network().is_some()),
            ("rdma", r.rdma().is_some()),
            (
                "unified",
                r.unified().as_ref().is_some_and(|u| !u.is_empty()),
            ),
        ];
        for (name, present) in ignored {
            if present {
                tracing::debug!("cgroup: linux.resources.{name} ignored");
            }
        }
        l
    }

    fn wants_memory(&self) -> bool {
        self.memory_limit.is_some()
            || self.memory_reservation.is_some()
            || self.memory_swap.is_some()
    }

    fn wants_cpu(&self) -> bool {
        self.cpu_shares.is_some() || self.cpu_quota.is_some() || self.cpu_period.is_some()
    }

    fn wants_cpuset(&self) -> bool {
        self.cpuset_cpus.is_some() || self.cpuset_mems.is_some()
    }
}

/// Host tasks of a sandbox besides those of its container's tasks: boot's
/// own threads, the keeper, the gofers.
const HOST_TASKS_BASE: i64 = 64;
/// Host tasks per container task at most: a sentry thread and a stub thread,
/// and up to four idle pairs kept per address space for the next thread.
const HOST_TASKS_PER_TASK: i64 = 10;

/// The host cgroup's `pids.max` for a container whose pids limit (counted by
/// the sandbox itself) is `limit`: defence in depth, for a sandbox that
/// failed to count. Each container task takes several host tasks, so the
/// host limit is a multiple of the container's; below 0 is unlimited, as
/// `limit`.
pub fn host_pids_limit(limit: i64) -> i64 {
    if limit <= 0 {
        return limit;
    }
    limit
        .saturating_mul(HOST_TASKS_PER_TASK)
        .saturating_add(HOST_TASKS_BASE)
}

/// Which cgroup filesystem to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// One hierarchy per controller, found in /proc/self/mountinfo.
    V1,
    /// The unified hierarchy mounted at this directory.
    V2(PathBuf),
}

impl Mode {
    /// v2 when /sys/fs/cgroup is itself cgroup2; v1 otherwise (a hybrid host's
    /// /sys/fs/cgroup/unified holds no controllers).
    pub fn detect() -> anyhow::Result<Mode> {
        let stat = nix::sys::statfs::statfs(CGROUP_ROOT)
            .with_context(|| format!("statfs {CGROUP_ROOT} (is cgroupfs mounted?)"))?;
        if stat.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC {
            Ok(Mode::V2(PathBuf::from(CGROUP_ROOT)))
        } else {
            Ok(Mode::V1)
        }
    }
}

/// A container's cgroup.
#[derive(Debug)]
pub struct Cgroup {
    path: PathBuf,
    imp: Imp,
}

#[derive(Debug)]
enum Imp {
    V1(v1::V1),
    V2(v2::V2),
}

impl Cgroup {
    /// Creates the cgroup at `path` (see [`path::from_spec`]) and applies `resources`.
    pub fn create(path: &Path, resources: &LinuxResources) -> anyhow::Result<Cgroup> {
        Self::create_in(&Mode::detect()?, path, &Limits::from_resources(resources))
    }

    /// Reopens a cgroup made by [`Cgroup::create`] (e.g. from saved container state).
    pub fn load(path: &Path) -> anyhow::Result<Cgroup> {
        Self::load_in(&Mode::detect()?, path)
    }

    pub fn create_in(mode: &Mode, path: &Path, limits: &Limits) -> anyhow::Result<Cgroup> {
        check_path(path)?;
        let imp = match mode {
            Mode::V1 => Imp::V1(v1::V1::create(path, limits)?),
            Mode::V2(root) => Imp::V2(v2::V2::create(root, path, limits)?),
        };
        Ok(Cgroup {
            path: path.to_path_buf(),
            imp,
        })
    }

    pub fn load_in(mode: &Mode, path: &Path) -> anyhow::Result<Cgroup> {
        check_path(path)?;
        let imp = match mode {
            Mode::V1 => Imp::V1(v1::V1::load(path)?),
            Mode::V2(root) => Imp::V2(v2::V2::load(root, path)?),
        };
        Ok(Cgroup {
            path: path.to_path_buf(),
            imp,
        })
    }

    /// The path it was made with (what container state should keep).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Applies new limits (those left `None` stay as they are).
    pub fn update(&self, limits: &Limits) -> anyhow::Result<()> {
        match &self.imp {
            Imp::V1(c) => c.apply(limits),
            Imp::V2(c) => c.apply(limits),
        }
    }

    /// Moves process `pid` (and so its future children) into the cgroup.
    pub fn add(&self, pid: i32) -> anyhow::Result<()> {
        match &self.imp {
            Imp::V1(c) => c.add(pid),
            Imp::V2(c) => c.add(pid),
        }
    }

    /// The `cgroup.procs` file of each of its directories: a process writing
    /// "0" to them joins the cgroup (the sandbox does so before it starts
    /// anything, so that all its processes are inside).
    pub fn procs_files(&self) -> Vec<PathBuf> {
        match &self.imp {
            Imp::V1(c) => c.dirs().map(|d| d.join("cgroup.procs")).collect(),
            Imp::V2(c) => vec![c.dir().join("cgroup.procs")],
        }
    }

    /// The processes in the cgroup.
    pub fn pids(&self) -> anyhow::Result<Vec<i32>> {
        match &self.imp {
            Imp::V1(c) => c.pids(),
            Imp::V2(c) => stats::read_procs(c.dir()),
        }
    }

    /// Stops every process of the cgroup; returns once the kernel says they are.
    pub fn freeze(&self) -> anyhow::Result<()> {
        match &self.imp {
            Imp::V1(c) => c.set_frozen(true),
            Imp::V2(c) => c.set_frozen(true),
        }
    }

    /// Lets the processes run again.
    pub fn thaw(&self) -> anyhow::Result<()> {
        match &self.imp {
            Imp::V1(c) => c.set_frozen(false),
            Imp::V2(c) => c.set_frozen(false),
        }
    }

    /// Usage and limits now.
    pub fn stats(&self) -> anyhow::Result<Stats> {
        match &self.imp {
            Imp::V1(c) => c.stats(),
            Imp::V2(c) => c.stats(),
        }
    }

    /// How many times the kernel's OOM killer has killed a process of the
    /// cgroup (v1 memory.oom_control, v2 memory.events); None without a
    /// memory controller.
    pub fn oom_kills(&self) -> anyhow::Result<Option<u64>> {
        let (dir, file) = match &self.imp {
            Imp::V1(c) => match c.dir("memory") {
                Some(d) => (d, "memory.oom_control"),
                None => return Ok(None),
            },
            Imp::V2(c) => (c.dir(), "memory.events"),
        };
        Ok(stats::read_flat_keyed(dir, file)?.get("oom_kill").copied())
    }

    /// Removes the cgroup's directories, waiting a little for exiting processes
    /// to leave them; it kills nothing, so a cgroup that still has live
    /// processes is an error.
    pub fn destroy(self) -> anyhow::Result<()> {
        match &self.imp {
            Imp::V1(c) => c.dirs().try_for_each(remove_dir),
            Imp::V2(c) => remove_dir(c.dir()),
        }
    }
}

fn check_path(path: &Path) -> anyhow::Result<()> {
    if path.as_os_str().is_empty()
        || path
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
    {
        bail!("invalid cgroup path {:?}", path);
    }
    Ok(())
}

/// `base` joined with `rel` taken as relative even if it starts with '/'.
fn join_inside(base: &Path, rel: &Path) -> PathBuf {
    let mut p = base.to_path_buf();
    p.extend(
        rel.components()
            .filter(|c| matches!(c, Component::Normal(_))),
    );
    p
}

fn write(dir: &Path, name: &str, value: &str) -> anyhow::Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, value).with_context(|| format!("writing {value:?} to {}", path.display()))
}

/// Polls `done` until it holds, for up to two seconds.
fn wait_until(mut done: impl FnMut() -> anyhow::Result<bool>) -> anyhow::Result<bool> {
    let start = Instant::now();
    let mut delay = Duration::from_micros(100);
    while start.elapsed() < Duration::from_secs(2) {
        if done()? {
            return Ok(true);
        }
        std::thread::sleep(delay);
        delay = (delay * 2).min(Duration::from_millis(20));
    }
    done()
}

/// rmdir, retried while processes that are exiting still hold the cgroup.
fn remove_dir(dir: &Path) -> anyhow::Result<()> {
    let mut last = None;
    let removed = wait_until(|| match std::fs::remove_dir(dir) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
            last = Some(e);
            Ok(false)
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("removing {}", dir.display()))),
    })?;
    if !removed {
        let procs = stats::read_procs(dir).unwrap_or_default();
        bail!(
            "removing {}: {} (processes still in it: {procs:?})",
            dir.display(),
            last.map(|e| e.to_string()).unwrap_or_default()
        );
    }
    Ok(())
}
