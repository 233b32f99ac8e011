//! Starting a sandbox: the gofer (serving the root) and the sandbox process
//! (`runsc boot`), connected by a socket pair; waiting for them.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;
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

/// Starts the gofer for `spec`'s root, serving on `conn` (which only it inherits).
fn start_gofer(
    global: &GlobalFlags,
    spec: &BootSpec,
    conn: &impl AsRawFd,
) -> anyhow::Result<Child> {
    inheritable(conn, true)?;
    let mut cmd = runsc()?;
    cmd.args(global.to_args())
        .arg("gofer")
        .arg(format!("--root={}", spec.root.display()));
    if spec.root_readonly {
        cmd.arg("--readonly");
    }
    let child = cmd
        .arg(format!("--socket-fd={}", conn.as_raw_fd()))
        .spawn()
        .context("starting the gofer");
    inheritable(conn, false)?;
    child
}

/// Runs `spec` in a new sandbox and returns the shell-style exit code of the
/// container's first process.
pub fn run(global: &GlobalFlags, spec: &BootSpec) -> anyhow::Result<i32> {
    let json = serde_json::to_vec(spec)?;
    let spec_fd =
        memfd_create(c"runsc-boot-spec", MemFdCreateFlag::MFD_CLOEXEC).context("memfd_create")?;
    let mut spec_file = std::fs::File::from(spec_fd);
    spec_file.write_all(&json)?;

    let (sentry_end, gofer_end) = gofer::socket_pair().context("socketpair")?;
    let mut gofer = start_gofer(global, spec, &gofer_end)?;
    drop(gofer_end);

    inheritable(&spec_file, true)?;
    inheritable(&sentry_end, true)?;
    let boot = runsc()?
        .args(global.to_args())
        .arg("boot")
        .arg(format!("--spec-fd={}", spec_file.as_raw_fd()))
        .arg(format!("--gofer-fd={}", sentry_end.as_raw_fd()))
        .spawn()
        .context("starting the sandbox");
    drop(spec_file);
    drop(sentry_end);
    let status = match boot {
        Ok(mut boot) => boot.wait().context("waiting for the sandbox"),
        Err(e) => Err(e),
    };
    // The gofer ends when the sandbox's end of the socket closes.
    if status.is_err() {
        let _ = gofer.kill();
    }
    let _ = gofer.wait();
    let status = status?;
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}
