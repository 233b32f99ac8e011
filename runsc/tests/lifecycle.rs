//! The OCI lifecycle as Docker and containerd drive it: create, start, state,
//! kill, delete, exec, ps, list and wait; the errors runc gives; and nothing
//! left behind.

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use support::{
    Bundle, alive, assert_fails_with, busybox_bundle, eventually, skipped_for_cgroups, text,
};

/// The host pids of a container's sandbox and gofers, from its record.
fn host_pids(b: &Bundle, id: &str) -> Vec<i64> {
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.root.join(id).join("state.json")).unwrap())
            .unwrap();
    let mut pids = vec![record["sandbox"]["pid"].as_i64().unwrap()];
    for g in record["gofers"].as_array().unwrap() {
        pids.push(g["pid"].as_i64().unwrap());
    }
    pids
}

fn status_of(b: &Bundle, id: &str) -> String {
    b.state(id)["status"].as_str().unwrap().to_string()
}

#[test]
fn create_start_kill_delete() {
    let Some(b) = busybox_bundle(
        "lc-basic",
        &[
            "sh",
            "-c",
            "echo started as $(id -u) in $(pwd); exec sleep 1000",
        ],
    ) else {
        return;
    };
    let out = b.dir.join("out");
    let pid_file = b.dir.join("pid");
    let created = b.create("c1", &out, &["--pid-file", pid_file.to_str().unwrap()]);
    assert!(
        created.status.success(),
        "create: {}",
        text(&created.stderr)
    );

    let state = b.state("c1");
    assert_eq!(state["status"], "created");
    assert_eq!(state["id"], "c1");
    assert_eq!(state["bundle"], b.dir.to_str().unwrap());
    assert_eq!(state["annotations"]["org.test"], "yes");
    let pid = state["pid"].as_i64().unwrap();
    assert!(alive(pid), "the sandbox runs once created");
    assert_eq!(std::fs::read_to_string(&pid_file).unwrap(), pid.to_string());
    // Nothing runs before start.
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "");

    let started = b.rs(&["start", "c1"]);
    assert!(started.status.success(), "start: {}", text(&started.stderr));
    assert_eq!(status_of(&b, "c1"), "running");
    eventually("the container's output", || {
        std::fs::read_to_string(&out).unwrap() == "started as 0 in /\n"
    });
    assert_fails_with(&b.rs(&["start", "c1"]), "already running");
    assert_fails_with(&b.rs(&["delete", "c1"]), "that is not stopped: running");

    let list = b.rs(&["list", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(list[0]["id"], "c1");
    assert_eq!(list[0]["status"], "running");
    let quiet = b.rs(&["list", "-q"]);
    assert_eq!(text(&quiet.stdout), "c1\n");

    let pids = host_pids(&b, "c1");
    assert!(b.rs(&["kill", "c1", "KILL"]).status.success());
    eventually("the container stops", || status_of(&b, "c1") == "stopped");
    assert_eq!(b.state("c1")["pid"], 0);
    assert_fails_with(&b.rs(&["kill", "c1", "TERM"]), "container not running");
    assert_fails_with(&b.rs(&["start", "c1"]), "has stopped");

    let waited = b.rs(&["wait", "c1"]);
    let waited: serde_json::Value = serde_json::from_slice(&waited.stdout).unwrap();
    assert_eq!(waited["exitStatus"], 137);

    assert!(b.rs(&["delete", "c1"]).status.success());
    assert!(!b.root.join("c1").exists(), "delete removes the state");
    for p in pids {
        assert!(!alive(p), "process {p} of the container is gone");
    }
    assert_fails_with(&b.rs(&["state", "c1"]), "does not exist");
    assert_fails_with(&b.rs(&["delete", "c1"]), "does not exist");
    assert!(b.rs(&["delete", "--force", "c1"]).status.success());
}

#[test]
fn kill_by_name_number_and_default_signal() {
    let Some(b) = busybox_bundle(
        "lc-signals",
        &[
            "sh",
            "-c",
            "trap 'echo got USR1' USR1; trap 'echo got TERM; exit 3' TERM; echo ready; while true; do sleep 0.05; done",
        ],
    ) else {
        return;
    };
    let out = b.dir.join("out");
    assert!(b.create("s1", &out, &[]).status.success());
    assert!(b.rs(&["start", "s1"]).status.success());
    eventually("the traps are set", || {
        std::fs::read_to_string(&out).unwrap().contains("ready")
    });
    assert_fails_with(&b.rs(&["kill", "s1", "SIGNOPE"]), "invalid signal");
    assert_fails_with(&b.rs(&["kill", "s1", "99"]), "invalid signal");
    assert!(b.rs(&["kill", "s1", "10"]).status.success());
    eventually("USR1 arrives", || {
        std::fs::read_to_string(&out).unwrap().contains("got USR1")
    });
    // No signal named: SIGTERM, as runc.
    assert!(b.rs(&["kill", "s1"]).status.success());
    eventually("the container stops", || status_of(&b, "s1") == "stopped");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "ready\ngot USR1\ngot TERM\n"
    );
    let waited = b.rs(&["wait", "s1"]);
    assert_eq!(text(&waited.stdout).trim(), r#"{"exitStatus":3,"id":"s1"}"#);
    assert!(b.rs(&["delete", "s1"]).status.success());
}

#[test]
fn a_created_container_can_be_killed_or_deleted() {
    let Some(b) = busybox_bundle("lc-created", &["echo", "never"]) else {
        return;
    };
    let out = b.dir.join("out");
    assert!(b.create("k1", &out, &[]).status.success());
    assert!(b.rs(&["kill", "k1", "KILL"]).status.success());
    eventually("the container stops", || status_of(&b, "k1") == "stopped");
    let waited = b.rs(&["wait", "k1"]);
    assert!(text(&waited.stdout).contains(r#""exitStatus":137"#));
    assert!(b.rs(&["delete", "k1"]).status.success());

    // As runc, a created container is deleted without --force.
    assert!(b.create("k2", &out, &[]).status.success());
    let pids = host_pids(&b, "k2");
    assert!(b.rs(&["delete", "k2"]).status.success());
    for p in pids {
        assert!(!alive(p));
    }
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "");
}

#[test]
fn delete_force_kills_a_running_container() {
    let Some(b) = busybox_bundle("lc-force", &["sleep", "1000"]) else {
        return;
    };
    b.create_and_start("f1");
    let pids = host_pids(&b, "f1");
    assert!(b.rs(&["delete", "--force", "f1"]).status.success());
    for p in pids {
        assert!(!alive(p));
    }
    assert!(!b.root.join("f1").exists());
}

#[test]
fn a_killed_sandbox_shows_as_stopped() {
    let Some(b) = busybox_bundle("lc-crash", &["sleep", "1000"]) else {
        return;
    };
    b.create_and_start("x1");
    let pids = host_pids(&b, "x1");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pids[0] as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    eventually("the state says stopped", || {
        status_of(&b, "x1") == "stopped"
    });
    let list = b.rs(&["list"]);
    let table = text(&list.stdout);
    assert!(table.starts_with("ID"), "{table}");
    assert!(table.contains("x1") && table.contains("stopped"), "{table}");
    // Its gofers end with it (their sockets close).
    eventually("the gofers end", || pids.iter().all(|&p| !alive(p)));
    assert_fails_with(&b.rs(&["wait", "x1"]), "without recording an exit status");
    assert!(b.rs(&["delete", "x1"]).status.success());
}

#[test]
fn failed_creates_leave_nothing_behind() {
    let Some(b) = busybox_bundle("lc-fail", &["/bin/no-such-program"]) else {
        return;
    };
    let out = b.dir.join("out");
    let created = b.create("e1", &out, &[]);
    assert_fails_with(
        &created,
        "stat /bin/no-such-program: no such file or directory",
    );
    assert!(
        !b.root.join("e1").exists(),
        "no state after a failed create"
    );

    std::fs::write(b.dir.join("config.json"), "{ not json").unwrap();
    assert_fails_with(&b.create("e2", &out, &[]), "config.json");
    assert!(!b.root.join("e2").exists());

    b.set_args(&["true"]);
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.dir.join("config.json")).unwrap()).unwrap();
    config["root"]["path"] = "missing-rootfs".into();
    b.write_config(config);
    assert_fails_with(&b.create("e3", &out, &[]), "rootfs");
    assert!(!b.root.join("e3").exists());

    b.set_args(&["true"]);
    // Not implemented, so refused rather than ignored.
    assert_fails_with(
        &b.create("e4", &out, &["--preserve-fds", "2"]),
        "--preserve-fds is not supported",
    );
    assert!(!b.root.join("e4").exists());
    assert!(b.create("dup", &out, &[]).status.success());
    assert_fails_with(&b.create("dup", &out, &[]), "container with id exists: dup");
    assert_eq!(
        status_of(&b, "dup"),
        "created",
        "the first one is untouched"
    );
    assert!(b.rs(&["delete", "dup"]).status.success());
    assert_fails_with(&b.rs(&["start", "nope"]), "container nope does not exist");
    assert_fails_with(&b.rs(&["state", "../x"]), "invalid container id");
}

