//! A transient memory cgroup that bounds what a test's processes may use,
//! so that a runaway sandbox is killed by the kernel before it can take
//! the host down, and that reports the group's peak usage and OOM kills.
//!
//! It is made next to (v1: under) the test process's own memory cgroup,
//! and removed, with anything still in it killed, when dropped.

use crate::skip::Skip;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// Which cgroup interface the group uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

/// A memory cgroup with a limit; removed on drop.
#[derive(Debug)]
pub struct MemCgroup {
    dir: PathBuf,
    version: Version,
    limit: u64,
}

impl MemCgroup {
    /// Creates `<own memory cgroup>/<name>` (v2: `/sys/fs/cgroup/<name>`,
    /// since a v2 group holding processes cannot have children with
    /// controllers) with `limit` bytes of memory and no swap.
    pub fn create(name: &str, limit: u64) -> Result<MemCgroup, Skip> {
        let (parent, version) = memory_parent()?;
        let dir = parent.join(name);
        match fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                // Left by an earlier run that was killed: empty it and reuse it.
            }
            Err(e) => {
                return Err(Skip(format!(
                    "cannot create the memory cgroup {}: {e} (needs root and a \
                     writable cgroup file system)",
                    dir.display()
                )));
            }
        }
        let cg = MemCgroup {
            dir,
            version,
            limit,
        };
        cg.kill_all();
        cg.set_limit().map_err(|e| {
            Skip(format!(
                "cannot set a memory limit on {}: {e}",
                cg.dir.display()
            ))
        })?;
        Ok(cg)
    }

    fn set_limit(&self) -> io::Result<()> {
        let limit = self.limit.to_string();
        match self.version {
            Version::V1 => {
                fs::write(self.dir.join("memory.limit_in_bytes"), &limit)?;
                // Memory plus swap: only there when swap accounting is on.
                let memsw = self.dir.join("memory.memsw.limit_in_bytes");
                if memsw.exists() {
                    fs::write(memsw, &limit)?;
                }
                // A reused group starts its peak afresh.
                fs::write(self.dir.join("memory.max_usage_in_bytes"), "0")?;
            }
            Version::V2 => {
                fs::write(self.dir.join("memory.max"), &limit)?;
                let swap = self.dir.join("memory.swap.max");
                if swap.exists() {
                    fs::write(swap, "0")?;
                }
            }
        }
        Ok(())
    }

    /// The group's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file a process writes its pid to in order to join.
    pub fn procs_file(&self) -> PathBuf {
        self.dir.join("cgroup.procs")
    }

    /// The limit in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The processes in the group now.
    pub fn pids(&self) -> Vec<u32> {
        fs::read_to_string(self.procs_file())
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }

    /// The group's peak memory use so far (v2 needs Linux 5.19's
    /// `memory.peak`).
    pub fn peak(&self) -> Option<u64> {
        let file = match self.version {
            Version::V1 => "memory.max_usage_in_bytes",
            Version::V2 => "memory.peak",
        };
        read_u64(&self.dir.join(file))
    }

    /// How many processes of the group the kernel's OOM killer killed
    /// (v1: Linux 4.13's `oom_kill` line of `memory.oom_control`).
    pub fn oom_kills(&self) -> Option<u64> {
        let (file, key) = match self.version {
            Version::V1 => ("memory.oom_control", "oom_kill"),
            Version::V2 => ("memory.events", "oom_kill"),
        };
        let text = fs::read_to_string(self.dir.join(file)).ok()?;
        text.lines().find_map(|l| {
            let (k, v) = l.split_once(' ')?;
            if k == key {
                v.trim().parse().ok()
            } else {
                None
            }
        })
    }

    /// SIGKILLs every process in the group until it is empty (all of them
    /// were started by the test that made the group).
    pub fn kill_all(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let pids = self.pids();
            if pids.is_empty() || Instant::now() >= deadline {
                return;
            }
            for pid in pids {
                if let Ok(pid) = i32::try_from(pid) {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for MemCgroup {
    fn drop(&mut self) {
        self.kill_all();
        // A group empties a moment after its last process is reaped.
        let deadline = Instant::now() + Duration::from_secs(5);
        while fs::remove_dir(&self.dir).is_err() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
    }
}

fn read_u64(path: &Path) -> Option<u64> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Where to make the group: the test process's own v1 memory cgroup, else
/// the v2 root when it delegates the memory controller.
fn memory_parent() -> Result<(PathBuf, Version), Skip> {
    let own = fs::read_to_string("/proc/self/cgroup")
        .map_err(|e| Skip(format!("cannot read /proc/self/cgroup: {e}")))?;
    let root = Path::new("/sys/fs/cgroup");
    for line in own.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next(), parts.next(), parts.next());
        let (Some(controllers), Some(path)) = (controllers, path) else {
            continue;
        };
        if controllers.split(',').any(|c| c == "memory") {
            let dir = root.join("memory").join(path.trim_start_matches('/'));
            if dir.join("memory.limit_in_bytes").exists() {
                return Ok((dir, Version::V1));
            }
        }
    }
    let subtree = fs::read_to_string(root.join("cgroup.subtree_control")).unwrap_or_default();
    if subtree.split_whitespace().any(|c| c == "memory") {
        return Ok((root.to_path_buf(), Version::V2));
    }
    Err(Skip(
        "no memory cgroup to bound the run with (neither a v1 memory hierarchy \
         nor a v2 root delegating `memory`)"
            .into(),
    ))
}
