//! `runsc events [--stats] [--interval N] ID`: the container's resource use
//! from its cgroup, as runc prints it (`{"type":"stats","id":..,"data":..}`):
//! once with `--stats`, else every interval until the container stops, with
//! `{"type":"oom","id":..}` whenever the OOM killer kills one of its processes:
//! the host's (the cgroup's count) or the sandbox's (which kills a process
//! whose memory would pass the container's limit; asked over the control
//! socket, and read from the exit-status file once the sandbox ended).

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;

use crate::cgroups::{Cgroup, StatsEvent};
use crate::cli::GlobalFlags;
use crate::container::{ContainerDir, Status};
use crate::control::client::Client;
use crate::control::{Request, Response};

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
    let mut ooms = Ooms::new(&cgroup, sandbox_oom_kills(global, id));
    let mut next_stats = Instant::now();
    loop {
        // The count first: a container the OOM killer ended is stopped by
        // the time its status says so.
        ooms.report(id, &cgroup, sandbox_oom_kills(global, id));
        if stopped_now(global, id)? {
            ooms.report(id, &cgroup, sandbox_oom_kills(global, id));
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

/// The processes the sandbox killed for want of memory: from the sandbox
/// while it runs, from what it recorded once it ended.
fn sandbox_oom_kills(global: &GlobalFlags, id: &str) -> Option<u64> {
    let locked = ContainerDir::open(&global.root, id).ok()?;
    if let Some(n) = locked.recorded_oom_kills() {
        return Some(n);
    }
    let client = Client::connect(&locked.dir.socket_path()).ok()?;
    drop(locked);
    match client.call(&Request::OomKills, &[]).ok()? {
        Response::Count(n) => Some(n),
        _ => None,
    }
}

fn print_stats(id: &str, cgroup: &Cgroup) -> anyhow::Result<()> {
    let stats = cgroup.stats()?;
    println!("{}", serde_json::to_string(&StatsEvent::new(id, &stats))?);
    Ok(())
}

/// The OOM kills already reported: the host's and the sandbox's.
struct Ooms {
    host: u64,
    sandbox: u64,
}

impl Ooms {
    fn new(cgroup: &Cgroup, sandbox: Option<u64>) -> Ooms {
        Ooms {
            host: cgroup.oom_kills().ok().flatten().unwrap_or(0),
            sandbox: sandbox.unwrap_or(0),
        }
    }

    /// One `oom` event per kill since the last look.
    fn report(&mut self, id: &str, cgroup: &Cgroup, sandbox: Option<u64>) {
        let host = cgroup.oom_kills().ok().flatten().unwrap_or(self.host);
        let sandbox = sandbox.unwrap_or(self.sandbox);
        let new = host.saturating_sub(self.host) + sandbox.saturating_sub(self.sandbox);
        for _ in 0..new {
            println!("{}", json!({"type": "oom", "id": id}));
        }
        self.host = self.host.max(host);
        self.sandbox = self.sandbox.max(sandbox);
    }
}
