//! `runsc state ID`: the container's OCI state as JSON.

use crate::cli::GlobalFlags;
use crate::container::ContainerDir;

pub fn run(global: &GlobalFlags, args: liboci_cli::State) -> anyhow::Result<i32> {
    let locked = ContainerDir::open(&global.root, &args.container_id)?;
    let state = locked.load()?.oci_state();
    println!("{}", serde_json::to_string_pretty(&state)?);
    Ok(0)
}
