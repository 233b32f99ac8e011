//! `runsc delete [--force] ID`: remove a container: its sandbox and gofers
//! (killed if they still run), its cgroup and its state.

use std::time::Duration;

use anyhow::bail;

use crate::cli::GlobalFlags;
use crate::container::{ContainerDir, Locked, Status};
use crate::hooks::{HookKind, run_hooks};

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

/// Kills whatever of the container still runs, runs its poststop hooks and
/// removes its cgroup and state.
pub fn destroy(locked: Locked) -> anyhow::Result<()> {
    let mut record = locked.load()?;
    let cgroup = record.cgroup().unwrap_or_else(|e| {
        tracing::warn!("container {}: its cgroup is gone ({e:#})", record.id);
        None
    });
    // Frozen processes die only once thawed.
    if let Some(cg) = &cgroup
        && record.status == Status::Paused
    {
        cg.thaw()?;
    }
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
    record.status = Status::Stopped;
    let state = record.oci_state();
    if let Err(e) = run_hooks(
        HookKind::Poststop,
        &record.hooks(HookKind::Poststop),
        &state,
    ) {
        // The spec makes these warnings: the container is removed anyway.
        tracing::warn!("{e:#}");
        eprintln!("runsc: warning: {e:#}");
    }
    if let Some(cg) = cgroup {
        cg.destroy()?;
    }
    locked.remove()
}
