//! `runsc install` / `runsc uninstall` on a daemon.json in a scratch directory.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

/// A fresh directory under the target dir, removed first if it exists.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn runsc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runsc"))
        .args(args)
        .output()
        .expect("runsc runs")
}

fn config_flag(file: &Path) -> String {
    format!("--config-file={}", file.display())
}

fn read_json(file: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

fn this_runsc() -> String {
    Path::new(env!("CARGO_BIN_EXE_runsc"))
        .canonicalize()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

/// Nothing but the file itself is left in `dir` (no temporary file).
fn only_file_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn install_creates_a_missing_file_and_its_directory() {
    let dir = scratch("install-new");
    let file = dir.join("docker/daemon.json");
    let out = runsc(&["install", &config_flag(&file)]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        read_json(&file),
        json!({"runtimes": {"runsc": {"path": this_runsc(), "runtimeArgs": []}}})
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o644
    );
    assert_eq!(only_file_in(&dir.join("docker")), ["daemon.json"]);
}

#[test]
fn install_keeps_other_keys_and_runtimes_and_passes_flags() {
    let dir = scratch("install-keep");
    let file = dir.join("daemon.json");
    std::fs::write(
        &file,
        r#"{"storage-driver": "overlay2", "log-opts": {"max-size": "10m"},
            "runtimes": {"other": {"path": "/usr/bin/other"}}}"#,
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = runsc(&[
        "install",
        "--runtime",
        "runsc-debug",
        &config_flag(&file),
        "--",
        "--debug",
        "--debug-log=/tmp/runsc/",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        read_json(&file),
        json!({
            "storage-driver": "overlay2",
            "log-opts": {"max-size": "10m"},
            "runtimes": {
                "other": {"path": "/usr/bin/other"},
                "runsc-debug": {
                    "path": this_runsc(),
                    "runtimeArgs": ["--debug", "--debug-log=/tmp/runsc/"]
                }
            }
        })
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600,
        "the file keeps its permissions"
    );
    assert_eq!(only_file_in(&dir), ["daemon.json"]);
}

#[test]
fn install_again_replaces_the_entry() {
    let dir = scratch("install-again");
    let file = dir.join("daemon.json");
    assert!(
        runsc(&["install", &config_flag(&file), "--", "--debug"])
            .status
            .success()
    );
    let out = runsc(&["install", &config_flag(&file)]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Updated"));
    assert_eq!(
        read_json(&file)["runtimes"]["runsc"]["runtimeArgs"],
        json!([])
    );
}

#[test]
fn install_refuses_a_file_that_is_not_a_json_object_and_leaves_it() {
    let dir = scratch("install-bad");
    let file = dir.join("daemon.json");
    for (content, needle) in [
        ("{\"debug\": true,", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ("{\"runtimes\": [\"runsc\"]}", "\"runtimes\""),
    ] {
        std::fs::write(&file, content).unwrap();
        let out = runsc(&["install", &config_flag(&file)]);
        assert_eq!(out.status.code(), Some(1), "{content}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{content}: {err}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), content);
        assert_eq!(only_file_in(&dir), ["daemon.json"]);
    }
}

#[test]
fn install_into_an_empty_file() {
    let dir = scratch("install-empty");
    let file = dir.join("daemon.json");
    std::fs::write(&file, "\n").unwrap();
    assert!(runsc(&["install", &config_flag(&file)]).status.success());
    assert_eq!(read_json(&file)["runtimes"]["runsc"]["path"], this_runsc());
}

#[test]
fn install_through_a_symlink_replaces_the_target() {
    let dir = scratch("install-symlink");
    let target = dir.join("real.json");
    let link = dir.join("daemon.json");
    std::fs::write(&target, "{\"debug\": true}").unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert!(runsc(&["install", &config_flag(&link)]).status.success());
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    let config = read_json(&target);
    assert_eq!(config["debug"], true);
    assert_eq!(config["runtimes"]["runsc"]["path"], this_runsc());
}

#[test]
fn uninstall_removes_only_that_runtime() {
    let dir = scratch("uninstall");
    let file = dir.join("daemon.json");
    std::fs::write(
        &file,
        r#"{"debug": true, "runtimes": {"other": {"path": "/usr/bin/other"}}}"#,
    )
    .unwrap();
    assert!(runsc(&["install", &config_flag(&file)]).status.success());
    let out = runsc(&["uninstall", &config_flag(&file)]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        read_json(&file),
        json!({"debug": true, "runtimes": {"other": {"path": "/usr/bin/other"}}})
    );

    let out = runsc(&["uninstall", &config_flag(&file)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("runtime \"runsc\" not found"));

    let missing = dir.join("missing.json");
    let out = runsc(&["uninstall", &config_flag(&missing)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!missing.exists());
}

#[test]
fn install_refuses_to_replace_another_binary_without_replace() {
    let dir = scratch("install-other");
    let file = dir.join("daemon.json");
    std::fs::write(
        &file,
        r#"{"runtimes": {"runsc": {"path": "/usr/bin/runsc"}}}"#,
    )
    .unwrap();
    let out = runsc(&["install", &config_flag(&file)]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/usr/bin/runsc") && err.contains("--replace"),
        "{err}"
    );
    assert_eq!(
        read_json(&file)["runtimes"]["runsc"]["path"],
        "/usr/bin/runsc"
    );
    let out = runsc(&["install", "--replace", &config_flag(&file)]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(read_json(&file)["runtimes"]["runsc"]["path"], this_runsc());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("Reload dockerd"), "{said}");
    // Built by cargo: the path is a build output, and install says so.
    assert!(said.contains("cargo install --path runsc"), "{said}");
}
