//! `bench docker [--runs N]`: the wall time of `docker run --rm IMAGE true`
//! through a private dockerd (`tests::docker`), with runc, gVisor's runsc
//! (ptrace) and ours, the runtimes taking turns.
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
    if std::path::Path::new(crate::runners::GVISOR).is_file() {
        runtimes.insert(
            "gvisor".into(),
            json!({ "path": crate::runners::GVISOR, "runtimeArgs": ["--platform=ptrace", "--network=none"] }),
        );
    } else {
        println!("gVisor: not measured: {} missing", crate::runners::GVISOR);
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
    let names: Vec<&str> = ["runc", "gvisor", "runsc"]
        .into_iter()
        .filter(|n| *n == "runc" || runtimes.contains_key(*n))
        .collect();
    let args_for = |name: &str| {
        [
            "run".to_string(),
            "--rm".into(),
            "--network=none".into(),
            format!("--runtime={name}"),
            IMAGE.into(),
            "true".into(),
        ]
    };
    let mut working = Vec::new();
    for &name in &names {
        let args = args_for(name);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let warm_up = daemon.docker_with(&args, None, Duration::from_secs(60));
        if warm_up.code == Some(0) {
            working.push(name);
        } else {
            println!("{name:>6}: fails: {}", warm_up.stderr.trim());
        }
    }
    let mut times: Vec<Vec<f64>> = working.iter().map(|_| Vec::with_capacity(runs)).collect();
    for _ in 0..runs {
        for (name, t) in working.iter().zip(&mut times) {
            let args = args_for(name);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let r = daemon.docker_with(&args, None, Duration::from_secs(60));
            if r.code != Some(0) {
                return Err(format!("{name}: a run failed: {r}"));
            }
            t.push(r.took.as_secs_f64() * 1000.0);
        }
    }
    let median = |t: &mut Vec<f64>| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    };
    let runc = working
        .iter()
        .position(|n| *n == "runc")
        .map(|i| median(&mut times[i]));
    for (name, t) in working.iter().zip(&mut times) {
        let m = median(t);
        let ratio = runc.map_or("-".into(), |r| format!("{:.2}x runc", m / r));
        println!(
            "{name:>6}: median {m:.0} ms ({ratio}), min {:.0} ms, max {:.0} ms",
            t[0],
            t[t.len() - 1]
        );
    }
    println!("load average at end: {}", load_average());
    Ok(())
}
