//! Starting the sandbox process (`runsc boot`) and waiting for it.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use anyhow::Context;
use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::sys::memfd::{MemFdCreateFlag, memfd_create};

use crate::boot_spec::BootSpec;
use crate::cli::GlobalFlags;

/// Runs `spec` in a new sandbox process and returns the shell-style exit code of
/// the container's first process.
pub fn run(global: &GlobalFlags, spec: &BootSpec) -> anyhow::Result<i32> {
    let json = serde_json::to_vec(spec)?;
    let fd =
        memfd_create(c"runsc-boot-spec", MemFdCreateFlag::MFD_CLOEXEC).context("memfd_create")?;
    let mut file = std::fs::File::from(fd);
    file.write_all(&json)?;
    // Only the boot child inherits it.
    fcntl(file.as_raw_fd(), FcntlArg::F_SETFD(FdFlag::empty())).context("fcntl")?;
    let exe = std::env::current_exe().context("finding the runsc binary")?;
    let mut child = Command::new(exe)
        .args(global.to_args())
        .arg("boot")
        .arg(format!("--spec-fd={}", file.as_raw_fd()))
        .spawn()
        .context("starting the sandbox")?;
    drop(file);
    let status = child.wait().context("waiting for the sandbox")?;
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}
