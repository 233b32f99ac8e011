//! Fuzzing the sandbox with Debian's `trinity`, inside `runsc do` only.
//!
//! trinity runs as uid/gid 65534 (`setpriv`, inside the sandbox) for a fixed
//! number of syscalls from a fixed seed, in a memory cgroup that bounds the
//! whole sandbox (sentry, gofer, application), while a sampler watches the
//! sentry's peak RSS. The verdict: the sandbox ended on its own within the
//! time bound with trinity's own success, no sentry panic, abort or platform
//! failure, no OOM kill, and a sentry RSS under the stated bound.
//!
//! trinity is never started on the host: the only command run is
//! `runsc do -- setpriv ... trinity ...`.

use crate::memcg::MemCgroup;
use crate::paths::find_runsc;
use crate::run::{Output, run_command};
use crate::sandbox_watch::{Observed, Sampler};
use crate::skip::Skip;
use crate::status::Status;
use std::fmt::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub const TRINITY: &str = "/usr/bin/trinity";
pub const SETPRIV: &str = "/usr/bin/setpriv";

/// `nobody`/`nogroup`: trinity refuses to run as root without
/// `--dangerous`, so its running at all shows the identity took.
pub const FUZZ_ID: u32 = 65534;

const MIB: u64 = 1 << 20;

/// What to run and the bounds it must stay within.
#[derive(Clone, Debug)]
pub struct Config {
    /// `-N`: syscalls in total, over all children.
    pub syscalls: u64,
    /// `-s`: the random seed.
    pub seed: u64,
    /// `-C`: child processes issuing the calls.
    pub children: u32,
    /// The sandbox is killed (and the test fails) after this long.
    pub timeout: Duration,
    /// The memory cgroup's limit for the whole sandbox.
    pub memory_limit: u64,
    /// The largest peak of the sentry's own memory (`RssAnon` of `runsc
    /// boot`: heap and stacks) accepted. The memory-file pages it maps are
    /// the application's memory (file data, buffers), which the sandbox keeps
    /// below the cgroup's limit.
    pub sentry_rss_bound: u64,
}

impl Config {
    /// The run CI makes (see tests/README.md for the numbers behind it).
    pub fn ci() -> Config {
        Config {
            syscalls: 3_000,
            seed: 1,
            children: 2,
            timeout: Duration::from_secs(100),
            memory_limit: 2048 * MIB,
            sentry_rss_bound: 256 * MIB,
        }
    }

    /// `self` with `TRINITY_SYSCALLS`, `TRINITY_SEED`, `TRINITY_CHILDREN`
    /// and `TRINITY_TIMEOUT_SECS` from the environment, for longer runs.
    pub fn with_env_overrides(mut self) -> Result<Config, String> {
        fn var(name: &str) -> Result<Option<u64>, String> {
            match std::env::var(name) {
                Ok(v) => v.parse().map(Some).map_err(|e| format!("{name}={v}: {e}")),
                Err(_) => Ok(None),
            }
        }
        if let Some(n) = var("TRINITY_SYSCALLS")? {
            self.syscalls = n;
        }
        if let Some(n) = var("TRINITY_SEED")? {
            self.seed = n;
        }
        if let Some(n) = var("TRINITY_CHILDREN")? {
            self.children = u32::try_from(n).map_err(|e| format!("TRINITY_CHILDREN: {e}"))?;
        }
        if let Some(n) = var("TRINITY_TIMEOUT_SECS")? {
            self.timeout = Duration::from_secs(n);
        }
        Ok(self)
    }

    /// trinity's arguments. `-P UNIX`: trinity builds a cache of sockets
    /// of every domain before it starts and retries forever while the
    /// sandbox (no network) refuses most domains; one domain keeps socket
    /// calls in the mix and the start bounded. `-l off`: no log files.
    pub fn trinity_args(&self) -> Vec<String> {
        vec![
            "-q".into(),
            "-l".into(),
            "off".into(),
            "-P".into(),
            "UNIX".into(),
            format!("-N{}", self.syscalls),
            format!("-s{}", self.seed),
            format!("-C{}", self.children),
        ]
    }
}

