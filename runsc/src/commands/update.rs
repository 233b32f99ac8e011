//! `runsc update [--resources FILE|-] [--memory N ...] ID`: new resource
//! limits for a container, as `docker update` and Kubernetes send them
//! (containerd's shim passes `--resources -` with the OCI JSON on stdin).
//! Memory, CPU and cpuset limits go to the container's host cgroup; the pids
//! limit to the sandbox, which counts the container's tasks itself, and (in
//! host tasks) to the host cgroup; the memory limit to the sandbox too, which
//! keeps below it (see boot).

use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};
use oci_spec::runtime::LinuxResources;

use crate::cgroups::Limits;
use crate::cli::GlobalFlags;
use crate::container::{ContainerDir, Status};
use crate::control::Request;
use crate::control::client::Client;

pub fn run(global: &GlobalFlags, args: liboci_cli::Update) -> anyhow::Result<i32> {
    let id = &args.container_id;
    let locked = ContainerDir::open(&global.root, id)?;
    let record = locked.load()?;
    match record.current_status() {
        Status::Created | Status::Running | Status::Paused => {}
        status => bail!("container {id} is {status}: it cannot be updated"),
    }
    // As runc: with --resources, the flags are ignored.
    let mut limits = match &args.resources {
        Some(path) => Limits::from_resources(&read_resources(path)?),
        None => from_flags(&args),
    };
    let pids = limits.pids_limit.take();
    if limits != Limits::default() {
        let cgroup = record
            .cgroup()?
            .with_context(|| format!("container {id} has no cgroup to update"))?;
        cgroup.update(&limits)?;
    }
    if let Some(n) = limits.memory_limit.filter(|&n| n > 0) {
        if record.current_status() == Status::Paused {
            // Its control thread is frozen: the cgroup's limit holds alone.
            tracing::warn!("container {id} is paused: the sandbox keeps its memory limit");
        } else {
            let client = Client::connect(&locked.dir.socket_path())?;
            client.call_ok(&Request::SetMemoryLimit {
                limit: Some(n as u64),
            })?;
        }
    }
    if let Some(n) = pids {
        if record.current_status() == Status::Paused {
            // Its control thread is frozen with the rest.
            bail!("container {id} is paused: resume it to change its pids limit");
        }
        let client = Client::connect(&locked.dir.socket_path())?;
        let limit = u64::try_from(n).ok().filter(|&n| n > 0);
        client.call_ok(&Request::SetPidsLimit { limit })?;
        // The host's own limit, as at create (`cgroups::host_pids_limit`),
        // where the cgroup has the controller.
        if let Ok(Some(cg)) = record.cgroup() {
            let host = Limits {
                pids_limit: Some(crate::cgroups::host_pids_limit(n)),
                ..Limits::default()
            };
            if let Err(e) = cg.update(&host) {
                tracing::warn!("update: the host cgroup's pids.max: {e:#}");
            }
        }
    }
    Ok(0)
}

/// The OCI `LinuxResources` JSON in `path` ("-": standard input).
fn read_resources(path: &Path) -> anyhow::Result<LinuxResources> {
    let text = if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading the resources from standard input")?;
        s
    } else {
        std::fs::read_to_string(path)
            .with_context(|| format!("reading the resources from {}", path.display()))?
    };
    serde_json::from_str(&text).context("the resources are not OCI linux.resources JSON")
}

fn from_flags(args: &liboci_cli::Update) -> Limits {
    let ignored = [
        ("--blkio-weight", args.blkio_weight.is_some()),
        ("--cpu-rt-period", args.cpu_rt_period.is_some()),
        ("--cpu-rt-runtime", args.cpu_rt_runtime.is_some()),
        ("--l3-cache-schema", args.l3_cache_schema.is_some()),
        ("--mem-bw-schema", args.mem_bw_schema.is_some()),
    ];
    for (flag, given) in ignored {
        if given {
            tracing::warn!("update: {flag} is not supported and was ignored");
        }
    }
    // 0 leaves a value as it is (as runc).
    let signed = |n: Option<u64>| {
        n.filter(|&n| n != 0)
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
    };
    let nonzero = |n: Option<u64>| n.filter(|&n| n != 0);
    Limits {
        memory_limit: signed(args.memory),
        memory_reservation: signed(args.memory_reservation),
        memory_swap: args.memory_swap.filter(|&n| n != 0),
        cpu_shares: nonzero(args.cpu_share),
        cpu_quota: signed(args.cpu_quota),
        cpu_period: nonzero(args.cpu_period),
        cpuset_cpus: args.cpuset_cpus.clone(),
        cpuset_mems: args.cpuset_mems.clone(),
        pids_limit: args.pids_limit.filter(|&n| n != 0),
    }
}
