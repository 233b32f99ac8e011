//! `runsc wait ID`: wait for the container's process to exit; print
//! `{"id": ID, "exitStatus": N}` as gVisor does, and exit 0.

use std::time::Duration;

use anyhow::bail;

use crate::cli::{GlobalFlags, WaitArgs};
use crate::container::{ContainerDir, Status};

pub fn run(global: &GlobalFlags, args: WaitArgs) -> anyhow::Result<i32> {
    let sandbox = {
        let locked = ContainerDir::open(&global.root, &args.container_id)?;
        let record = locked.load()?;
        if record.current_status() == Status::Creating {
            bail!("container {} is still being created", args.container_id);
        }
        record.sandbox
    };
    // No lock while waiting: other commands (kill, delete) must go on.
    if let Some(s) = sandbox {
        while !s.wait_gone(Duration::from_secs(3600)) {}
    }
    let locked = ContainerDir::open(&global.root, &args.container_id)?;
    let Some(status) = locked.exit_status() else {
        bail!(
            "container {} ended without recording an exit status (its sandbox was killed)",
            args.container_id
        );
    };
    println!(
        "{}",
        serde_json::json!({"id": args.container_id, "exitStatus": status})
    );
    Ok(0)
}
