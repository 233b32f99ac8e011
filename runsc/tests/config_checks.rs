//! Configs runc refuses are refused at create, with a message naming what is
//! wrong, and leave nothing behind; a pids limit is also the host cgroup's.

mod support;

use std::path::Path;

use support::{
    Bundle, assert_fails_with, busybox_bundle, guarded_bundle, skipped_for_cgroups, text,
};

/// `create` of `config` fails saying `needle`, and leaves no state.
fn refused(b: &Bundle, id: &str, config: serde_json::Value, needle: &str) {
    b.write_config(config);
    assert_fails_with(&b.create(id, &b.dir.join("out"), &[]), needle);
    assert!(!b.root.join(id).exists(), "state left by a failed create");
}

#[test]
fn a_missing_bind_mount_source_is_refused_with_its_path() {
    let Some(b) = busybox_bundle("cfg-bind", &["true"]) else {
        return;
    };
    let missing = b.dir.join("no-such-dir");
    let mut c = b.config();
    c["mounts"] = serde_json::json!([{
        "destination": "/data",
        "type": "bind",
        "source": missing.to_str().unwrap(),
        "options": ["rbind"]
    }]);
    refused(&b, "m1", c, missing.to_str().unwrap());
}

#[test]
fn env_entries_without_equals_are_refused() {
    let Some((b, _leftovers)) = guarded_bundle("cfg-env", &["true"]) else {
        return;
    };
    for (id, bad) in [("e1", "NOEQUALS"), ("e2", "=value")] {
        let mut c = b.config();
        c["process"]["env"] = serde_json::json!(["PATH=/bin", bad]);
        refused(&b, id, c, "invalid environment variable");
    }
    // An empty value is fine.
    let mut c = b.config();
    c["process"]["env"] = serde_json::json!(["PATH=/bin", "EMPTY="]);
    b.write_config(c);
    let out = b.rs(&["run", "--bundle", b.dir.to_str().unwrap(), "cfg-env-ok"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // exec checks the env of a --process file too.
    b.set_args(&["sleep", "1000"]);
    b.create_and_start("cfg-env-x");
    let process = b.dir.join("process.json");
    let mut p = b.config()["process"].clone();
    p["args"] = serde_json::json!(["true"]);
    p["env"] = serde_json::json!(["PATH=/bin", "BAD"]);
    std::fs::write(&process, p.to_string()).unwrap();
    assert_fails_with(
        &b.rs(&["exec", "--process", process.to_str().unwrap(), "cfg-env-x"]),
        "invalid environment variable",
    );
    assert!(b.rs(&["delete", "--force", "cfg-env-x"]).status.success());
}

#[test]
fn hostnames_longer_than_host_name_max_are_refused() {
    let Some(b) = busybox_bundle("cfg-hostname", &["true"]) else {
        return;
    };
    let mut c = b.config();
    c["hostname"] = "h".repeat(100 * 1024).into();
    refused(&b, "h1", c, "hostname is 102400 bytes long");
    let mut c = b.config();
    c["hostname"] = "h".repeat(64).into();
    b.write_config(c);
    let out = b.rs(&[
        "run",
        "--bundle",
        b.dir.to_str().unwrap(),
        "cfg-hostname-ok",
    ]);
    assert!(out.status.success(), "64 bytes fit: {}", text(&out.stderr));
}

#[test]
fn the_pids_limit_is_also_the_host_cgroups() {
    let Some((b, _leftovers)) = guarded_bundle("cfg-pids", &["sleep", "1000"]) else {
        return;
    };
    let mut c = b.config();
    c["linux"] = serde_json::json!({"resources": {"pids": {"limit": 20}}});
    b.write_config(c);
    let created = b.create("cfg-pids-p1", &b.dir.join("out"), &[]);
    if skipped_for_cgroups(&created, "pids") {
        return;
    }
    assert!(created.status.success(), "{}", text(&created.stderr));
    // Its default place: /runsc/ID.
    let v1 = Path::new("/sys/fs/cgroup/pids/runsc/cfg-pids-p1/pids.max");
    let v2 = Path::new("/sys/fs/cgroup/runsc/cfg-pids-p1/pids.max");
    let file = if v1.exists() { v1 } else { v2 };
    let read = || std::fs::read_to_string(file).unwrap().trim().to_string();
    let host: i64 = read()
        .parse()
        .unwrap_or_else(|_| panic!("pids.max is {:?}", read()));
    // Several host tasks per container task, but a limit.
    assert!((20 * 2..20 * 64).contains(&host), "host pids.max {host}");

    // update changes it too; -1 lifts it.
    assert!(b.rs(&["start", "cfg-pids-p1"]).status.success());
    let out = b.rs(&["update", "--pids-limit", "5", "cfg-pids-p1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let five: i64 = read().parse().unwrap();
    assert!(five < host && five >= 10, "host pids.max {five} for 5");
    let out = b.rs(&["update", "--pids-limit", "-1", "cfg-pids-p1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(read(), "max");
    assert!(b.rs(&["delete", "--force", "cfg-pids-p1"]).status.success());
}

/// A malformed config.json is refused naming the field, line and column.
#[test]
fn a_malformed_config_names_the_field_line_and_column() {
    let Some(b) = busybox_bundle("cfg-json", &["true"]) else {
        return;
    };
    let mut c = b.config();
    c["process"]["user"]["uid"] = serde_json::json!("root");
    refused(
        &b,
        "cfg-json-1",
        c,
        "process.user.uid: invalid type: string \"root\"",
    );
    let out = b.create("cfg-json-1", &b.dir.join("out"), &[]);
    assert!(
        text(&out.stderr).contains(" line "),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(
        b.dir.join("config.json"),
        "{\"ociVersion\": \"1.0.2\",\n  \"process\": [\n",
    )
    .unwrap();
    let out = b.create("cfg-json-2", &b.dir.join("out"), &[]);
    assert_fails_with(&out, "process: EOF while parsing a list at line 3 column 0");
}
