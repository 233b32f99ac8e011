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
    let pid = child.id();

    // Let the stressor fork and unmap for a while.
    sleep(Duration::from_secs(4));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "runsc do ended before it was told to"
    );
    let started = tests::procs::descendants(pid);
    assert!(!started.is_empty(), "runsc do started no sandbox");

    kill(Pid::from_raw(pid as i32), Signal::SIGKILL).expect("SIGKILL to runsc do");
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
        for p in tests::procs::descendants(pid).into_iter().chain([pid]) {
            let _ = kill(Pid::from_raw(p as i32), Signal::SIGKILL);
        }
        let _ = child.wait();
        panic!("runsc do did not end within 20 s of SIGKILL");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left: Vec<u32> = started
            .iter()
            .copied()
            .filter(|&p| tests::procs::alive(p))
            .collect();
        if left.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            for &p in &left {
                let _ = kill(Pid::from_raw(p as i32), Signal::SIGKILL);
            }
            panic!("processes of the sandbox outlived it: {left:?}");
        }
        sleep(Duration::from_millis(100));
    }
}
