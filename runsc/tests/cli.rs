//! The runsc command line: flags, errors users see, bundles, and the generated
//! compatibility page.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// runsc with a state root of its own: tests run at once and must not see
/// each other's containers.
fn runsc() -> Command {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-state")
        .join(format!("{}-{n}", std::process::id()));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_runsc"));
    cmd.arg(format!("--root={}", root.display()));
    cmd
}

fn run(args: &[&str]) -> Output {
    runsc().args(args).output().expect("runsc runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory under the target dir, removed first if it exists.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn compatibility_page_is_up_to_date() {
    let out = run(&["syscalls", "--format=markdown"]);
    assert!(out.status.success());
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/compatibility.md");
    let committed = std::fs::read_to_string(&page).unwrap_or_default();
    assert!(
        committed == String::from_utf8_lossy(&out.stdout),
        "docs/compatibility.md is out of date: run `cargo run --bin runsc -- syscalls --format=markdown > docs/compatibility.md`"
    );
}

#[test]
fn syscalls_json_lists_every_call_with_its_support() {
    let out = run(&["syscalls", "--format=json"]);
    assert!(out.status.success());
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let find = |name: &str| list.iter().find(|e| e["name"] == name).cloned().unwrap();
    assert_eq!(find("getpid")["support"], "full");
    assert_eq!(find("rseq")["support"], "unsupported");
    assert_eq!(find("rseq")["errno"], "ENOSYS");
    assert!(list.len() > 350, "every x86-64 syscall is listed");
}

#[test]
fn unavailable_platforms_and_networks_are_clear_errors() {
    for (flag, needle) in [
        ("--platform=kvm", "not available"),
        ("--network=sandbox", "not available"),
    ] {
        let out = run(&[flag, "do", "true"]);
        assert_eq!(out.status.code(), Some(1), "{flag}");
        assert!(stderr(&out).contains(needle), "{flag}: {}", stderr(&out));
    }
    // Unknown values are usage errors that list the known ones (as --help).
    for (flag, needle) in [
        ("--platform=bogus", "possible values: ptrace, kvm, systrap"),
        ("--network=bogus", "possible values: none, sandbox, host"),
    ] {
        let out = run(&[flag, "do", "true"]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert!(stderr(&out).contains(needle), "{flag}: {}", stderr(&out));
    }
    let help = run(&["--help"]);
    assert!(stderr(&help).is_empty() && help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("[possible values: ptrace, kvm, systrap]"),
        "{help}"
    );
    assert!(
        help.contains("[possible values: root:memory, none]"),
        "{help}"
    );

    let version = run(&["--version"]);
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(
        version.contains("\ncommit: ") && version.contains("\nspec: 1."),
        "{version}"
    );
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let out = run(&["--no-such-flag", "do", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--no-such-flag"));
}

#[test]
fn missing_executable_exits_127() {
    let out = run(&["do", "/no/such/program"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(
        stderr(&out).contains("/no/such/program"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn malformed_config_is_reported() {
    let dir = scratch("malformed");
    std::fs::write(dir.join("config.json"), "{ not json").unwrap();
    let out = run(&["run", "--bundle", dir.to_str().unwrap(), "c1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("config.json"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.join("config.json")).unwrap(),
        "{ not json",
        "input untouched"
    );
}

fn write_config(dir: &Path, args: &[&str], rootfs: &str) {
    let config = serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {
            "args": args,
            "cwd": "/",
            "env": ["PATH=/bin", "GREETING=hi"],
            "user": {"uid": 0, "gid": 0},
            "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024}]
        },
        "root": {"path": rootfs},
        "hostname": "sandbox-test"
    });
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_vec_pretty(&config).unwrap(),
    )
    .unwrap();
}

#[test]
fn missing_rootfs_is_reported() {
    let dir = scratch("norootfs");
    write_config(&dir, &["/bin/true"], "rootfs");
    let out = run(&["run", "--bundle", dir.to_str().unwrap(), "c2"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("rootfs"), "{}", stderr(&out));
}

#[test]
fn bad_container_id_is_refused() {
    let dir = scratch("badid");
    let out = run(&["run", "--bundle", dir.to_str().unwrap(), "../escape"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("invalid container id"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn run_bundle_uses_args_env_rlimits_and_hostname() {
    let busybox = Path::new("/bin/busybox");
    if !busybox.exists() {
        eprintln!("SKIP: /bin/busybox (Debian busybox-static) is not installed");
        return;
    }
    let dir = scratch("bundle");
    std::fs::create_dir_all(dir.join("rootfs/bin")).unwrap();
    std::fs::copy(busybox, dir.join("rootfs/bin/busybox")).unwrap();
    // Builtins only: sh cannot fork yet.
    let script = "echo $GREETING; ulimit -n; ulimit -Hn; exit 5";
    write_config(&dir, &["busybox", "sh", "-c", script], "rootfs");
    let out = run(&["run", "--bundle", dir.to_str().unwrap(), "c3"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hi\n512\n1024\n",
        "stderr: {}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(5));

    write_config(&dir, &["busybox", "uname", "-n"], "rootfs");
    let out = run(&["run", "--bundle", dir.to_str().unwrap(), "c4"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "sandbox-test\n",
        "stderr: {}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn overlay_changes_never_reach_the_host() {
    let busybox = Path::new("/bin/busybox");
    if !busybox.exists() {
        eprintln!("SKIP: /bin/busybox (Debian busybox-static) is not installed");
        return;
    }
    let dir = scratch("overlay-host");
    std::fs::write(dir.join("keep"), b"original").unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    let before = std::fs::read_dir(&dir).unwrap().count();
    // Each change in its own sandbox (the shell cannot fork yet): all must succeed
    // inside, and none may reach the host.
    let changes: [&[&str]; 5] = [
        &[
            "sh",
            "-c",
            "echo changed > keep && echo more >> keep && echo new > made",
        ],
        &["rm", "keep"],
        &["mv", "keep", "sub/moved"],
        &["mkdir", "newdir"],
        &["rmdir", "sub"],
    ];
    for args in changes {
        let out = runsc()
            .arg("do")
            .arg("/bin/busybox")
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(
            std::fs::read(dir.join("keep")).unwrap(),
            b"original",
            "{args:?} changed the host file"
        );
        assert!(
            !dir.join("made").exists() && !dir.join("newdir").exists() && dir.join("sub").is_dir()
        );
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), before);
    }

    // With the overlay off, the root is read-only.
    let out = runsc()
        .args([
            "--overlay2=none",
            "do",
            "/bin/busybox",
            "sh",
            "-c",
            "echo x > keep",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("Read-only file system"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(dir.join("keep")).unwrap(), b"original");
}

#[test]
fn bind_mounts_reach_the_host_directory_as_configured() {
    let busybox = Path::new("/bin/busybox");
    if !busybox.exists() {
        eprintln!("SKIP: /bin/busybox (Debian busybox-static) is not installed");
        return;
    }
    let dir = scratch("bind");
    std::fs::create_dir_all(dir.join("rootfs/bin")).unwrap();
    std::fs::copy(busybox, dir.join("rootfs/bin/busybox")).unwrap();
    let (rw, ro) = (dir.join("shared"), dir.join("readonly"));
    std::fs::create_dir_all(&rw).unwrap();
    std::fs::create_dir_all(&ro).unwrap();
    std::fs::write(ro.join("data"), b"from the host\n").unwrap();
    // Shell builtins only (no fork yet); reading is a second run.
    let script = "echo written > /mnt/rw/out; echo x > /mnt/ro/data; echo ro=$?; echo y > /scratch/f; echo tmp=$?";
    let config = serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {"args": ["/bin/busybox", "sh", "-c", script], "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}},
        "root": {"path": "rootfs"},
        "mounts": [
            {"destination": "/mnt/rw", "type": "bind", "source": rw, "options": ["rbind", "rw"]},
            {"destination": "/mnt/ro", "type": "none", "source": ro, "options": ["bind", "ro"]},
            {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}
        ]
    });
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_vec(&config).unwrap(),
    )
    .unwrap();
    let out = run(&["run", "--bundle", dir.to_str().unwrap(), "bind"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("ro=1") && stdout.contains("tmp=0"),
        "stdout: {stdout} stderr: {}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(rw.join("out")).unwrap(),
        b"written\n",
        "a read-write bind mount writes through"
    );
    assert_eq!(
        std::fs::read(ro.join("data")).unwrap(),
        b"from the host\n",
        "a read-only one does not"
    );
    assert!(stderr(&out).contains("Read-only file system"));

    let mut config = config;
    config["process"]["args"] =
        serde_json::json!(["/bin/busybox", "cat", "/mnt/ro/data", "/mnt/rw/out"]);
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_vec(&config).unwrap(),
    )
    .unwrap();
    let out = run(&["run", "--bundle", dir.to_str().unwrap(), "bind2"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "from the host\nwritten\n",
        "stderr: {}",
        stderr(&out)
    );
}

#[test]
fn bind_mounts_of_single_files_reach_only_that_file() {
    let busybox = Path::new("/bin/busybox");
    if !busybox.exists() {
        eprintln!("SKIP: /bin/busybox (Debian busybox-static) is not installed");
        return;
    }
    let dir = scratch("bind-file");
    std::fs::create_dir_all(dir.join("rootfs/bin")).unwrap();
    std::fs::create_dir_all(dir.join("rootfs/etc")).unwrap();
    std::fs::copy(busybox, dir.join("rootfs/bin/busybox")).unwrap();
    std::fs::write(dir.join("rootfs/etc/hosts"), b"image\n").unwrap();
    let host = dir.join("host");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("rw"), b"before\n").unwrap();
    std::fs::write(host.join("ro"), b"read only\n").unwrap();
    std::fs::write(host.join("hosts"), b"from the host\n").unwrap();
    std::fs::write(host.join("sibling"), b"secret\n").unwrap();
    // /etc/hosts exists in the image and is covered; /mnt/new/rw is made as an
    // empty file mount point (and its directory) first. Shell builtins only (no
    // fork yet, and `read` needs poll); reading is a second run.
    let script = "[ -f /mnt/new/rw ] && echo isfile; echo after >> /mnt/new/rw; \
                  echo x > /ro; echo ro=$?";
    let mut config = serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {"args": ["/bin/busybox", "sh", "-c", script], "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}},
        "root": {"path": "rootfs"},
        "mounts": [
            {"destination": "/etc/hosts", "type": "bind", "source": host.join("hosts"), "options": ["rbind", "rw"]},
            {"destination": "/mnt/new/rw", "type": "bind", "source": host.join("rw"), "options": ["rbind", "rw"]},
            {"destination": "/ro", "type": "none", "source": host.join("ro"), "options": ["bind", "ro"]}
        ]
    });
    let write_config = |config: &serde_json::Value| {
        std::fs::write(dir.join("config.json"), serde_json::to_vec(config).unwrap()).unwrap()
    };
    write_config(&config);
    let out = run(&["run", "--bundle", dir.to_str().unwrap(), "bind-file"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "isfile\nro=1\n",
        "stderr: {}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("Read-only file system"));
    assert_eq!(std::fs::read(host.join("rw")).unwrap(), b"before\nafter\n");
    assert_eq!(std::fs::read(host.join("ro")).unwrap(), b"read only\n");

    // A file mount point has no entries: `..` after it is ENOTDIR, as on Linux.
    config["process"]["args"] = serde_json::json!([
        "/bin/busybox",
        "cat",
        "/etc/hosts",
        "/ro",
        "/mnt/new/rw",
        "/mnt/new/rw/../sibling"
    ]);
    write_config(&config);
    let out = run(&["run", "--bundle", dir.to_str().unwrap(), "bind-file2"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "from the host\nread only\nbefore\nafter\n",
        "stderr: {}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("Not a directory"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(dir.join("rootfs/etc/hosts")).unwrap(),
        b"image\n",
        "the image's file is covered, not changed"
    );
    assert!(
        dir.join("rootfs/mnt/new/rw").is_file(),
        "a bundle's missing mount points are made in its rootfs, as runc makes them"
    );
}

/// /dev/console exists only when the container has a terminal, and then is the
/// terminal stdio is on, /dev/pts/0 (136:0, as runc bind-mounts the pty).
#[test]
fn dev_console_is_the_terminal_when_there_is_one() {
    let busybox = Path::new("/bin/busybox");
    if !busybox.exists() {
        eprintln!("SKIP: /bin/busybox (Debian busybox-static) is not installed");
        return;
    }
    // Without a terminal (stdin is /dev/null here) there is no console.
    let out = run(&["do", "/bin/busybox", "stat", "-c", "%F", "/dev/console"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("No such file or directory"),
        "{}",
        stderr(&out)
    );

    // Under a pseudo-terminal (util-linux `script`), it is that terminal.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIP: script (util-linux) is not installed");
        return;
    }
    let runsc = env!("CARGO_BIN_EXE_runsc");
    let under_pty = |cmd: &str| {
        let out = Command::new("script")
            .args(["-qec", &format!("{runsc} do {cmd}"), "/dev/null"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{cmd}: {}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).replace('\r', "")
    };
    assert_eq!(
        under_pty("/bin/busybox stat -c '%F %t:%T' /dev/console"),
        "character special file 88:0\n"
    );
    assert_eq!(under_pty("/bin/busybox tty"), "/dev/pts/0\n");
    assert_eq!(
        under_pty("/bin/busybox sh -c 'echo via-console > /dev/console; echo rc=$?'"),
        "via-console\nrc=0\n"
    );
}

/// `process.terminal: true` makes /dev/console even when stdin is no terminal.
#[test]
fn spec_terminal_makes_dev_console() {
    let busybox = Path::new("/bin/busybox");
    if !busybox.exists() {
        eprintln!("SKIP: /bin/busybox (Debian busybox-static) is not installed");
        return;
    }
    let dir = scratch("terminal");
    std::fs::create_dir_all(dir.join("rootfs/bin")).unwrap();
    std::fs::create_dir_all(dir.join("rootfs/dev")).unwrap();
    std::fs::copy(busybox, dir.join("rootfs/bin/busybox")).unwrap();
    let config = serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {"terminal": true, "args": ["/bin/busybox", "stat", "-c", "%F %t:%T", "/dev/console"],
                    "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}},
        "root": {"path": "rootfs"}
    });
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_vec(&config).unwrap(),
    )
    .unwrap();
    let out = run(&["run", "--bundle", dir.to_str().unwrap(), "terminal"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "character special file 5:1\n",
        "stderr: {}",
        stderr(&out)
    );
}

#[test]
fn failures_are_logged_as_runc_logs_them_for_containerd() {
    let dir = scratch("json-log");
    let log = dir.join("log.json");
    let out = run(&[
        &format!("--log={}", log.display()),
        "--log-format=json",
        "create",
        "--bundle",
        dir.join("no-bundle").to_str().unwrap(),
        "c",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&log).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["level"], "error");
    assert!(
        last["msg"].as_str().unwrap().contains("config.json"),
        "{last}"
    );
    assert!(last["time"].as_str().unwrap().ends_with('Z'));
}
