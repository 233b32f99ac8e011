//! `runsc delete [--force] ID`: remove a container: its sandbox and gofers
//! (killed if they still run), its cgroup and its state.

use std::time::Duration;

use anyhow::bail;

use crate::cli::GlobalFlags;
use crate::container::{ContainerDir, Locked, Status};

pub fn run(global: &GlobalFlags, args: liboci_cli::Delete) -> anyhow::Result<i32> {
    let dir = ContainerDir::new(&global.root, &args.container_id)?;
    let locked = match ContainerDir::open(&global.root, &args.container_id) {
        Ok(l) => l,
        // As runc: forcing the removal of what is not there is no error.
        Err(_) if args.force && !dir.path.exists() => return Ok(0),
        Err(e) => return Err(e),
    };
    let record = match locked.load() {
        Ok(r) => r,
        Err(e) => {
            // A create that died half-way left a directory without a state.
            if !locked.dir.record_path().exists() {
                locked.remove()?;
                return Ok(0);
            }
            return Err(e);
        }
    };
    let status = record.current_status();
    if matches!(status, Status::Running | Status::Paused) && !args.force {
        bail!(
            "cannot delete container {} that is not stopped: {status}",
            args.container_id
        );
    }
    destroy(locked)?;
    Ok(0)
}

/// Kills whatever of the container still runs and removes its state.
pub fn destroy(locked: Locked) -> anyhow::Result<()> {
    let record = locked.load()?;
    let mut procs: Vec<_> = record.sandbox.into_iter().collect();
    procs.extend(record.gofers.iter().copied());
    for p in &procs {
        p.signal(nix::sys::signal::Signal::SIGKILL);
    }
    for p in &procs {
        if !p.wait_gone(Duration::from_secs(10)) {
            bail!("process {} of container {} does not die", p.pid, record.id);
        }
    }
    locked.remove()
}