#[test]
fn exec_runs_processes_with_their_own_stdio_and_status() {
    let Some(b) = busybox_bundle("lc-exec", &["sleep", "1000"]) else {
        return;
    };
    assert!(b.create("x", &b.dir.join("out"), &[]).status.success());
    assert_fails_with(&b.rs(&["exec", "x", "true"]), "has not started");
    assert!(b.rs(&["start", "x"]).status.success());

    let out = b.rs(&["exec", "x", "sh", "-c", "echo out; echo err >&2; exit 7"]);
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(text(&out.stdout), "out\n");
    assert_eq!(text(&out.stderr), "err\n");

    // The container's env and cwd, with the flags' changes.
    let out = b.rs(&[
        "exec",
        "--env",
        "FOO=bar",
        "--cwd",
        "/tmp",
        "--user",
        "1000:1001",
        "x",
        "sh",
        "-c",
        "echo $FOO $HOME $(pwd) $(id -u) $(id -g)",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "bar /root /tmp 1000 1001\n");

    // stdin reaches the process.
    let out = b.rs_with_input(&["exec", "x", "cat"], b"through stdin\n");
    assert_eq!(text(&out.stdout), "through stdin\n");

    // --process with an OCI process JSON.
    let process = b.dir.join("process.json");
    std::fs::write(
        &process,
        serde_json::to_vec(&serde_json::json!({
            "args": ["sh", "-c", "echo $X from process.json; exit 4"],
            "env": ["PATH=/bin", "X=hello"],
            "cwd": "/",
            "user": {"uid": 0, "gid": 0}
        }))
        .unwrap(),
    )
    .unwrap();
    let out = b.rs(&["exec", "--process", process.to_str().unwrap(), "x"]);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(text(&out.stdout), "hello from process.json\n");

    let out = b.rs(&["exec", "x", "/bin/nothing-here"]);
    assert_fails_with(&out, "no such file or directory");
    let out = b.rs(&["exec", "x", "nothing-here"]);
    assert_fails_with(
        &out,
        r#"exec: "nothing-here": executable file not found in $PATH"#,
    );
    let out = b.rs(&["exec", "x", "/etc"]);
    assert_fails_with(&out, "permission denied");

    // ps lists init and a running exec.
    let mut sleeper = b
        .runsc()
        .args(["exec", "x", "sleep", "1000"])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    eventually("ps shows the exec'd sleep", || {
        text(&b.rs(&["ps", "x"]).stdout).lines().count() == 3
    });
    let table = text(&b.rs(&["ps", "x"]).stdout);
    assert!(table.starts_with("UID"), "{table}");
    // JSON gives host pids, as runc: those of the container's cgroup, the
    // sandbox's among them.
    let sandbox = b.state("x")["pid"].as_i64().unwrap();
    let pids: Vec<i64> =
        serde_json::from_slice(&b.rs(&["ps", "--format", "json", "x"]).stdout).unwrap();
    assert!(pids.contains(&sandbox), "{pids:?} lacks {sandbox}");
    // The command name is the applet's link name, as on Linux.
    assert!(table.contains(" sleep\n"), "{table}");
    // A signal to the exec waiter reaches the process it stands for.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(sleeper.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = sleeper.wait().unwrap();
    assert_eq!(status.code(), Some(128 + 15));

    assert!(b.rs(&["delete", "--force", "x"]).status.success());
    assert_fails_with(&b.rs(&["exec", "x", "true"]), "does not exist");
}

#[test]
fn detached_exec_leaves_a_waiter_with_the_status() {
    let Some(b) = busybox_bundle("lc-exec-detach", &["sleep", "1000"]) else {
        return;
    };
    // The waiter is reparented to us, as to containerd's shim.
    nix::sys::prctl::set_child_subreaper(true).unwrap();
    b.create_and_start("d");
    let pid_file = b.dir.join("exec.pid");
    let out_file = b.dir.join("exec.out");
    let file = std::fs::File::create(&out_file).unwrap();
    let status = b
        .runsc()
        .args([
            "exec",
            "--detach",
            "--pid-file",
            pid_file.to_str().unwrap(),
            "d",
        ])
        .args(["sh", "-c", "sleep 0.2; echo detached; exit 5"])
        .stdin(Stdio::null())
        .stdout(file)
        .status()
        .unwrap();
    assert!(status.success());
    let waiter: i32 = std::fs::read_to_string(&pid_file).unwrap().parse().unwrap();
    let st = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(waiter), None).unwrap();
    assert_eq!(
        st,
        nix::sys::wait::WaitStatus::Exited(nix::unistd::Pid::from_raw(waiter), 5)
    );
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), "detached\n");
    assert!(b.rs(&["delete", "--force", "d"]).status.success());
}

