//! Benchmarks of native vs runc vs gVisor's runsc (ptrace) vs our runsc:
//! `bench getpid|stat|open-read|seq-read|create-unlink|files|fork-exit|
//! fork-exec|thread|pipe-pingpong|futex-pingpong|processes|all`,
//! `bench startup` (whole container runs; see `startup`) and
//! `bench docker [--runs N]` (`docker run --rm IMAGE true`, see `docker_bench`).
//!
//! Each benchmark is a static C program from `benches/c/` that times its
//! own loop, so start-up costs are not measured, and prints
//! `ns_per_call: X` last. The file benchmarks' data files are made by the
//! runner in the target directory and removed afterwards; see
//! `file_benches` for where each runtime finds them.

mod benchmark;
mod cli;
mod data_files;
mod docker_bench;
mod file_benches;
mod native_tmpfs;
mod parse;
mod process_benches;
mod runc;
mod runners;
mod startup;
mod table;
mod tempdir;
mod tmpfs_benches;
mod workload;

use benchmark::{Benchmark, Group};
use data_files::DataDir;
use runners::Measured;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tests::compile::{Variant, compile_file};
use tests::paths::{bench_c_dir, ctests_dir};
use workload::Workload;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "docker") {
        return match docker_bench::main(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench docker: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().is_some_and(|a| a == "startup") {
        return match startup::main(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench startup: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{}", cli::usage());
        return ExitCode::SUCCESS;
    }
    let options = match cli::parse(args.into_iter()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}\n{}", cli::usage());
            return ExitCode::from(2);
        }
    };
    let bin_dir = ctests_dir().join("bench");
    let mut programs = Vec::new();
    for b in &options.benchmarks {
        match build(b, &bin_dir) {
            Ok(p) => programs.push(p),
            Err(e) => {
                eprintln!("cannot build the benchmark program: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let data = match DataDir::create(&bin_dir) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("cannot make the data directory: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("binaries: static, in {}", bin_dir.display());
    println!(
        "times: each program runs {} time(s) under each runtime, the runtimes taking \
         turns; shown is the median run, each run reporting the median of its \
         rounds (benches/c/bench_util.h); ratios are of times: 2.00x is twice as slow",
        options.runs
    );
    println!("load average at start: {}", load_average());
    if options.benchmarks.iter().any(|b| b.group == Group::Files) {
        print!("{}", file_benches::placement_notes(&bin_dir));
    }
    if options.benchmarks.iter().any(|b| b.group == Group::Tmpfs) {
        print!("{}", tmpfs_benches::placement_notes());
    }

    let mut all = Vec::new();
    for (b, program) in options.benchmarks.iter().zip(programs) {
        let results = run(b, program, options.count(b), options.runs, &data);
        print!("{}", table::render(b.unit, b.throughput, &results));
        all.push((*b, results));
    }
    if all.len() > 1 {
        let rows: Vec<_> = all
            .iter()
            .map(|(b, results)| table::Row {
                bench: b.name,
                unit: b.unit,
                results,
            })
            .collect();
        println!("\nsummary (gVisor/ours above 1.00x: ours is ahead)");
        print!("{}", table::summary(&rows));
    }
    println!("load average at end: {}", load_average());
    ExitCode::SUCCESS
}

/// The 1, 5 and 15 minute load averages: other work on the machine shows
/// in the numbers, the sandboxes' (several processes each) most.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |e| format!("unknown ({e})"),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

fn build(b: &Benchmark, bin_dir: &Path) -> Result<PathBuf, String> {
    let src = bench_c_dir().join(format!("{}.c", b.program));
    let prog = bin_dir.join(b.program);
    compile_file(&src, Variant::Static, &prog)?;
    Ok(prog)
}

/// Prepares `b`, prints what it measures, runs it `runs` times under every
/// runtime (taking turns, so a burst of load does not hit one runtime
/// only), removes its files and gives each runtime's median run.
fn run(
    b: &Benchmark,
    program: PathBuf,
    count: u64,
    runs: u32,
    data: &DataDir,
) -> Vec<(&'static str, Measured)> {
    let setup = match (b.prepare)(data, count) {
        Ok(s) => s,
        Err(e) => {
            println!("\n{}: cannot prepare: {e}", b.name);
            return runners::ALL
                .iter()
                .map(|r| (r.name, Err(format!("not prepared: {e}"))))
                .collect();
        }
    };
    println!("\n{}", setup.description);
    let workload = Workload {
        program,
        args: setup.args,
        timeout: b.timeout(count),
    };
    let mut measured: Vec<Vec<Measured>> = runners::ALL.iter().map(|_| Vec::new()).collect();
    for i in 1..=runs {
        for (r, m) in runners::ALL.iter().zip(&mut measured) {
            eprintln!("running {} ({i}/{runs}): {}", b.name, r.name);
            m.push((r.run)(&workload));
        }
    }
    drop(setup.files);
    runners::ALL
        .iter()
        .zip(measured)
        .map(|(r, m)| (r.name, runners::median(m)))
        .collect()
}
