//! `runsc events [--stats] [--interval N] ID`: the container's resource use
//! from its cgroup, as runc prints it (`{"type":"stats","id":..,"data":..}`):
//! once with `--stats`, else every interval until the container stops, with
//! `{"type":"oom","id":..}` whenever the OOM killer kills one of its processes.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;

use crate::cgroups::{Cgroup, StatsEvent};
use crate::cli::GlobalFlags;
use crate::container::{ContainerDir, Status};

/// How often the OOM kill count is looked at between stats.
const OOM_POLL: Duration = Duration::from_millis(100);

pub fn run(global: &GlobalFlags, args: liboci_cli::Events) -> anyhow::Result<i32> {
    if args.interval == 0 {
        bail!("duration interval must be greater than 0");
    }
    let id = &args.container_id;
    let (stopped, cgroup) = load(global, id)?;
    if stopped && args.stats {
        bail!("container {id} is stopped");
    }
    if stopped {
        return Ok(0);
    }
    let cgroup = cgroup.with_context(|| format!("container {id} has no cgroup"))?;
    if args.stats {
        print_stats(id, &cgroup)?;
        return Ok(0);
    }
    let interval = Duration::from_secs(u64::from(args.interval));
    let mut ooms = Ooms::new(&cgroup);
    let mut next_stats = Instant::now();
    loop {
        // The count first: a container the OOM killer ended is stopped by
        // the time its status says so.
        ooms.report(id, &cgroup);
        if stopped_now(global, id)? {
            ooms.report(id, &cgroup);
            return Ok(0);
        }
        if Instant::now() >= next_stats {
            print_stats(id, &cgroup)?;
            next_stats += interval;
        }
        std::thread::sleep(OOM_POLL.min(next_stats.saturating_duration_since(Instant::now())));
    }
}

/// Whether the container is stopped, and its cgroup if it has one.
fn load(global: &GlobalFlags, id: &str) -> anyhow::Result<(bool, Option<Cgroup>)> {
    let record = ContainerDir::open(&global.root, id)?.load()?;
    Ok((record.current_status() == Status::Stopped, record.cgroup()?))
}

fn stopped_now(global: &GlobalFlags, id: &str) -> anyhow::Result<bool> {
    let record = ContainerDir::open(&global.root, id)?.load()?;
    Ok(record.current_status() == Status::Stopped)
}

fn print_stats(id: &str, cgroup: &Cgroup) -> anyhow::Result<()> {
    let stats = cgroup.stats()?;
    println!("{}", serde_json::to_string(&StatsEvent::new(id, &stats))?);
    Ok(())
}

/// The OOM kills already reported.
struct Ooms {
    seen: u64,
}

impl Ooms {
    fn new(cgroup: &Cgroup) -> Ooms {
        Ooms {
            seen: cgroup.oom_kills().ok().flatten().unwrap_or(0),
        }
    }

    /// One `oom` event per kill since the last look.
    fn report(&mut self, id: &str, cgroup: &Cgroup) {
        let Ok(Some(now)) = cgroup.oom_kills() else {
            return;
        };
        for _ in self.seen..now {
            println!("{}", json!({"type": "oom", "id": id}));
        }
        self.seen = self.seen.max(now);
    }
}
