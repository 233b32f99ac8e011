//! `runsc spec` and `runsc features`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runsc"))
        .args(args)
        .output()
        .expect("runsc runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn load(bundle: &Path) -> oci_spec::runtime::Spec {
    oci_spec::runtime::Spec::load(bundle.join("config.json")).expect("config.json parses")
}

#[test]
fn spec_writes_a_config_runc_would_write_and_refuses_to_overwrite_it() {
    let bundle = scratch("spec-default");
    let b = bundle.to_str().unwrap();
    let out = run(&["spec", "--bundle", b]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spec = load(&bundle);
    let process = spec.process().as_ref().unwrap();
    assert_eq!(process.args().as_deref(), Some(&["sh".to_string()][..]));
    assert_eq!(process.terminal(), Some(true));
    assert_eq!(spec.root().as_ref().unwrap().path(), Path::new("rootfs"));
    let dests: Vec<_> = spec
        .mounts()
        .iter()
        .flatten()
        .map(|m| m.destination().to_str().unwrap().to_string())
        .collect();
    for d in [
        "/proc",
        "/dev",
        "/dev/pts",
        "/dev/shm",
        "/dev/mqueue",
        "/sys",
        "/sys/fs/cgroup",
    ] {
        assert!(dests.iter().any(|x| x == d), "{d} not mounted: {dests:?}");
    }
    let linux = spec.linux().as_ref().unwrap();
    assert_eq!(linux.namespaces().as_ref().unwrap().len(), 6);
    assert!(
        linux
            .masked_paths()
            .as_ref()
            .unwrap()
            .contains(&"/proc/kcore".to_string())
    );
    assert!(
        linux
            .readonly_paths()
            .as_ref()
            .unwrap()
            .contains(&"/proc/sys".to_string())
    );

    let before = std::fs::read(bundle.join("config.json")).unwrap();
    let again = run(&["spec", "-b", b]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr)
            .contains("File config.json exists. Remove it first."),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(std::fs::read(bundle.join("config.json")).unwrap(), before);
}

#[test]
fn spec_in_the_current_directory_by_default() {
    let bundle = scratch("spec-cwd");
    let out = Command::new(env!("CARGO_BIN_EXE_runsc"))
        .arg("spec")
        .current_dir(&bundle)
        .output()
        .unwrap();
    assert!(out.status.success());
    load(&bundle);
}

#[test]
fn rootless_spec_maps_the_caller_and_drops_the_network_namespace() {
    let bundle = scratch("spec-rootless");
    let out = run(&["spec", "--rootless", "--bundle", bundle.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
    load(&bundle);
    let ns: Vec<_> = spec["linux"]["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert!(ns.contains(&"user") && !ns.contains(&"network"), "{ns:?}");
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(spec["linux"]["uidMappings"][0]["hostID"], euid);
    assert!(spec["linux"].get("resources").is_none());
    let devpts = spec["mounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["destination"] == "/dev/pts")
        .unwrap();
    assert!(
        !devpts["options"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o == "gid=5")
    );
}

#[test]
fn spec_into_a_missing_bundle_is_an_error() {
    let out = run(&["spec", "--bundle", "/nonexistent/bundle"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/bundle"));
}

#[test]
fn features_is_the_oci_features_document() {
    let out = run(&["features"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "ociVersionMin",
        "ociVersionMax",
        "hooks",
        "mountOptions",
        "linux",
        "annotations",
    ] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
    let hooks = v["hooks"].as_array().unwrap();
    for h in [
        "prestart",
        "createRuntime",
        "createContainer",
        "startContainer",
        "poststart",
        "poststop",
    ] {
        assert!(hooks.iter().any(|x| x == h), "{h} missing");
    }
    assert!(
        v["linux"]["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "pid")
    );
    assert!(
        v["linux"]["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "CAP_SYS_ADMIN")
    );
    assert_eq!(v["linux"]["cgroup"]["v1"], true);
    assert_eq!(v["linux"]["seccomp"]["enabled"], false);
    assert_eq!(
        v["annotations"]["dev.runsc.version"],
        env!("CARGO_PKG_VERSION")
    );
    // The document oci-spec knows.
    let f: oci_spec::runtime::Features = serde_json::from_value(v).unwrap();
    assert_eq!(f.oci_version_min(), "1.0.0");
}
