//! Syscall overhead benchmark: `bench getpid [--iterations N]`.
//!
//! Builds `benches/c/getpid_loop.c` (static) and runs it natively, under
//! runc, under gVisor's runsc (ptrace platform) and under our runsc. The
//! program times its own loop, so start-up costs are not measured.

mod parse;
mod runc;
mod runners;
mod table;

use std::process::ExitCode;
use tests::compile::{Variant, compile_file};
use tests::paths::{bench_c_dir, ctests_dir};

const USAGE: &str = "usage: bench getpid [--iterations N]";
const DEFAULT_ITERATIONS: u64 = 100_000;

fn main() -> ExitCode {
    let iterations = match parse_args(std::env::args().skip(1)) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let src = bench_c_dir().join("getpid_loop.c");
    let prog = ctests_dir().join("bench").join("getpid_loop");
    if let Err(e) = compile_file(&src, Variant::Static, &prog) {
        eprintln!("cannot build the benchmark program: {e}");
        return ExitCode::FAILURE;
    }
    println!(
        "getpid: {iterations} x syscall(SYS_getpid), static binary {}",
        prog.display()
    );
    let results = runners::ALL
        .iter()
        .map(|r| {
            eprintln!("running: {}", r.name);
            (r.name, (r.run)(&prog, iterations))
        })
        .collect::<Vec<_>>();
    print!("{}", table::render(&results));
    ExitCode::SUCCESS
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<u64, String> {
    match args.next().as_deref() {
        Some("getpid") => {}
        Some(other) => return Err(format!("unknown benchmark {other:?}")),
        None => return Err("which benchmark?".to_string()),
    }
    let mut iterations = DEFAULT_ITERATIONS;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--iterations" => {
                let n = args.next().ok_or("--iterations needs a value")?;
                iterations = n.parse().map_err(|e| format!("--iterations {n:?}: {e}"))?;
                if iterations == 0 {
                    return Err("--iterations must be positive".to_string());
                }
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(iterations)
}
