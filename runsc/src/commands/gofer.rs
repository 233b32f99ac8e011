//! `runsc gofer`: serves the container's root or one bind mount (a directory or
//! a single file) to the sandbox over a socket, from its own mount namespace and
//! under its own seccomp filter.

use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use anyhow::{Context, bail};

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
    // A file (bind mount of one file) is served from its directory, confined to
    // its name; anything else must be a directory.
    let is_dir = std::fs::metadata(&args.root)
        .with_context(|| format!("root {}", args.root.display()))?
        .is_dir();
    if is_dir {
        let root = std::fs::File::open(&args.root)
            .with_context(|| format!("opening root {}", args.root.display()))?;
        install_filter()?;
        gofer::serve(root, args.readonly, conn).context("serving")?;
    } else {
        let (parent, name) = split_file(&args.root)?;
        let parent =
            std::fs::File::open(parent).with_context(|| format!("opening {}", parent.display()))?;
        install_filter()?;
        gofer::serve_file(parent, &name, args.readonly, conn).context("serving")?;
    }
    Ok(0)
}

/// Drops the capabilities serving does not need, then installs the filter.
fn install_filter() -> anyhow::Result<()> {
    crate::confine::caps::keep_only(crate::confine::caps::GOFER_CAPS)
        .context("dropping the gofer's capabilities")?;
    gofer::seccomp::install_filter().map_err(|e| anyhow::anyhow!("gofer seccomp filter: {e}"))
}

/// `/a/b/file` → (`/a/b`, `file`).
fn split_file(path: &Path) -> anyhow::Result<(&Path, CString)> {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        bail!("gofer root {} names no file", path.display());
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let name = CString::new(name.as_bytes()).context("a file name with NUL")?;
    Ok((parent, name))
}
