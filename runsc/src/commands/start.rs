//! `runsc start ID`: run the process of a created container.

use anyhow::bail;

use crate::cli::GlobalFlags;
use crate::container::{ContainerDir, Status};
use crate::control::Request;
use crate::control::client::Client;

pub fn run(global: &GlobalFlags, args: liboci_cli::Start) -> anyhow::Result<i32> {
    start(global, &args.container_id)?;
    Ok(0)
}

pub fn start(global: &GlobalFlags, id: &str) -> anyhow::Result<()> {
    let locked = ContainerDir::open(&global.root, id)?;
    let mut record = locked.load()?;
    match record.current_status() {
        Status::Created => {}
        Status::Stopped => bail!("cannot start a container that has stopped"),
        Status::Running | Status::Paused => bail!("cannot start an already running container"),
        Status::Creating => bail!("cannot start a container that is still being created"),
    }
    Client::connect(&locked.dir.socket_path())?.call_ok(&Request::Start)?;
    record.status = Status::Running;
    locked.save(&record)
}