#[test]
fn run_waits_and_detached_run_does_not() {
    let Some(b) = busybox_bundle("lc-run", &["sh", "-c", "echo hi; exit 9"]) else {
        return;
    };
    let out = b.rs(&["run", "--bundle", b.dir.to_str().unwrap(), "r1"]);
    assert_eq!(out.status.code(), Some(9));
    assert_eq!(text(&out.stdout), "hi\n");
    assert!(!b.root.join("r1").exists(), "run removes the container");

    b.set_args(&["sleep", "1000"]);
    let out = b
        .runsc()
        .args(["run", "--detach", "--bundle", b.dir.to_str().unwrap(), "r2"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(out.success());
    assert_eq!(status_of(&b, "r2"), "running");
    assert!(b.rs(&["delete", "--force", "r2"]).status.success());
}

#[test]
fn twenty_containers_at_once_leave_nothing_behind() {
    let Some(b) = busybox_bundle("lc-many", &["sh", "-c", "echo $HOSTNAME; sleep 1000"]) else {
        return;
    };
    let pids = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for i in 0..20 {
            let (b, pids) = (&b, &pids);
            s.spawn(move || {
                let id = format!("m{i}");
                let out = b.dir.join(format!("out{i}"));
                let created = b.create(&id, &out, &[]);
                assert!(created.status.success(), "{id}: {}", text(&created.stderr));
                pids.lock().unwrap().extend(host_pids(b, &id));
                assert!(b.rs(&["start", &id]).status.success());
                assert_eq!(status_of(b, &id), "running");
                let out = b.rs(&["delete", "--force", &id]);
                assert!(out.status.success(), "{id}: {}", text(&out.stderr));
            });
        }
    });
    let pids = pids.into_inner().unwrap();
    assert_eq!(pids.len(), 40, "a sandbox and a gofer each");
    for p in pids {
        assert!(!alive(p), "process {p} is gone");
    }
    let left: Vec<_> = std::fs::read_dir(&b.root).unwrap().flatten().collect();
    assert!(left.is_empty(), "state left: {left:?}");
    // No cgroup left either (their default place: /runsc/ID in each hierarchy).
    let mut hierarchies = vec![PathBuf::from("/sys/fs/cgroup")];
    hierarchies.extend(
        std::fs::read_dir("/sys/fs/cgroup")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path()),
    );
    for h in hierarchies {
        for i in 0..20 {
            let cg = h.join("runsc").join(format!("m{i}"));
            assert!(!cg.exists(), "cgroup left: {}", cg.display());
        }
    }
    assert!(Path::new(&b.root).exists());
}

