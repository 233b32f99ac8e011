//! `runsc gofer`: serves the container's root to the sandbox over a socket, from
//! its own mount namespace and under its own seccomp filter.

use std::os::fd::OwnedFd;

use anyhow::Context;

use crate::cli::GoferArgs;

pub fn run(args: GoferArgs) -> anyhow::Result<i32> {
    let conn: OwnedFd = crate::inherited_fd::adopt(args.socket_fd)?;
    // A mount namespace of its own, with nothing propagating back to the host.
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS).context("unshare(CLONE_NEWNS)")?;
    nix::mount::mount(
        None::<&str>,
        "/",
        None::<&str>,
        nix::mount::MsFlags::MS_REC | nix::mount::MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .context("making mounts private")?;
    // Each node the sandbox caches is a descriptor here.
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
    let root = std::fs::File::open(&args.root)
        .with_context(|| format!("opening root {}", args.root.display()))?;
    gofer::seccomp::install_filter().map_err(|e| anyhow::anyhow!("gofer seccomp filter: {e}"))?;
    gofer::serve(root, args.readonly, conn).context("serving")?;
    Ok(0)
}
