//! Sandbox-only: stress-ng's `vm-segv` stressor, whose children unmap their
//! whole address space (`munmap(0, TASK_SIZE_MAX)`) and must then die of
//! SIGSEGV, runs inside the sandbox; killing `runsc do` (SIGKILL, which it
//! cannot handle) then ends the sandbox and every process it started,
//! whatever the stressor is doing.
//!
//! (Debian 12's stress-ng 0.15 makes each child `PTRACE_TRACEME` and stop
//! itself for its parent to trace; the sandbox has no ptrace, so a child stays
//! stopped until stress-ng's own two-minute SIGKILL. Hence a few seconds of
//! the stressor, then the kill, not a wait for its end.)

use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const STRESS_NG: &str = "/usr/bin/stress-ng";

/// Host pids whose parent is `pid`, and theirs, recursively.
fn descendants(pid: i32) -> Vec<i32> {
    let mut all = Vec::new();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            break;
        };
        for entry in dir.flatten() {
            let Some(child) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<i32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
                continue;
            };
            // The fields after the command name (which may hold spaces).
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<i32>().ok());
            if ppid == Some(parent) {
                all.push(child);
                frontier.push(child);
            }
        }
    }
    all
}

fn alive(pid: i32) -> bool {
    // A zombie is as good as gone: its parent has yet to reap it.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                != Some("Z")
        })
        .unwrap_or(false)
}

#[test]
fn vm_segv_stressor_runs_and_killing_runsc_do_ends_the_sandbox() {
    if !Path::new(STRESS_NG).is_file() {
        tests::skip::report("vm-segv: stress-ng is not installed (apt-get install stress-ng)");
        return;
    }
    let mut child = Command::new(tests::paths::runsc())
        .args(["do", "--", STRESS_NG, "--vm-segv", "1", "-t", "30s"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start runsc do");
    let pid = child.id() as i32;

    // Let the stressor fork and unmap for a while.
    sleep(Duration::from_secs(4));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "runsc do ended before it was told to"
    );
    let started = descendants(pid);
    assert!(!started.is_empty(), "runsc do started no sandbox");

    kill(Pid::from_raw(pid), Signal::SIGKILL).expect("SIGKILL to runsc do");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        sleep(Duration::from_millis(100));
    };
    if status.is_none() {
        for p in descendants(pid).into_iter().chain([pid]) {
            let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
        }
        let _ = child.wait();
        panic!("runsc do did not end within 20 s of SIGKILL");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left: Vec<i32> = started.iter().copied().filter(|&p| alive(p)).collect();
        if left.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            for &p in &left {
                let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
            }
            panic!("processes of the sandbox outlived it: {left:?}");
        }
        sleep(Duration::from_millis(100));
    }
}