#[test]
fn init_ignores_signals_it_has_no_handler_for() {
    // As the init of a PID namespace under runc: `docker stop` of a `sleep`
    // waits for its timeout and then kills.
    let Some(b) = busybox_bundle("lc-init-shield", &["sleep", "1000"]) else {
        return;
    };
    b.create_and_start("i1");
    for sig in ["TERM", "INT", "HUP", "USR1"] {
        assert!(b.rs(&["kill", "i1", sig]).status.success());
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(status_of(&b, "i1"), "running");
    assert!(b.rs(&["kill", "i1", "KILL"]).status.success());
    eventually("SIGKILL ends it", || status_of(&b, "i1") == "stopped");
    assert!(b.rs(&["delete", "i1"]).status.success());
}

#[test]
fn host_signals_to_the_sandbox_reach_the_container() {
    let Some(b) = busybox_bundle(
        "lc-forward",
        &[
            "sh",
            "-c",
            "trap 'echo got INT' INT; trap 'echo got TERM; exit 4' TERM; echo ready; while true; do sleep 0.05; done",
        ],
    ) else {
        return;
    };
    let out = b.dir.join("out");
    assert!(b.create("h1", &out, &[]).status.success());
    assert!(b.rs(&["start", "h1"]).status.success());
    eventually("the traps are set", || {
        std::fs::read_to_string(&out).unwrap().contains("ready")
    });
    let sandbox = nix::unistd::Pid::from_raw(b.state("h1")["pid"].as_i64().unwrap() as i32);
    nix::sys::signal::kill(sandbox, nix::sys::signal::Signal::SIGINT).unwrap();
    eventually("INT arrives", || {
        std::fs::read_to_string(&out).unwrap().contains("got INT")
    });
    nix::sys::signal::kill(sandbox, nix::sys::signal::Signal::SIGTERM).unwrap();
    eventually("the container stops", || status_of(&b, "h1") == "stopped");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "ready\ngot INT\ngot TERM\n"
    );
    assert!(text(&b.rs(&["wait", "h1"]).stdout).contains(r#""exitStatus":4"#));
    assert!(b.rs(&["delete", "h1"]).status.success());
}

/// A config with `hooks` added to the bundle's current one.
fn with_hooks(b: &Bundle, hooks: serde_json::Value) {
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.dir.join("config.json")).unwrap()).unwrap();
    config["hooks"] = hooks;
    b.write_config(config);
}