/// How a run went.
#[derive(Debug)]
pub struct Run {
    pub config: Config,
    pub output: Output,
    pub elapsed: Duration,
    pub watch: Observed,
    /// The cgroup's peak: sentry, gofer and the application together.
    pub sandbox_peak: Option<u64>,
    pub oom_kills: Option<u64>,
}

/// Runs trinity in the sandbox, or says why it cannot run here.
pub fn run(config: &Config) -> Result<Run, Skip> {
    for tool in [TRINITY, SETPRIV] {
        if !Path::new(tool).is_file() {
            return Err(Skip(format!(
                "{tool} missing (apt-get install trinity util-linux)"
            )));
        }
    }
    let runsc = find_runsc().map_err(Skip)?;
    let name = format!("runsc-fuzz-{}", std::process::id());
    let cg = MemCgroup::create(&name, config.memory_limit)?;

    // The shell joins the cgroup and becomes runsc, so everything the
    // sandbox starts is inside the limit from its first instruction.
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(r#"echo $$ > "$0" && exec "$@""#)
        .arg(cg.procs_file())
        .arg(&runsc);
    if let Some(platform) = std::env::var_os("RUNSC_PLATFORM") {
        let mut flag = std::ffi::OsString::from("--platform=");
        flag.push(platform);
        cmd.arg(flag);
    }
    cmd.args(["do", "--", SETPRIV])
        .arg(format!("--reuid={FUZZ_ID}"))
        .arg(format!("--regid={FUZZ_ID}"))
        .args(["--clear-groups", TRINITY])
        .args(config.trinity_args());
    // runsc do passes its environment and cwd on; /tmp is the sandbox's
    // own (memory) overlay, writable for nobody.
    cmd.env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .current_dir("/tmp");

    let sampler = Sampler::start(&cg);
    let begin = Instant::now();
    let output = run_command(cmd, config.timeout);
    let elapsed = begin.elapsed();
    let watch = sampler.finish();
    // Not a skip: the tools are there, so failing to start is a failure.
    let output = output.unwrap_or_else(|e| panic!("cannot start the sandbox: {e}"));
    Ok(Run {
        config: config.clone(),
        output,
        elapsed,
        watch,
        sandbox_peak: cg.peak(),
        oom_kills: cg.oom_kills(),
    })
}

impl Run {
    /// Everything that went wrong; empty for a clean run.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let text = self.text();
        let c = &self.config;
        if self.output.timed_out {
            p.push(format!(
                "the sandbox did not end within {:?} and was killed; its processes \
                 shortly before (pid state wchan cmdline):\n{}",
                c.timeout, self.watch.processes
            ));
        }
        for (needle, what) in [
            ("panicked", "the sentry panicked"),
            ("the platform failed", "the platform failed"),
            (
                "memory allocation of",
                "the sentry aborted on a failed allocation",
            ),
        ] {
            if let Some(line) = text.lines().find(|l| l.contains(needle)) {
                p.push(format!("{what}: {line}"));
            }
        }
        match self.output.status {
            Status::Exited(0) => {}
            Status::Exited(code) if code > 128 => p.push(format!(
                "runsc exited with {code} (128 + signal {}): trinity or the sandbox \
                 was killed by that signal",
                code - 128
            )),
            status => p.push(format!("runsc {status}, not trinity's success (exit 0)")),
        }
        if !text.contains(&format!("Ran {} syscalls", c.syscalls))
            && !text.contains("Completed maximum number of operations")
        {
            p.push("trinity did not report completing its syscalls".into());
        }
        if let Some(n) = self.oom_kills.filter(|&n| n > 0) {
            p.push(format!(
                "the OOM killer killed {n} process(es) of the sandbox's {} MiB cgroup",
                c.memory_limit / MIB
            ));
        }
        if self.watch.samples == 0 {
            p.push("the sentry (runsc boot) was never seen: its RSS is unmeasured".into());
        } else if self.watch.sentry_own > c.sentry_rss_bound {
            p.push(format!(
                "the sentry's own memory peaked at {} MiB, over the bound {} MiB",
                self.watch.sentry_own / MIB,
                c.sentry_rss_bound / MIB
            ));
        }
        p
    }

    /// One paragraph with the parameters and measurements.
    pub fn summary(&self) -> String {
        let c = &self.config;
        let mut s = format!(
            "trinity -N{} -s{} -C{} as uid {FUZZ_ID} in runsc do: {} after {:.1}s \
             (bound {}s); sentry's own memory peak {} MiB (bound {} MiB; peak RSS \
             with the application's pages it maps {} MiB; {} samples); \
             sandbox cgroup peak {} (limit {} MiB); OOM kills {}",
            c.syscalls,
            c.seed,
            c.children,
            self.output.status,
            self.elapsed.as_secs_f64(),
            c.timeout.as_secs(),
            self.watch.sentry_own / MIB,
            c.sentry_rss_bound / MIB,
            self.watch.sentry_hwm / MIB,
            self.watch.samples,
            self.sandbox_peak
                .map_or("unknown".into(), |b| format!("{} MiB", b / MIB)),
            c.memory_limit / MIB,
            self.oom_kills.map_or("unknown".into(), |n| n.to_string()),
        );
        if let Some(last) = self.text().lines().rev().find(|l| l.contains("Ran ")) {
            let _ = write!(s, "; {}", last.trim());
        }
        s
    }

    /// The last lines of the output, without trinity's per-syscall
    /// "marking as inactive" notes.
    pub fn tail(&self, lines: usize) -> String {
        let text = self.text();
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.contains("marking as inactive"))
            .collect();
        kept[kept.len().saturating_sub(lines)..].join("\n")
    }

    fn text(&self) -> String {
        let mut t = String::from_utf8_lossy(&self.output.stdout).into_owned();
        t.push_str(&String::from_utf8_lossy(&self.output.stderr));
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(stdout: &str, status: Status, timed_out: bool, hwm: u64) -> Run {
        Run {
            config: Config::ci(),
            output: Output {
                command: "test".into(),
                stdout: stdout.as_bytes().to_vec(),
                stderr: Vec::new(),
                status,
                timed_out,
            },
            elapsed: Duration::from_secs(1),
            watch: Observed {
                sentry_hwm: hwm,
                sentry_own: hwm,
                samples: 10,
                processes: String::new(),
            },
            sandbox_peak: Some(100 * MIB),
            oom_kills: Some(0),
        }
    }

    const DONE: &str = "[main] Ran 3000 syscalls. Successes: 900  Failures: 2100\n";

    #[test]
    fn a_clean_run_passes() {
        let run = run_with(DONE, Status::Exited(0), false, 30 * MIB);
        assert_eq!(run.problems(), Vec::<String>::new());
    }

    #[test]
    fn each_failure_is_reported() {
        let abort = run_with(
            "memory allocation of 99 bytes failed\n",
            Status::Exited(159),
            false,
            30 * MIB,
        );
        let p = abort.problems();
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[0].contains("failed allocation"), "{p:?}");

        let panic = run_with(
            &format!("thread 'task-1' panicked at x.rs:1:1\n{DONE}"),
            Status::Exited(0),
            false,
            30 * MIB,
        );
        assert_eq!(panic.problems().len(), 1);

        let hang = run_with("", Status::Signaled(9), true, 30 * MIB);
        assert!(hang.problems()[0].contains("did not end"));

        let fat = run_with(DONE, Status::Exited(0), false, 300 * MIB);
        assert!(fat.problems()[0].contains("own memory peaked at 300 MiB"));

        let mut oom = run_with(DONE, Status::Exited(0), false, 30 * MIB);
        oom.oom_kills = Some(1);
        assert!(oom.problems()[0].contains("OOM killer"));
    }
}
