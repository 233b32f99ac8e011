//! `runsc pause ID` / `runsc resume ID`: freeze and thaw every process of the
//! container (the sandbox, its stub processes and gofers) with its cgroup's
//! freezer, as runc does.

use anyhow::{Context, bail};

use crate::cli::GlobalFlags;
use crate::container::{ContainerDir, Status};

pub fn pause(global: &GlobalFlags, args: liboci_cli::Pause) -> anyhow::Result<i32> {
    set_frozen(global, &args.container_id, true)?;
    Ok(0)
}

pub fn resume(global: &GlobalFlags, args: liboci_cli::Resume) -> anyhow::Result<i32> {
    set_frozen(global, &args.container_id, false)?;
    Ok(0)
}

fn set_frozen(global: &GlobalFlags, id: &str, frozen: bool) -> anyhow::Result<()> {
    let locked = ContainerDir::open(&global.root, id)?;
    let mut record = locked.load()?;
    match (record.current_status(), frozen) {
        (Status::Running, true) | (Status::Paused, false) => {}
        (Status::Paused, true) => bail!("container {id} is already paused"),
        (Status::Running, false) => bail!("container {id} is not paused"),
        (status, _) => bail!("container {id} is {status}: only a running container can be paused"),
    }
    let cgroup = record
        .cgroup()?
        .with_context(|| format!("container {id} has no cgroup to freeze"))?;
    if frozen {
        cgroup.freeze()?;
        record.status = Status::Paused;
    } else {
        cgroup.thaw()?;
        record.status = Status::Running;
    }
    locked.save(&record)
}