#[test]
fn hooks_run_at_their_points_with_the_state() {
    let Some(b) = busybox_bundle("lc-hooks", &["sleep", "1000"]) else {
        return;
    };
    let log = b.dir.join("hooks.log");
    // Each hook appends its name and the state's status and pid to the log.
    let hook = |name: &str| {
        serde_json::json!({
            "path": "/bin/sh",
            "args": ["sh", "-c", format!(
                "state=$(cat); s=$(echo \"$state\" | sed 's/.*\"status\":\"\\([a-z]*\\)\".*/\\1/'); echo {name} $s >> {}",
                log.display()
            )]
        })
    };
    with_hooks(
        &b,
        serde_json::json!({
            "prestart": [hook("prestart")],
            "createRuntime": [hook("createRuntime")],
            "createContainer": [hook("createContainer")],
            "startContainer": [hook("startContainer")],
            "poststart": [hook("poststart")],
            "poststop": [hook("poststop")]
        }),
    );
    b.create_and_start("h");
    assert!(b.rs(&["delete", "--force", "h"]).status.success());
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "prestart creating\ncreateRuntime creating\ncreateContainer creating\n\
         startContainer created\npoststart running\npoststop stopped\n"
    );

    // A failing hook fails the create, and nothing is left.
    with_hooks(
        &b,
        serde_json::json!({"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]}),
    );
    let out = b.create("hf", &b.dir.join("out"), &[]);
    assert_fails_with(&out, "createRuntime hook");
    assert!(!b.root.join("hf").exists());

    // A hook past its timeout is killed and fails the start.
    with_hooks(
        &b,
        serde_json::json!({"startContainer": [{"path": "/bin/sleep", "args": ["sleep", "10"], "timeout": 1}]}),
    );
    assert!(b.create("ht", &b.dir.join("out"), &[]).status.success());
    assert_fails_with(&b.rs(&["start", "ht"]), "startContainer hook");
    eventually("the container is stopped", || {
        status_of(&b, "ht") == "stopped"
    });
    assert!(b.rs(&["delete", "ht"]).status.success());
}

#[test]
fn pause_resume_and_events() {
    let Some(b) = busybox_bundle(
        "lc-pause",
        &["sh", "-c", "while true; do echo tick; sleep 0.05; done"],
    ) else {
        return;
    };
    let out = b.dir.join("out");
    assert!(b.create("p1", &out, &[]).status.success());
    assert_fails_with(&b.rs(&["pause", "p1"]), "only a running container");
    assert!(b.rs(&["start", "p1"]).status.success());
    eventually("it ticks", || {
        std::fs::read_to_string(&out).unwrap().contains("tick")
    });

    let paused = b.rs(&["pause", "p1"]);
    if !paused.status.success() && text(&paused.stderr).contains("no cgroup") {
        eprintln!(
            "SKIP: no cgroups here to freeze with: {}",
            text(&paused.stderr)
        );
        assert!(b.rs(&["delete", "--force", "p1"]).status.success());
        return;
    }
    assert!(paused.status.success(), "{}", text(&paused.stderr));
    assert_eq!(status_of(&b, "p1"), "paused");
    assert_fails_with(&b.rs(&["pause", "p1"]), "already paused");
    assert_fails_with(&b.rs(&["delete", "p1"]), "that is not stopped: paused");
    // Frozen: the output stops growing.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let frozen = std::fs::read_to_string(&out).unwrap().len();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(std::fs::read_to_string(&out).unwrap().len(), frozen);

    assert!(b.rs(&["resume", "p1"]).status.success());
    assert_eq!(status_of(&b, "p1"), "running");
    eventually("it ticks again", || {
        std::fs::read_to_string(&out).unwrap().len() > frozen
    });
    assert_fails_with(&b.rs(&["resume", "p1"]), "not paused");

    let ev = b.rs(&["events", "--stats", "p1"]);
    assert!(ev.status.success(), "{}", text(&ev.stderr));
    let ev: serde_json::Value = serde_json::from_slice(&ev.stdout).unwrap();
    assert_eq!(ev["type"], "stats");
    assert_eq!(ev["id"], "p1");
    assert!(ev["data"]["pids"]["current"].as_u64().unwrap() >= 2, "{ev}");
    assert!(
        ev["data"]["memory"]["usage"]["usage"].as_u64().unwrap() > 0,
        "{ev}"
    );

    // SIGKILL reaches a paused container (it is thawed to die).
    assert!(b.rs(&["pause", "p1"]).status.success());
    assert!(b.rs(&["kill", "p1", "KILL"]).status.success());
    eventually("it stops", || status_of(&b, "p1") == "stopped");
    assert!(b.rs(&["delete", "p1"]).status.success());
}

/// Receives the terminal master runsc sends to a console socket.
fn receive_master(listener: &std::os::unix::net::UnixListener) -> std::os::fd::OwnedFd {
    use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};
    use std::os::fd::{AsRawFd, FromRawFd};
    let (conn, _) = listener.accept().unwrap();
    let mut buf = [0u8; 256];
    let mut cmsg = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let mut iov = [std::io::IoSliceMut::new(&mut buf)];
    let msg = recvmsg::<()>(
        conn.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::empty(),
    )
    .unwrap();
    for c in msg.cmsgs().unwrap() {
        if let ControlMessageOwned::ScmRights(fds) = c {
            // SAFETY: the kernel just gave us this descriptor.
            return unsafe { std::os::fd::OwnedFd::from_raw_fd(fds[0]) };
        }
    }
    panic!("no descriptor on the console socket");
}

