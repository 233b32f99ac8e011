//! `bench docker [--runs N]`: the wall time of `docker run --rm IMAGE true`
//! through a private dockerd (`tests::docker`), with runc and with our runsc.
//! This is the whole path a user waits for: client, dockerd, containerd, the
//! shim and the runtime's create/start/delete, with the container doing
//! nothing.

use std::time::Duration;

use serde_json::{Map, json};
use tests::docker::{Daemon, image};
use tests::paths::find_runsc;

use crate::load_average;

const IMAGE: &str = "local/busybox";
const DEFAULT_RUNS: usize = 20;

pub fn main(args: &[String]) -> Result<(), String> {
    let runs = match args {
        [] => DEFAULT_RUNS,
        [flag, n] if flag == "--runs" => n
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("--runs {n:?}: a positive count"))?,
        _ => return Err(format!("usage: bench docker [--runs N] (got {args:?})")),
    };
    let mut runtimes = Map::new();
    match find_runsc() {
        Ok(path) => {
            runtimes.insert("runsc".into(), json!({ "path": path }));
        }
        Err(e) => println!("ours (runsc): not measured: {e}"),
    }
    let mut config = Map::new();
    config.insert("runtimes".into(), runtimes.clone().into());
    let dir = std::env::temp_dir().join(format!("runsc-bench-docker-{}", std::process::id()));
    let daemon = Daemon::start(&dir, config).map_err(|e| format!("no dockerd: {e}"))?;
    image::import_busybox(&daemon, IMAGE)?;
    println!(
        "docker run --rm --network=none --runtime=R {IMAGE} true: wall time of the \
         client, {runs} runs after one warm-up, storage driver {}",
        daemon.storage_driver
    );
    println!("load average at start: {}", load_average());
    daemon.echo_commands(false);
    let ours = runtimes.contains_key("runsc").then_some("runsc");
    for name in std::iter::once("runc").chain(ours) {
        let runtime = format!("--runtime={name}");
        let args = ["run", "--rm", "--network=none", &runtime, IMAGE, "true"];
        let warm_up = daemon.docker_with(&args, None, Duration::from_secs(60));
        if warm_up.code != Some(0) {
            println!("{name:>6}: fails: {}", warm_up.stderr.trim());
            continue;
        }
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let r = daemon.docker_with(&args, None, Duration::from_secs(60));
            if r.code != Some(0) {
                return Err(format!("{name}: a run failed: {r}"));
            }
            times.push(r.took.as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{name:>6}: median {:.0} ms, min {:.0} ms, max {:.0} ms",
            times[times.len() / 2],
            times[0],
            times[times.len() - 1]
        );
    }
    println!("load average at end: {}", load_average());
    Ok(())
}
