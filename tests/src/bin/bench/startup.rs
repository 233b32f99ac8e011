//! `bench startup [--runs N]`: the wall time of a whole container run of a
//! static `true` (create + start + wait + delete) with `runc run`, gVisor's
//! `runsc run` and ours, on one bundle; native is fork+exec of the binary.
//! The median of N runs (at least 10) per runtime, the runtimes taking turns.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::runners::{GVISOR, GVISOR_NAME, Measured, NATIVE, OURS, median};
use crate::workload::Workload;
use tests::compile::{Variant, compile_file};
use tests::paths::{bench_c_dir, ctests_dir, find_runsc};

/// Makes the command of one run, given a fresh container id.
type MakeRun<'a> = Box<dyn Fn(&str) -> Command + 'a>;

const RUNC: &str = "/usr/sbin/runc";
const MIN_RUNS: u32 = 10;

pub fn main(args: &[String]) -> Result<(), String> {
    let runs = match args {
        [] => MIN_RUNS,
        [flag, n] if flag == "--runs" => n
            .parse::<u32>()
            .map_err(|e| format!("--runs {n:?}: {e}"))?
            .max(MIN_RUNS),
        _ => return Err("usage: bench startup [--runs N] (N >= 10)".into()),
    };
    let bin_dir = ctests_dir().join("bench");
    let program = bin_dir.join("true_static");
    compile_file(
        &bench_c_dir().join("true_static.c"),
        Variant::Static,
        &program,
    )?;
    let bundle = std::env::temp_dir().join(format!("bench-startup-{}", std::process::id()));
    let workload = Workload {
        program: program.clone(),
        args: Vec::new(),
        timeout: Duration::from_secs(60),
    };
    crate::runc::make_bundle(&bundle, &workload)?;
    let state = bundle.join("state");
    let ours = find_runsc()?;
    let runtimes: [(&str, MakeRun); 4] = [
        (NATIVE, Box::new(|_| Command::new(&program))),
        (
            "runc",
            Box::new(|id| run_cmd(Path::new(RUNC), &[], &state, &bundle, id)),
        ),
        (
            GVISOR_NAME,
            Box::new(|id| {
                run_cmd(
                    Path::new(GVISOR),
                    &["--network=none", "--platform=ptrace"],
                    &state,
                    &bundle,
                    id,
                )
            }),
        ),
        (
            OURS,
            Box::new(|id| run_cmd(&ours, &[], &state, &bundle, id)),
        ),
    ];
    println!(
        "startup: a whole container run of a static `true` (create, start, wait, delete); \
         median of {runs} runs, the runtimes taking turns"
    );
    println!("load average at start: {}", crate::load_average());
    let mut times: Vec<Vec<Measured>> = runtimes.iter().map(|_| Vec::new()).collect();
    for i in 0..runs {
        for ((name, cmd), t) in runtimes.iter().zip(&mut times) {
            eprintln!("running startup ({}/{runs}): {name}", i + 1);
            t.push(time(cmd(&format!(
                "bench-startup-{}-{i}",
                std::process::id()
            ))));
        }
    }
    let _ = std::fs::remove_dir_all(&bundle);
    let results: Vec<(&str, Measured)> = runtimes
        .iter()
        .zip(times)
        .map(|((name, _), t)| (*name, median(t)))
        .collect();
    let runc = results
        .iter()
        .find(|(n, _)| *n == "runc")
        .and_then(|(_, r)| r.clone().ok());
    println!("{:<16} {:>12} {:>10}", "runtime", "ms/run", "vs runc");
    for (name, r) in &results {
        match r {
            Ok(ns) => {
                let ratio = runc.map_or("-".to_string(), |base| format!("{:.2}x", ns / base));
                println!("{name:<16} {:>12.1} {ratio:>10}", ns / 1e6);
            }
            Err(e) => println!("{name:<16} {:>12} ({e})", "failed"),
        }
    }
    println!("load average at end: {}", crate::load_average());
    Ok(())
}

fn run_cmd(runtime: &Path, flags: &[&str], state: &Path, bundle: &Path, id: &str) -> Command {
    let mut cmd = Command::new(runtime);
    cmd.args(flags)
        .arg(format!("--root={}", state.display()))
        .args(["run", "--bundle"])
        .arg(bundle)
        .arg(id);
    cmd
}

/// Nanoseconds `cmd` took to exit 0.
fn time(mut cmd: Command) -> Measured {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let t0 = Instant::now();
    let out = cmd.output().map_err(|e| e.to_string())?;
    let elapsed = t0.elapsed();
    if !out.status.success() {
        return Err(format!(
            "{}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(elapsed.as_nanos() as f64)
}
