//! `runsc run` in the foreground is the container for whoever started it, as
//! runc's: SIGTERM or SIGINT sent to it go to the container's first process,
//! and run waits for it, exits with its status and removes it, leaving
//! nothing running (`timeout 5 runsc run ...` used to orphan the container).
//! `run --detach` leaves the container and nothing else.

mod support;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use support::{Bundle, eventually, guarded_bundle, runsc_processes};

/// A first process that ends on SIGTERM and SIGINT (a container's init
/// ignores signals it has no handler for), with its own status for each.
const TRAPPING_INIT: &[&str] = &[
    "sh",
    "-c",
    "trap 'exit 143' TERM; trap 'exit 130' INT; echo ready; sleep 1000 & wait",
];

/// `run` of the bundle, once its first process has set its traps (it says
/// "ready").
fn start_run(b: &Bundle, id: &str) -> Child {
    let mut child = b
        .runsc()
        .args(["run", "--bundle", b.dir.to_str().unwrap(), id])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_ready(&mut child);
    child
}

/// Waits for `child`'s container to say "ready" on its stdout.
fn wait_for_ready(child: &mut Child) {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
        let _ = tx.send(line);
    });
    let said = rx.recv_timeout(Duration::from_secs(30));
    assert_eq!(
        said.as_deref(),
        Ok("ready\n"),
        "the container did not start"
    );
}

/// The exit code of `child`, which must end within `limit`.
fn exit_within(child: &mut Child, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        assert!(Instant::now() < deadline, "runsc run did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Neither a runsc process nor the state of container `id` is left.
fn nothing_left(b: &Bundle, id: &str) {
    eventually("no runsc process is left", || {
        runsc_processes(&b.root).is_empty()
    });
    assert!(!b.root.join(id).exists(), "the state of {id} is left");
}

fn signalled_run_ends_with_its_container(name: &str, sig: Signal, want: i32) {
    let Some((b, _leftovers)) = guarded_bundle(name, TRAPPING_INIT) else {
        return;
    };
    let mut run = start_run(&b, name);
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(run.id() as i32), sig).unwrap();
    let code = exit_within(&mut run, Duration::from_secs(10));
    assert_eq!(
        code,
        Some(want),
        "run's status after {sig}: the container's own (signal: killed itself)"
    );
    nothing_left(&b, name);
}

#[test]
fn sigterm_to_run_goes_to_the_container() {
    signalled_run_ends_with_its_container("run-sigterm", Signal::SIGTERM, 143);
}

#[test]
fn sigint_to_run_goes_to_the_container() {
    signalled_run_ends_with_its_container("run-sigint", Signal::SIGINT, 130);
}

#[test]
fn timeout_of_run_leaves_nothing_running() {
    let Some((b, _leftovers)) = guarded_bundle("run-timeout", TRAPPING_INIT) else {
        return;
    };
    let started = Instant::now();
    let out = std::process::Command::new("timeout")
        .arg("--preserve-status")
        .arg("3")
        .arg(env!("CARGO_BIN_EXE_runsc"))
        .arg(format!("--root={}", b.root.display()))
        .args(["run", "--bundle", b.dir.to_str().unwrap(), "run-timeout"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "run outlived its timeout"
    );
    assert_eq!(out.status.code(), Some(143), "{out:?}");
    nothing_left(&b, "run-timeout");
}

#[test]
fn detached_run_leaves_the_container_and_nothing_else() {
    let Some((b, _leftovers)) = guarded_bundle("run-detached", &["sleep", "1000"]) else {
        return;
    };
    let status = b
        .runsc()
        .args([
            "run",
            "--detach",
            "--bundle",
            b.dir.to_str().unwrap(),
            "run-detached",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    // The keeper, the sandbox (with its stub processes) and one gofer: no
    // second `run` waiting, no second sandbox.
    let left = runsc_processes(&b.root);
    let boots = left.iter().filter(|(_, a)| a.contains(&"boot".to_string()));
    let gofers = left
        .iter()
        .filter(|(_, a)| a.contains(&"gofer".to_string()));
    let keepers = left
        .iter()
        .filter(|(_, a)| a.contains(&"run".to_string()))
        .count();
    assert_eq!(gofers.count(), 1, "{left:?}");
    assert_eq!(keepers, 1, "only the keeper of the sandbox: {left:?}");
    assert!(boots.count() >= 1, "{left:?}");
    assert!(
        b.rs(&["delete", "--force", "run-detached"])
            .status
            .success()
    );
    nothing_left(&b, "run-detached");
}

#[test]
fn sigterm_to_do_goes_to_its_command() {
    let Some((b, _leftovers)) = guarded_bundle("do-sigterm", &["true"]) else {
        return;
    };
    let mut run = b
        .runsc()
        .args(["do", "/bin/sh", "-c", "echo ready; exec /bin/sleep 1000"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_ready(&mut run);
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(run.id() as i32), Signal::SIGTERM).unwrap();
    // sleep dies of it: the shell's status for a SIGTERM death.
    assert_eq!(exit_within(&mut run, Duration::from_secs(10)), Some(143));
    nothing_left(&b, "do");
}
