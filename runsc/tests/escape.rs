//! A container cannot reach the host filesystem above its root: not through
//! absolute or relative symlinks, `..`, or /proc/self/root; writes to a read-only
//! root fail with EROFS and leave the host untouched.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A bundle whose rootfs holds busybox and hostile symlinks, plus a secret file
/// next to (outside) the rootfs.
fn hostile_bundle(name: &str, readonly: bool) -> Option<PathBuf> {
    let busybox = Path::new("/bin/busybox");
    if !busybox.exists() {
        eprintln!("SKIP: /bin/busybox (Debian busybox-static) is not installed");
        return None;
    }
    let dir = scratch(name);
    let rootfs = dir.join("rootfs");
    std::fs::create_dir_all(rootfs.join("bin")).unwrap();
    std::fs::create_dir_all(rootfs.join("etc")).unwrap();
    std::fs::create_dir_all(rootfs.join("dev")).unwrap();
    std::fs::copy(busybox, rootfs.join("bin/busybox")).unwrap();
    std::fs::write(dir.join("secret"), b"host secret").unwrap();
    std::fs::write(rootfs.join("etc/passwd"), b"container passwd\n").unwrap();
    symlink("/etc/shadow", rootfs.join("abs")).unwrap();
    symlink("../../../../../../../../etc/passwd", rootfs.join("rel")).unwrap();
    symlink("../secret", rootfs.join("sibling")).unwrap();
    symlink(dir.join("secret"), rootfs.join("abs_secret")).unwrap();
    symlink("/", rootfs.join("root_link")).unwrap();
    let config = serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {"args": ["/bin/busybox", "true"], "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}},
        "root": {"path": "rootfs", "readonly": readonly},
    });
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_vec(&config).unwrap(),
    )
    .unwrap();
    Some(dir)
}

fn run_in(bundle: &Path, overlay: &str, args: &[&str]) -> Output {
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
    let mut full = vec!["/bin/busybox"];
    full.extend_from_slice(args);
    config["process"]["args"] = serde_json::json!(full);
    std::fs::write(
        bundle.join("config.json"),
        serde_json::to_vec(&config).unwrap(),
    )
    .unwrap();
    Command::new(env!("CARGO_BIN_EXE_runsc"))
        .args([
            &format!("--overlay2={overlay}"),
            &format!("--root={}", bundle.join("state").display()),
            "run",
            "--bundle",
            bundle.to_str().unwrap(),
            "escape",
        ])
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn symlinks_and_dotdot_stay_inside_the_root() {
    let Some(bundle) = hostile_bundle("escape-read", true) else {
        return;
    };
    for path in [
        "/abs",
        "/sibling",
        "/abs_secret",
        "/../secret",
        "/../../../../etc/shadow",
        "/root_link/../../secret",
    ] {
        let out = run_in(&bundle, "none", &["cat", path]);
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(
            !all.contains("host secret") && !all.contains("root:"),
            "{path} leaked: {all}"
        );
        assert_ne!(
            out.status.code(),
            Some(0),
            "{path} should not exist inside the container"
        );
    }
    // A relative link that climbs past the root lands on the container's own file.
    let out = run_in(&bundle, "none", &["cat", "/rel"]);
    assert_eq!(
        text(&out.stdout),
        "container passwd\n",
        "stderr: {}",
        text(&out.stderr)
    );
    let out = run_in(&bundle, "none", &["cat", "/root_link/etc/passwd"]);
    assert_eq!(text(&out.stdout), "container passwd\n");
}

#[test]
fn proc_self_root_tricks_find_nothing_outside() {
    let Some(bundle) = hostile_bundle("escape-proc", true) else {
        return;
    };
    for path in [
        "/proc/self/root/../secret",
        "/proc/1/root/etc/shadow",
        "/proc/self/cwd/../../secret",
    ] {
        let out = run_in(&bundle, "none", &["cat", path]);
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(
            !all.contains("host secret") && !all.contains("root:"),
            "{path} leaked: {all}"
        );
    }
}

#[test]
fn read_only_root_refuses_writes_and_the_host_is_unchanged() {
    let Some(bundle) = hostile_bundle("escape-write", true) else {
        return;
    };
    let before = std::fs::read(bundle.join("rootfs/etc/passwd")).unwrap();
    let out = run_in(&bundle, "none", &["sh", "-c", "echo pwned > /etc/passwd"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("Read-only file system"),
        "{}",
        text(&out.stderr)
    );
    // Writing through a link that points outside the root creates nothing outside.
    let out = run_in(&bundle, "none", &["sh", "-c", "echo pwned > /abs_secret"]);
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read(bundle.join("secret")).unwrap(),
        b"host secret"
    );
    assert_eq!(
        std::fs::read(bundle.join("rootfs/etc/passwd")).unwrap(),
        before
    );
}

#[test]
fn overlay_writes_through_hostile_links_stay_in_memory() {
    let Some(bundle) = hostile_bundle("escape-overlay", false) else {
        return;
    };
    let out = run_in(
        &bundle,
        "root:memory",
        &[
            "sh",
            "-c",
            "echo pwned > /abs_secret; echo pwned > /sibling; echo ok",
        ],
    );
    assert!(
        text(&out.stdout).contains("ok"),
        "stderr: {}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read(bundle.join("secret")).unwrap(),
        b"host secret"
    );
    assert!(!bundle.join("rootfs/etc/shadow").exists() && !bundle.join("rootfs/secret").exists());
}
