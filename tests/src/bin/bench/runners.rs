//! The ways of running the benchmark program, each giving ns/call or the
//! reason it could not run.

use crate::parse::ns_per_call;
use crate::runc;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use tests::paths::find_runsc;
use tests::run::run_command;

pub type Measured = Result<f64, String>;

pub struct Runner {
    pub name: &'static str,
    pub run: fn(&Path, u64) -> Measured,
}

/// Name of our runsc's row; the table's "vs ours" column divides by it.
pub const OURS: &str = "ours (runsc)";
pub const NATIVE: &str = "native";

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
        name: "gVisor (ptrace)",
        run: gvisor,
    },
    Runner {
        name: OURS,
        run: ours,
    },
];

const GVISOR: &str = "/usr/bin/runsc";

/// Whether we run as root: /proc/self belongs to our effective uid.
pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Generous: a slow sandbox may take ~100 µs per syscall.
pub fn timeout(iterations: u64) -> Duration {
    Duration::from_secs(60) + Duration::from_micros(iterations.saturating_mul(200))
}

/// Runs `cmd` with the timeout and extracts the result.
pub fn measure(cmd: Command, iterations: u64) -> Measured {
    let out = run_command(cmd, timeout(iterations)).map_err(|e| e.to_string())?;
    ns_per_call(&out)
}

fn native(prog: &Path, iterations: u64) -> Measured {
    let mut cmd = Command::new(prog);
    cmd.arg(iterations.to_string());
    measure(cmd, iterations)
}

/// gVisor's `do` as root; rootless otherwise. Its KVM platform hangs on
/// this kind of VM, hence ptrace.
fn gvisor(prog: &Path, iterations: u64) -> Measured {
    if !Path::new(GVISOR).is_file() {
        return Err(format!("{GVISOR} missing (apt-get install runsc)"));
    }
    let mut cmd = Command::new(GVISOR);
    cmd.args(["--network=none", "--platform=ptrace"]);
    if !is_root() {
        cmd.arg("--rootless");
    }
    cmd.arg("do").arg(prog).arg(iterations.to_string());
    measure(cmd, iterations)
}

fn ours(prog: &Path, iterations: u64) -> Measured {
    let runsc = find_runsc()?;
    let mut cmd = Command::new(runsc);
    cmd.args(["do", "--"]).arg(prog).arg(iterations.to_string());
    measure(cmd, iterations)
}
