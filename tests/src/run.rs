//! Running a program natively or under `runsc do`, with a timeout.

use crate::paths::runsc;
use crate::status::Status;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::io::{self, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The whole environment of both runs: small and fixed, so that programs
/// printing their environment print the same thing everywhere.
pub const ENV: [(&str, &str); 2] = [("A", "1"), ("B", "two")];

/// Hangs fail the test instead of blocking CI.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// After the process exits, how long leftover processes may hold its pipes.
const DRAIN_GRACE: Duration = Duration::from_secs(5);

/// What a run produced.
#[derive(Clone, Debug)]
pub struct Output {
    /// The command line, for failure reports.
    pub command: String,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub status: Status,
    /// Killed by us after [`TIMEOUT`]; `status` is then that SIGKILL.
    pub timed_out: bool,
}

/// Extra `runsc` flags.
#[derive(Clone, Debug, Default)]
pub struct SandboxOptions {
    /// `--debug --debug-log=<path>`.
    pub debug_log: Option<PathBuf>,
}

/// Runs `prog args...` on the host.
pub fn run_native(prog: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(prog);
    cmd.args(args);
    run_fixed_env(cmd)
}

/// Runs `runsc do -- prog args...`.
pub fn run_sandboxed(prog: &Path, args: &[&str]) -> Output {
    run_sandboxed_with(&SandboxOptions::default(), prog, args)
}

/// Runs `runsc [flags] do -- prog args...`. `$RUNSC_PLATFORM`, if set,
/// selects `--platform` (it is read here, not passed to runsc's environment).
pub fn run_sandboxed_with(opts: &SandboxOptions, prog: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(runsc());
    if let Some(platform) = std::env::var_os("RUNSC_PLATFORM") {
        let mut flag = std::ffi::OsString::from("--platform=");
        flag.push(platform);
        cmd.arg(flag);
    }
    if let Some(log) = &opts.debug_log {
        let mut flag = std::ffi::OsString::from("--debug-log=");
        flag.push(log);
        cmd.arg("--debug").arg(flag);
    }
    cmd.args(["do", "--"]).arg(prog).args(args);
    run_fixed_env(cmd)
}

fn run_fixed_env(mut cmd: Command) -> Output {
    cmd.env_clear().envs(ENV);
    run_command(cmd, TIMEOUT).unwrap_or_else(|e| panic!("cannot run: {e}"))
}

/// Runs `cmd` with stdin from /dev/null and stdout/stderr captured through
/// pipes, in its own process group so a timeout kills everything it started.
pub fn run_command(mut cmd: Command, timeout: Duration) -> io::Result<Output> {
    let command = format!("{cmd:?}");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child =
        spawn(&mut cmd).map_err(|e| io::Error::new(e.kind(), format!("{command}: {e}")))?;
    let stdout = Drain::start(child.stdout.take());
    let stderr = Drain::start(child.stderr.take());
    let (status, timed_out) = wait_until(&mut child, Instant::now() + timeout)?;
    // Pipes still open after the exit mean leftover processes in the group.
    let drain_deadline = Instant::now() + DRAIN_GRACE;
    if !(stdout.wait(drain_deadline) && stderr.wait(drain_deadline)) {
        let _ = killpg(pid_of(&child), Signal::SIGKILL);
    }
    Ok(Output {
        command,
        stdout: stdout.take(),
        stderr: stderr.take(),
        status: Status::from_exit_status(status),
        timed_out,
    })
}

/// Spawns, retrying while the executable is busy: another thread of this
/// test process may be forking while it still holds a just-written script
/// open for writing (the fd lives in the child until it execs).
fn spawn(cmd: &mut Command) -> io::Result<Child> {
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            Err(e) if e.kind() == io::ErrorKind::ExecutableFileBusy && tries < 50 => {
                tries += 1;
                thread::sleep(Duration::from_millis(20));
            }
            result => return result,
        }
    }
}

fn wait_until(
    child: &mut Child,
    deadline: Instant,
) -> io::Result<(std::process::ExitStatus, bool)> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok((status, false));
        }
        if Instant::now() >= deadline {
            // Not yet reaped, so the group id cannot have been reused.
            let _ = killpg(pid_of(child), Signal::SIGKILL);
            return Ok((child.wait()?, true));
        }
        thread::sleep(Duration::from_millis(5));
    }
}

fn pid_of(child: &Child) -> Pid {
    Pid::from_raw(i32::try_from(child.id()).expect("pid fits i32"))
}

/// Reads a pipe to its end on a thread, keeping what arrived so far
/// available even if the end never comes.
struct Drain {
    buf: Arc<Mutex<Vec<u8>>>,
    done: Option<thread::JoinHandle<()>>,
}

impl Drain {
    fn start(pipe: Option<impl Read + Send + 'static>) -> Drain {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let done = pipe.map(|mut pipe| {
            let buf = Arc::clone(&buf);
            thread::spawn(move || {
                let mut chunk = [0u8; 8192];
                loop {
                    match pipe.read(&mut chunk) {
                        Ok(0) => break,
                        Ok(n) => buf.lock().unwrap().extend_from_slice(&chunk[..n]),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
            })
        });
        Drain { buf, done }
    }

    /// Whether the pipe reached its end before `deadline`.
    fn wait(&self, deadline: Instant) -> bool {
        let Some(handle) = &self.done else {
            return true;
        };
        while !handle.is_finished() {
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(5));
        }
        true
    }

    fn take(self) -> Vec<u8> {
        std::mem::take(&mut *self.buf.lock().unwrap())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_output_and_status() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
        let out = run_command(cmd, Duration::from_secs(10)).unwrap();
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
        assert_eq!(out.status, Status::Exited(3));
        assert!(!out.timed_out);
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        // The grandchild `sleep` holds stdout open; only killpg ends it.
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo started; sleep 100 & wait"]);
        let begin = Instant::now();
        let out = run_command(cmd, Duration::from_millis(500)).unwrap();
        assert!(out.timed_out);
        assert_eq!(out.status, Status::Signaled(9));
        assert_eq!(out.stdout, b"started\n");
        assert!(
            begin.elapsed() < Duration::from_secs(5),
            "took {:?}",
            begin.elapsed()
        );
    }
}
