//! The command line:
//! `bench NAME [--iterations N | --iterations BENCH=N]... [--runs N]`.

use crate::benchmark::{self, Benchmark};
use std::fmt::Write;

/// Runs of each program under each runtime, by default.
pub const DEFAULT_RUNS: u32 = 3;

pub struct Options {
    pub benchmarks: Vec<&'static Benchmark>,
    /// Runs of each program under each runtime; the median is reported.
    pub runs: u32,
    /// Counts given on the command line, by benchmark name.
    counts: Vec<(&'static str, u64)>,
}

impl Options {
    /// The count to run `b` with: from the command line, else its default.
    pub fn count(&self, b: &Benchmark) -> u64 {
        self.counts
            .iter()
            .rev()
            .find(|(name, _)| *name == b.name)
            .map_or(b.default_count, |(_, n)| *n)
    }
}

pub fn usage() -> String {
    let mut s = String::from(
        "usage: bench NAME [--iterations N] [--iterations BENCH=N]... [--runs N]\n\
         \n\
           NAME           what --iterations counts (default)\n",
    );
    for b in benchmark::ALL {
        let _ = writeln!(s, "  {:<14} {} ({})", b.name, b.counts, b.default_count);
    }
    for (name, what) in benchmark::GROUPS {
        let _ = writeln!(s, "  {name:<14} {what}");
    }
    s.push_str(
        "  docker         `docker run --rm IMAGE true` through a private dockerd,\n\
         \x20                with runc and our runsc (--runs N, default 20)\n",
    );
    s.push_str(
        "\n--iterations N sets the count of a single benchmark; with a group,\n\
         name the benchmark: --iterations stat=5000 --iterations seq-read=2\n\
         --runs N runs every program N times under every runtime, the runtimes\n\
         taking turns, and reports the median run (default ",
    );
    let _ = write!(s, "{DEFAULT_RUNS})");
    s
}

pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let name = args.next().ok_or("which benchmark?")?;
    let benchmarks =
        benchmark::select(&name).ok_or_else(|| format!("unknown benchmark {name:?}"))?;
    let mut counts = Vec::new();
    let mut runs = DEFAULT_RUNS;
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
            None => (arg, None),
        };
        if flag != "--iterations" && flag != "--runs" {
            return Err(format!("unknown argument {flag:?}"));
        }
        let value = match inline {
            Some(v) => v,
            None => args.next().ok_or_else(|| format!("{flag} needs a value"))?,
        };
        if flag == "--iterations" {
            counts.push(iterations(&value, &benchmarks)?);
        } else {
            runs = value
                .parse()
                .map_err(|e| format!("--runs {value:?}: {e}"))?;
            if runs == 0 {
                return Err("--runs must be positive".to_string());
            }
        }
    }
    Ok(Options {
        benchmarks,
        runs,
        counts,
    })
}

/// `N` (for a single benchmark) or `BENCH=N` (for one of those selected).
fn iterations(value: &str, selected: &[&'static Benchmark]) -> Result<(&'static str, u64), String> {
    let (bench, n) = match value.split_once('=') {
        Some((name, n)) => {
            let b = benchmark::find(name)
                .ok_or_else(|| format!("--iterations {value:?}: unknown benchmark {name:?}"))?;
            if !selected.iter().any(|s| s.name == b.name) {
                return Err(format!("--iterations {value:?}: {name} is not being run"));
            }
            (b, n)
        }
        None => match selected {
            [b] => (*b, value),
            _ => {
                return Err(format!(
                    "--iterations {value:?} is ambiguous with several benchmarks; \
                     use --iterations BENCH=N"
                ));
            }
        },
    };
    let n: u64 = n
        .parse()
        .map_err(|e| format!("--iterations {value:?}: {e}"))?;
    if n == 0 {
        return Err("--iterations must be positive".to_string());
    }
    Ok((bench.name, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Options, String> {
        parse(s.split_whitespace().map(String::from))
    }

    fn count(o: &Options, name: &str) -> u64 {
        o.count(benchmark::find(name).unwrap())
    }

    #[test]
    fn single_benchmark_takes_a_plain_count() {
        let o = parse_str("getpid --iterations 7").unwrap();
        assert_eq!(o.benchmarks.len(), 1);
        assert_eq!(count(&o, "getpid"), 7);
        assert_eq!(o.runs, DEFAULT_RUNS);
        assert_eq!(parse_str("stat --runs 1").unwrap().runs, 1);
    }

    #[test]
    fn groups_take_named_counts() {
        let o = parse_str("files --iterations stat=5 --iterations=seq-read=2").unwrap();
        let names: Vec<_> = o.benchmarks.iter().map(|b| b.name).collect();
        assert_eq!(names, ["stat", "open-read", "seq-read", "create-unlink"]);
        assert_eq!(count(&o, "stat"), 5);
        assert_eq!(count(&o, "seq-read"), 2);
        assert_eq!(count(&o, "create-unlink"), 10_000);
        assert_eq!(parse_str("all").unwrap().benchmarks.len(), 12);
    }

    #[test]
    fn tmpfs_group() {
        let o = parse_str("tmpfs --iterations tmpfs-dd=2").unwrap();
        let names: Vec<_> = o.benchmarks.iter().map(|b| b.name).collect();
        assert_eq!(names, ["tmpfs-write", "tmpfs-dd"]);
        assert_eq!(count(&o, "tmpfs-dd"), 2);
        assert_eq!(count(&o, "tmpfs-write"), 4);
    }

    #[test]
    fn processes_group() {
        let o = parse_str("processes --iterations fork-exec=3").unwrap();
        let names: Vec<_> = o.benchmarks.iter().map(|b| b.name).collect();
        assert_eq!(
            names,
            [
                "fork-exit",
                "fork-exec",
                "thread",
                "pipe-pingpong",
                "futex-pingpong"
            ]
        );
        assert_eq!(count(&o, "fork-exec"), 3);
        assert_eq!(count(&o, "thread"), 10_000);
        assert!(parse_str("processes --iterations stat=3").is_err());
    }

    #[test]
    fn bad_arguments() {
        assert!(parse_str("files --iterations 5").is_err());
        assert!(parse_str("stat --iterations getpid=5").is_err());
        assert!(parse_str("stat --iterations 0").is_err());
        assert!(parse_str("stat --iterations").is_err());
        assert!(parse_str("stat --runs 0").is_err());
        assert!(parse_str("stat --fast").is_err());
        assert!(parse_str("nope").is_err());
        assert!(parse_str("").is_err());
    }
}
