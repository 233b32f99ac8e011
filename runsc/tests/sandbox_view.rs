//! What the container sees of its sandbox: no host path in its mount tables,
//! and the OCI spec's capabilities as Linux would leave them.

mod support;

use support::{busybox_bundle, text};

/// The container's config with `process` extended by `extra` and the mounts given.
fn config(args: &[&str], extra: serde_json::Value, mounts: serde_json::Value) -> serde_json::Value {
    let mut process = serde_json::json!({
        "args": args,
        "cwd": "/",
        "env": ["PATH=/bin"],
        "user": {"uid": 0, "gid": 0},
        "terminal": false
    });
    for (k, v) in extra.as_object().unwrap() {
        process[k] = v.clone();
    }
    serde_json::json!({
        "ociVersion": "1.0.2",
        "root": {"path": "rootfs", "readonly": false},
        "process": process,
        "hostname": "view",
        "mounts": mounts
    })
}

#[test]
fn mount_tables_show_no_host_paths() {
    let args = [
        "cat",
        "/proc/self/mountinfo",
        "/proc/self/mounts",
        "/proc/mounts",
    ];
    let Some(b) = busybox_bundle("view-mounts", &args) else {
        return;
    };
    let shared = b.dir.join("host-shared-dir");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::write(shared.join("f"), "x").unwrap();
    b.write_config(config(
        &args,
        serde_json::json!({}),
        serde_json::json!([
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/data", "type": "bind", "source": shared, "options": ["rbind", "ro"]}
        ]),
    ));
    let out = b.rs(&["run", "--bundle", b.dir.to_str().unwrap(), "view-mounts"]);
    assert!(out.status.success(), "run: {}", text(&out.stderr));
    let tables = text(&out.stdout);
    // Both the rootfs (inside the bundle) and the bind source live under it.
    let host = b.dir.to_str().unwrap();
    assert!(!tables.contains(host), "a host path shows:\n{tables}");
    assert!(
        !tables.contains("host-shared-dir"),
        "the bind source shows:\n{tables}"
    );
    let root = tables
        .lines()
        .find(|l| l.contains(" / / "))
        .unwrap_or_else(|| panic!("no root in mountinfo:\n{tables}"));
    assert!(
        root.ends_with(" - overlay none rw") || root.contains(" - 9p none "),
        "{root}"
    );
    assert!(
        tables.lines().any(|l| l.starts_with("/data /data 9p ro")),
        "the bind mount shows by its destination:\n{tables}"
    );
}

#[test]
fn ambient_capabilities_outside_inheritable_are_dropped() {
    let args = ["cat", "/proc/self/status"];
    let Some(b) = busybox_bundle("view-caps", &args) else {
        return;
    };
    let all = ["CAP_KILL", "CAP_NET_RAW", "CAP_CHOWN"];
    b.write_config(config(
        &args,
        serde_json::json!({"capabilities": {
            "bounding": all, "effective": all, "permitted": all,
            "inheritable": ["CAP_KILL"],
            "ambient": ["CAP_KILL", "CAP_NET_RAW"]
        }}),
        serde_json::json!([{"destination": "/proc", "type": "proc", "source": "proc"}]),
    ));
    let out = b.rs(&["run", "--bundle", b.dir.to_str().unwrap(), "view-caps"]);
    assert!(out.status.success(), "run: {}", text(&out.stderr));
    let status = text(&out.stdout);
    let amb = status
        .lines()
        .find_map(|l| l.strip_prefix("CapAmb:"))
        .unwrap_or_else(|| panic!("no CapAmb in:\n{status}"))
        .trim();
    // CAP_KILL is 5: runc's raise of CAP_NET_RAW fails (not inheritable).
    assert_eq!(amb, "0000000000000020", "{status}");
}
