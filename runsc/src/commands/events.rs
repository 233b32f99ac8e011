//! `runsc events [--stats] [--interval N] ID`: the container's resource use
//! from its cgroup, as runc prints it (`{"type":"stats","id":..,"data":..}`):
//! once with `--stats`, else every interval until the container stops.

use std::time::Duration;

use anyhow::{Context, bail};

use crate::cgroups::StatsEvent;
use crate::cli::GlobalFlags;
use crate::container::{ContainerDir, Status};

pub fn run(global: &GlobalFlags, args: liboci_cli::Events) -> anyhow::Result<i32> {
    if args.interval == 0 {
        bail!("duration interval must be greater than 0");
    }
    loop {
        {
            let locked = ContainerDir::open(&global.root, &args.container_id)?;
            let record = locked.load()?;
            if record.current_status() == Status::Stopped {
                if args.stats {
                    bail!("container {} is stopped", args.container_id);
                }
                return Ok(0);
            }
            let cgroup = record
                .cgroup()?
                .with_context(|| format!("container {} has no cgroup", args.container_id))?;
            let stats = cgroup.stats()?;
            println!(
                "{}",
                serde_json::to_string(&StatsEvent::new(&args.container_id, &stats))?
            );
        }
        if args.stats {
            return Ok(0);
        }
        std::thread::sleep(Duration::from_secs(u64::from(args.interval)));
    }
}
