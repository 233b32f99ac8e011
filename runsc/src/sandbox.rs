//! Starting a sandbox: the gofer (serving the root) and the sandbox process
//! (`runsc boot`), connected by a socket pair; waiting for them.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command};

use anyhow::Context;
use nix::sys::memfd::{MemFdCreateFlag, memfd_create};

use crate::boot_spec::BootSpec;
use crate::cli::GlobalFlags;
use crate::inherited_fd::inheritable;

fn runsc() -> anyhow::Result<Command> {
    Ok(Command::new(
        std::env::current_exe().context("finding the runsc binary")?,
    ))
}

/// Starts a gofer serving `root`, on `conn` (which only it inherits).
fn start_gofer(
    global: &GlobalFlags,
    root: &Path,
    readonly: bool,
    conn: &impl AsRawFd,
) -> anyhow::Result<Child> {
    inheritable(conn, true)?;
    let mut cmd = runsc()?;
    cmd.args(global.to_args())
        .arg("gofer")
        .arg(format!("--root={}", root.display()));
    if readonly {
        cmd.arg("--readonly");
    }
    let child = cmd
        .arg(format!("--socket-fd={}", conn.as_raw_fd()))
        .spawn()
        .context("starting the gofer");
    inheritable(conn, false)?;
    child
}

fn stop_all(children: &mut [Child]) {
    for c in children {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// Runs `spec` in a new sandbox and returns the shell-style exit code of the
/// container's first process.
pub fn run(global: &GlobalFlags, spec: &BootSpec) -> anyhow::Result<i32> {
    let json = serde_json::to_vec(spec)?;
    let spec_fd =
        memfd_create(c"runsc-boot-spec", MemFdCreateFlag::MFD_CLOEXEC).context("memfd_create")?;
    let mut spec_file = std::fs::File::from(spec_fd);
    spec_file.write_all(&json)?;

    // One gofer for the root and one per bind mount.
    let mut served = vec![(spec.root.clone(), spec.root_readonly)];
    for m in spec.mounts.iter().filter(|m| m.fs_type == "bind") {
        served.extend(m.source.clone().map(|s| (s, m.readonly)));
    }
    let mut gofers = Vec::new();
    let mut sentry_ends = Vec::new();
    for (root, readonly) in &served {
        let (sentry_end, gofer_end) = gofer::socket_pair().context("socketpair")?;
        match start_gofer(global, root, *readonly, &gofer_end) {
            Ok(child) => gofers.push(child),
            Err(e) => {
                stop_all(&mut gofers);
                return Err(e);
            }
        }
        sentry_ends.push(sentry_end);
    }

    inheritable(&spec_file, true)?;
    let mut cmd = runsc()?;
    cmd.args(global.to_args())
        .arg("boot")
        .arg(format!("--spec-fd={}", spec_file.as_raw_fd()));
    for end in &sentry_ends {
        inheritable(end, true)?;
        cmd.arg(format!("--gofer-fd={}", end.as_raw_fd()));
    }
    let plan = crate::confine::NamespacePlan {
        network: spec.network_namespace.clone(),
    };
    let boot = crate::confine::spawn_boot(cmd, &plan).context("starting the sandbox");
    drop(spec_file);
    drop(sentry_ends);
    let status = match boot {
        Ok(mut boot) => boot.wait().context("waiting for the sandbox"),
        Err(e) => Err(e),
    };
    // Gofers end when the sandbox's ends of their sockets close.
    if status.is_err() {
        stop_all(&mut gofers);
    }
    for g in &mut gofers {
        let _ = g.wait();
    }
    let status = status?;
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}
