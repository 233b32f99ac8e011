//! What the runsc integration tests share: a busybox bundle in a scratch
//! directory with a state root of its own, and runsc run on it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BUSYBOX: &str = "/bin/busybox";

/// A bundle whose rootfs holds busybox and its applet links, and a state
/// root for its containers.
pub struct Bundle {
    pub dir: PathBuf,
    pub root: PathBuf,
}

/// `None` (with a printed reason) when busybox is missing.
pub fn busybox_bundle(name: &str, args: &[&str]) -> Option<Bundle> {
    if !Path::new(BUSYBOX).exists() {
        eprintln!("SKIP: {BUSYBOX} (Debian busybox-static) is not installed");
        return None;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let rootfs = dir.join("rootfs");
    for d in ["bin", "proc", "dev", "tmp", "etc"] {
        std::fs::create_dir_all(rootfs.join(d)).unwrap();
    }
    std::fs::copy(BUSYBOX, rootfs.join("bin/busybox")).unwrap();
    for applet in [
        "sh", "echo", "cat", "sleep", "id", "pwd", "env", "true", "ls",
    ] {
        std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet)).unwrap();
    }
    let b = Bundle {
        root: dir.join("state"),
        dir,
    };
    b.set_args(args);
    Some(b)
}

impl Bundle {
    pub fn set_args(&self, args: &[&str]) {
        self.write_config(serde_json::json!({
            "ociVersion": "1.0.2",
            "root": {"path": "rootfs", "readonly": false},
            "process": {
                "args": args,
                "cwd": "/",
                "env": ["PATH=/bin", "HOME=/root"],
                "user": {"uid": 0, "gid": 0},
                "terminal": false
            },
            "hostname": "lifecycle",
            "annotations": {"org.test": "yes"}
        }));
    }

    /// The bundle's config.json, parsed.
    pub fn config(&self) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.dir.join("config.json")).unwrap()).unwrap()
    }

    /// Sets `linux.resources` of the config.
    pub fn set_resources(&self, resources: serde_json::Value) {
        let mut config = self.config();
        config["linux"]["resources"] = resources;
        self.write_config(config);
    }

    pub fn write_config(&self, config: serde_json::Value) {
        std::fs::write(
            self.dir.join("config.json"),
            serde_json::to_vec_pretty(&config).unwrap(),
        )
        .unwrap();
    }

    /// runsc with this bundle's state root.
    pub fn runsc(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_runsc"));
        cmd.arg(format!("--root={}", self.root.display()));
        cmd
    }

    /// Runs a runsc command to its end, with no stdin.
    pub fn rs(&self, args: &[&str]) -> Output {
        self.runsc()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("runsc runs")
    }

    /// runsc with `args` and `input` on its stdin; its output.
    pub fn rs_with_input(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .runsc()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runsc runs");
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    /// `create` with the container's stdout and stderr going to `out`.
    pub fn create(&self, id: &str, out: &Path, extra: &[&str]) -> Output {
        let file = std::fs::File::create(out).unwrap();
        self.runsc()
            .arg("create")
            .args(extra)
            .args(["--bundle", self.dir.to_str().unwrap(), id])
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .status()
            .map(|status| Output {
                status,
                stdout: Vec::new(),
                stderr: std::fs::read(out).unwrap_or_default(),
            })
            .expect("runsc runs")
    }

    /// `create` (output to `out` in the bundle) and `start`, which must work.
    pub fn create_and_start(&self, id: &str) {
        let created = self.create(id, &self.dir.join("out"), &[]);
        assert!(
            created.status.success(),
            "create {id}: {}",
            text(&created.stderr)
        );
        let started = self.rs(&["start", id]);
        assert!(
            started.status.success(),
            "start {id}: {}",
            text(&started.stderr)
        );
    }

    /// The container's OCI state, parsed.
    pub fn state(&self, id: &str) -> serde_json::Value {
        let out = self.rs(&["state", id]);
        assert!(out.status.success(), "state {id}: {}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("state is JSON")
    }
}

/// Whether a failed create or run says the host has no cgroup for the
/// limits asked for; prints the SKIP line then.
pub fn skipped_for_cgroups(out: &Output, what: &str) -> bool {
    let stderr = text(&out.stderr);
    let skip = !out.status.success() && stderr.contains("cgroup");
    if skip {
        eprintln!("SKIP: no {what} cgroup here: {stderr}");
    }
    skip
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Asserts that `out` failed with `needle` in its stderr.
pub fn assert_fails_with(out: &Output, needle: &str) {
    assert!(
        !out.status.success() && text(&out.stderr).contains(needle),
        "expected a failure saying {needle:?}; status {:?}, stderr: {}",
        out.status,
        text(&out.stderr)
    );
}

/// Whether host process `pid` still runs (a zombie does not).
pub fn alive(pid: i64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat[stat.rfind(')').unwrap() + 2..].chars().next();
            !matches!(state, Some('Z') | Some('X'))
        }
        Err(_) => false,
    }
}

/// Polls `cond` for up to ten seconds.
pub fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The live runsc processes working for state root `root` (each gets
/// `--root=ROOT`: the sandbox, its gofers, its keeper, exec waiters, and the
/// commands that started them), with their command lines.
pub fn runsc_processes(root: &Path) -> Vec<(i32, Vec<String>)> {
    let flag = format!("--root={}", root.display());
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if args.contains(&flag) && alive(pid as i64) {
            found.push((pid, args));
        }
    }
    found
}

/// On the way out, pass or fail: kills every runsc process a test left
/// under a state root (they would hold the test harness's output pipe, and
/// the next run's names).
pub struct KillLeftovers(PathBuf);

impl Drop for KillLeftovers {
    fn drop(&mut self) {
        for (pid, _) in runsc_processes(&self.0) {
            let _ =
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL);
        }
    }
}

/// [`busybox_bundle`], with what its test leaves running killed at the end.
pub fn guarded_bundle(name: &str, args: &[&str]) -> Option<(Bundle, KillLeftovers)> {
    let b = busybox_bundle(name, args)?;
    let guard = KillLeftovers(b.root.clone());
    Some((b, guard))
}