/// Reads from the terminal master (non-blocking) until `want` shows up.
fn read_until(master: &std::fs::File, want: &str) -> String {
    use std::io::Read;
    let mut seen = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut buf = [0u8; 1024];
    while !seen.contains(want) {
        assert!(
            std::time::Instant::now() < deadline,
            "no {want:?} in {seen:?}"
        );
        match (&*master).read(&mut buf) {
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Err(e) => panic!("reading the terminal: {e}; read so far: {seen:?}"),
        }
    }
    seen
}

#[test]
fn console_socket_terminal_takes_input_and_sends_its_signals() {
    let Some(b) = busybox_bundle("lc-console", &["true"]) else {
        return;
    };
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.dir.join("config.json")).unwrap()).unwrap();
    config["process"]["terminal"] = true.into();
    config["process"]["args"] = serde_json::json!([
        "sh",
        "-c",
        "trap 'echo got INT' INT; trap 'echo size $(stty size)' WINCH; \
         test -t 0 && echo ready; read line; echo read $line; \
         while true; do sleep 0.05; done"
    ]);
    b.write_config(config);
    let socket = b.dir.join("console.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    // Without a console socket a detached terminal is refused, as by runc.
    assert_fails_with(
        &b.create("t0", &b.dir.join("out"), &[]),
        "cannot allocate tty if runsc will detach without setting console socket",
    );
    let creator = std::thread::scope(|s| {
        let h = s.spawn(|| {
            b.create(
                "t1",
                &b.dir.join("out"),
                &["--console-socket", socket.to_str().unwrap()],
            )
        });
        let master = receive_master(&listener);
        (h.join().unwrap(), master)
    });
    let (created, master) = creator;
    assert!(created.status.success(), "{}", text(&created.stderr));
    let master = std::fs::File::from(master);
    nix::fcntl::fcntl(
        std::os::fd::AsRawFd::as_raw_fd(&master),
        nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
    )
    .unwrap();
    assert!(b.rs(&["start", "t1"]).status.success());
    read_until(&master, "ready\r\n");
    use std::io::Write;
    (&master).write_all(b"hello\n").unwrap();
    // The terminal echoes the line, then the shell reads it.
    read_until(&master, "read hello\r\n");
    // ^C: the host terminal's signal reaches the container's foreground group.
    (&master).write_all(b"\x03").unwrap();
    read_until(&master, "got INT\r\n");
    // A resize reaches it as SIGWINCH, and the new size is the terminal's.
    let ws = libc::winsize {
        ws_row: 33,
        ws_col: 99,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize from the pointer.
    let r = unsafe {
        libc::ioctl(
            std::os::fd::AsRawFd::as_raw_fd(&master),
            libc::TIOCSWINSZ,
            &ws,
        )
    };
    assert_eq!(r, 0);
    read_until(&master, "size 33 99\r\n");

    // `exec -t --detach` as containerd runs it: a terminal of its own, whose
    // ^C reaches the exec'd process through the waiter left behind.
    let socket2 = b.dir.join("console2.sock");
    let listener2 = std::os::unix::net::UnixListener::bind(&socket2).unwrap();
    let (execd, master2) = std::thread::scope(|s| {
        let h =
            s.spawn(|| {
                b.rs(&[
                "exec", "--tty", "--detach", "--console-socket", socket2.to_str().unwrap(),
                "--pid-file", b.dir.join("exec.pid").to_str().unwrap(), "t1", "sh", "-c",
                "trap 'echo exec got INT' INT; echo exec ready; while true; do sleep 0.05; done",
            ])
            });
        let master = receive_master(&listener2);
        (h.join().unwrap(), master)
    });
    assert!(execd.status.success(), "{}", text(&execd.stderr));
    let master2 = std::fs::File::from(master2);
    nix::fcntl::fcntl(
        std::os::fd::AsRawFd::as_raw_fd(&master2),
        nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
    )
    .unwrap();
    read_until(&master2, "exec ready\r\n");
    (&master2).write_all(b"\x03").unwrap();
    read_until(&master2, "exec got INT\r\n");
    assert!(b.rs(&["delete", "--force", "t1"]).status.success());
}

#[test]
fn update_changes_the_memory_and_pids_limits() {
    let Some(b) = busybox_bundle("lc-update", &["sleep", "1000"]) else {
        return;
    };
    b.create_and_start("up1");

    let mem = b.rs(&["update", "--memory", &(64u64 << 20).to_string(), "up1"]);
    if !mem.status.success() && text(&mem.stderr).contains("no cgroup") {
        eprintln!("SKIP: no cgroup here to update: {}", text(&mem.stderr));
    } else {
        assert!(mem.status.success(), "{}", text(&mem.stderr));
        // Its default place: /runsc/ID.
        let v1 = Path::new("/sys/fs/cgroup/memory/runsc/up1/memory.limit_in_bytes");
        let v2 = Path::new("/sys/fs/cgroup/runsc/up1/memory.max");
        let file = if v1.exists() { v1 } else { v2 };
        let limit = std::fs::read_to_string(file).unwrap();
        assert_eq!(limit.trim(), (64u64 << 20).to_string());
    }

    // The pids limit, as containerd sends it: OCI JSON on stdin. The
    // container has init (sleep) and sh; one more fits, the rest do not.
    let out = b.rs_with_input(
        &["update", "--resources", "-", "up1"],
        br#"{"pids": {"limit": 3}}"#,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let forks = ["sh", "-c", "for i in 1 2 3; do sleep 2 & done; wait"];
    let out = b.rs(&[&["exec", "up1"][..], &forks[..]].concat());
    assert!(
        text(&out.stderr).contains("can't fork"),
        "{}",
        text(&out.stderr)
    );

    assert!(
        b.rs(&["update", "--pids-limit", "-1", "up1"])
            .status
            .success()
    );
    let out = b.rs(&[&["exec", "up1"][..], &forks[..]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));

    assert_fails_with(
        &b.rs(&["update", "--resources", "/nonexistent", "up1"]),
        "reading the resources",
    );
    let bad = b.dir.join("bad.json");
    std::fs::write(&bad, "{\"pids\": 3}").unwrap();
    assert_fails_with(
        &b.rs(&["update", "--resources", bad.to_str().unwrap(), "up1"]),
        "not OCI linux.resources JSON",
    );

    assert!(b.rs(&["kill", "up1", "KILL"]).status.success());
    eventually("it stops", || status_of(&b, "up1") == "stopped");
    assert_fails_with(
        &b.rs(&["update", "--pids-limit", "5", "up1"]),
        "cannot be updated",
    );
    assert!(b.rs(&["delete", "up1"]).status.success());
    assert_fails_with(&b.rs(&["update", "--pids-limit", "5", "up1"]), "up1");
}

#[test]
fn events_report_oom_kills() {
    let Some(b) = busybox_bundle(
        "lc-oom",
        &[
            "busybox",
            "dd",
            "if=/dev/zero",
            "of=/dev/null",
            "bs=64M",
            "count=1",
        ],
    ) else {
        return;
    };
    // dd's 64 MiB buffer does not fit in 32 MiB.
    b.set_resources(serde_json::json!({"memory": {"limit": 32 << 20, "swap": 32 << 20}}));
    let created = b.create("oom1", &b.dir.join("out"), &[]);
    if skipped_for_cgroups(&created, "memory") {
        return;
    }
    assert!(created.status.success(), "{}", text(&created.stderr));
    let events = b
        .runsc()
        .args(["events", "--interval", "1", "oom1"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(b.rs(&["start", "oom1"]).status.success());
    eventually("it is killed", || status_of(&b, "oom1") == "stopped");
    // events ends with the container, having said why.
    let out = events.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines.contains(&serde_json::json!({"type": "oom", "id": "oom1"})),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l["type"] == "stats"), "{lines:?}");
    assert!(b.rs(&["delete", "oom1"]).status.success());
}
