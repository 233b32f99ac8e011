//! Leaving the host's filesystem: `runsc boot` makes an empty, read-only tmpfs
//! its root (`pivot_root`) and detaches the old root, so no host path can be
//! named any more. Runs in boot's own mount namespace (see `namespaces.rs`).

use anyhow::Context;
use nix::mount::{MntFlags, MsFlags, mount, umount2};

/// Host directories to mount the new root on (any existing one will do: the
/// mount is private to the sandbox's namespace and the old root goes away).
const MOUNT_ON: [&str; 4] = ["/tmp", "/mnt", "/proc", "/dev"];

/// Makes an empty read-only tmpfs the root and current directory of the
/// calling process, with nothing of the host's mount tree left under it.
pub fn enter_empty_root() -> anyhow::Result<()> {
    // Nothing done to mounts from here on propagates back to the host (and
    // pivot_root refuses shared mounts).
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .context("making the sandbox's mounts private")?;
    let dir = MOUNT_ON
        .iter()
        .find(|d| std::path::Path::new(d).is_dir())
        .context("no directory to mount the sandbox's root on")?;
    mount(
        Some("none"),
        *dir,
        Some("tmpfs"),
        MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        Some("size=4k,mode=0555"),
    )
    .with_context(|| format!("mounting the sandbox's empty root on {dir}"))?;
    nix::unistd::chdir(*dir).context("entering the sandbox's root")?;
    // pivot_root(".", "."): the old root ends up stacked on the new one, at
    // the current directory, where umount2 detaches it (pivot_root(2)).
    nix::unistd::pivot_root(".", ".").context("pivot_root")?;
    umount2(".", MntFlags::MNT_DETACH).context("detaching the host's root")?;
    nix::unistd::chdir("/").context("chdir(/)")?;
    Ok(())
}
