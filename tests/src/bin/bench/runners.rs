//! The ways of running a benchmark program, each giving its ns per unit
//! or the reason it could not run.

use crate::native_tmpfs::NativeTmpfs;
use crate::parse::ns_per_call;
use crate::runc;
use crate::tempdir::TempDir;
use crate::workload::Workload;
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tests::paths::find_runsc;
use tests::run::run_command;

pub type Measured = Result<f64, String>;

pub struct Runner {
    pub name: &'static str,
    pub run: fn(&Workload) -> Measured,
}

/// Name of our runsc's row; the table's "vs ours" column divides by it.
pub const OURS: &str = "ours (runsc)";
pub const NATIVE: &str = "native";
pub const GVISOR_NAME: &str = "gVisor (ptrace)";

pub const ALL: [Runner; 4] = [
    Runner {
        name: NATIVE,
        run: native,
    },
    Runner {
        name: "runc",
        run: runc::run,
    },
    Runner {
        name: GVISOR_NAME,
        run: gvisor,
    },
    Runner {
        name: OURS,
        run: ours,
    },
];

pub const GVISOR: &str = "/usr/bin/runsc";

/// Where the sandboxes (both `runsc do`s) and runc's container write.
const SANDBOX_TMP: &str = "/tmp";

/// Whether we run as root: /proc/self belongs to our effective uid.
pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Time for work that must not take long (runc spec, runc delete).
pub const QUICK: Duration = Duration::from_secs(60);

/// Runs `cmd` with the timeout and extracts the result.
pub fn measure(cmd: Command, timeout: Duration) -> Measured {
    let out = run_command(cmd, timeout).map_err(|e| e.to_string())?;
    ns_per_call(&out)
}

/// The median of several runs; a failed run fails the lot (the first
/// failure is the reason).
pub fn median(runs: Vec<Measured>) -> Measured {
    let mut ok = Vec::with_capacity(runs.len());
    for (i, run) in runs.iter().enumerate() {
        match run {
            Ok(ns) => ok.push(*ns),
            Err(e) if runs.len() == 1 => return Err(e.clone()),
            Err(e) => return Err(format!("run {} of {}: {e}", i + 1, runs.len())),
        }
    }
    ok.sort_by(f64::total_cmp);
    let mid = ok.len() / 2;
    match ok.len() {
        0 => Err("no runs".to_string()),
        n if n % 2 == 1 => Ok(ok[mid]),
        _ => Ok((ok[mid - 1] + ok[mid]) / 2.0),
    }
}

/// The host path, for the runtimes that see the host's root.
fn host_path(p: &Path) -> Result<OsString, String> {
    Ok(p.into())
}

fn native(w: &Workload) -> Measured {
    let scratch = if w.needs_scratch() {
        static N: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "bench-scratch-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        Some(TempDir::create(std::env::temp_dir().join(name))?)
    } else {
        None
    };
    let dir = scratch
        .as_ref()
        .map_or(Path::new(SANDBOX_TMP), TempDir::path);
    let tmpfs = if w.needs_tmpfs() {
        Some(NativeTmpfs::create()?)
    } else {
        None
    };
    let tmpfs_dir = tmpfs
        .as_ref()
        .map_or(Path::new(SANDBOX_TMP), NativeTmpfs::path);
    let mut cmd = Command::new(&w.program);
    cmd.args(w.resolve(host_path, dir, tmpfs_dir)?);
    measure(cmd, w.timeout)
}

/// gVisor's `do` as root; rootless otherwise. Its KVM platform hangs on
/// this kind of VM, hence ptrace.
fn gvisor(w: &Workload) -> Measured {
    if !Path::new(GVISOR).is_file() {
        return Err(format!("{GVISOR} missing (apt-get install runsc)"));
    }
    let mut cmd = Command::new(GVISOR);
    cmd.args(["--network=none", "--platform=ptrace"]);
    if !is_root() {
        cmd.arg("--rootless");
    }
    cmd.arg("do").arg(&w.program).args(w.resolve(
        host_path,
        Path::new(SANDBOX_TMP),
        Path::new(SANDBOX_TMP),
    )?);
    measure(cmd, w.timeout)
}

fn ours(w: &Workload) -> Measured {
    let runsc = find_runsc()?;
    let mut cmd = Command::new(runsc);
    cmd.args(["do", "--"]).arg(&w.program).args(w.resolve(
        host_path,
        Path::new(SANDBOX_TMP),
        Path::new(SANDBOX_TMP),
    )?);
    measure(cmd, w.timeout)
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn median_of_runs() {
        assert_eq!(median(vec![Ok(3.0), Ok(1.0), Ok(2.0)]), Ok(2.0));
        assert_eq!(median(vec![Ok(4.0), Ok(1.0)]), Ok(2.5));
        assert_eq!(
            median(vec![Ok(1.0), Err("boom".to_string())]),
            Err("run 2 of 2: boom".to_string())
        );
        assert_eq!(
            median(vec![Err("boom".to_string())]),
            Err("boom".to_string())
        );
    }
}
