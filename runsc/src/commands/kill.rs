//! `runsc kill [--all] ID [SIGNAL]`: signal the container's process (or all
//! of its processes) inside the sandbox.

use anyhow::bail;

use crate::cli::{GlobalFlags, KillArgs};
use crate::container::{ContainerDir, Status};
use crate::control::client::Client;
use crate::control::{Request, Target};

pub fn run(global: &GlobalFlags, args: KillArgs) -> anyhow::Result<i32> {
    let signo = crate::signals::parse(&args.signal)?;
    let locked = ContainerDir::open(&global.root, &args.container_id)?;
    let record = locked.load()?;
    match record.current_status() {
        Status::Created | Status::Running => {}
        Status::Paused => bail!("cannot signal a paused container: resume it first"),
        Status::Stopped | Status::Creating => bail!("container not running"),
    }
    let target = if args.all { Target::All } else { Target::Init };
    Client::connect(&locked.dir.socket_path())?.call_ok(&Request::Signal { target, signo })?;
    Ok(0)
}
