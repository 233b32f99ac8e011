//! A container's memory limit holds for the files it keeps in memory: past
//! it, writes to /tmp (with `--overlay2=root:memory`, the overlay's in-memory
//! upper layer) and /dev/shm are
//! refused, and the sandbox goes on (it is never the one the host's OOM
//! killer takes).

mod support;

use support::{busybox_bundle, skipped_for_cgroups, text};

const LIMIT: u64 = 128 << 20;

/// The root's changes in memory (a bundle's default writes them in place).
const IN_MEMORY: &str = "--overlay2=root:memory";

/// A shell script that tries to write 1 GiB to `dir`, says how far it got,
/// frees it and shows the sandbox still works.
fn script(dir: &str) -> String {
    format!(
        "busybox dd if=/dev/zero of={dir}/f bs=1M count=1024 2>/dev/null; echo dd=$?; \
         busybox stat -c size=%s {dir}/f; busybox rm {dir}/f; \
         busybox dd if=/dev/zero of={dir}/g bs=1M count=16 2>/dev/null; echo again=$?; \
         echo alive"
    )
}

fn run_limited(name: &str, dir: &str) {
    let Some(b) = busybox_bundle(name, &["sh", "-c", &script(dir)]) else {
        return;
    };
    b.set_resources(serde_json::json!({"memory": {"limit": LIMIT, "swap": LIMIT}}));
    let out = b.rs(&[IN_MEMORY, "run", "--bundle", b.dir.to_str().unwrap(), name]);
    if skipped_for_cgroups(&out, "memory") {
        return;
    }
    let stderr = text(&out.stderr);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_ne!(
        lines.first(),
        Some(&"dd=0"),
        "1 GiB fit in 128 MiB: {stdout}"
    );
    let size: u64 = lines
        .iter()
        .find_map(|l| l.strip_prefix("size="))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no size in {stdout}"));
    assert!(size > 0 && size < LIMIT, "{size} bytes were written");
    assert!(
        lines.contains(&"again=0"),
        "freed memory can be used again: {stdout}"
    );
    assert_eq!(lines.last(), Some(&"alive"), "{stdout}");
}

#[test]
fn a_gigabyte_in_tmp_is_refused_under_128_mib() {
    run_limited("ml-tmp", "/tmp");
}

#[test]
fn a_gigabyte_in_dev_shm_is_refused_under_128_mib() {
    run_limited("ml-shm", "/dev/shm");
}

/// A tmpfs holds what its `size=` says, whether config.json or mount(2)
/// gives it: one byte more is ENOSPC.
#[test]
fn tmpfs_size_options_give_enospc() {
    let script = "busybox dd if=/dev/zero of=/data/f bs=4k count=1000 2>/dev/null; echo dd=$?; \
                  busybox stat -c size=%s /data/f; \
                  busybox mkdir -p /tmp/m && busybox mount -t tmpfs -o size=64k,mode=700 none /tmp/m; \
                  echo mount=$?; busybox stat -c mode=%a /tmp/m; \
                  busybox dd if=/dev/zero of=/tmp/m/f bs=4k count=100 2>/dev/null; echo dd=$?; \
                  busybox stat -c size=%s /tmp/m/f; \
                  busybox mount -t tmpfs -o bogus=1 none /tmp/m; echo bogus=$?";
    let Some(b) = busybox_bundle("ml-size", &["sh", "-c", script]) else {
        return;
    };
    let mut config = b.config();
    config["mounts"] = serde_json::json!([{
        "destination": "/data", "type": "tmpfs", "source": "tmpfs",
        "options": ["nosuid", "nodev", "size=1m", "mode=1777"]
    }]);
    config["process"]["capabilities"] = serde_json::json!({
        "bounding": ["CAP_SYS_ADMIN"], "effective": ["CAP_SYS_ADMIN"], "permitted": ["CAP_SYS_ADMIN"]
    });
    b.write_config(config);
    let out = b.rs(&["run", "--bundle", b.dir.to_str().unwrap(), "ml-size"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "dd=1",
            "size=1048576",
            "mount=0",
            "mode=700",
            "dd=1",
            "size=65536",
            "bogus=255"
        ],
        "{stdout}"
    );
}

/// A process that needs more memory than the container has is killed
/// (SIGKILL, as Linux's OOM killer does), and only that process: its shell
/// goes on.
#[test]
fn a_process_past_the_limit_is_killed_not_the_sandbox() {
    let script = "busybox dd if=/dev/zero of=/dev/null bs=64M count=1; echo status=$?; echo alive";
    let Some(b) = busybox_bundle("ml-kill", &["sh", "-c", script]) else {
        return;
    };
    b.set_resources(serde_json::json!({"memory": {"limit": 32 << 20, "swap": 32 << 20}}));
    let out = b.rs(&["run", "--bundle", b.dir.to_str().unwrap(), "ml-kill"]);
    if skipped_for_cgroups(&out, "memory") {
        return;
    }
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{}{stderr}", text(&out.stdout));
    assert_eq!(text(&out.stdout), "status=137\nalive\n", "{stderr}");
}

/// `runsc update --memory` moves the sandbox's limit too.
#[test]
fn update_lowers_the_sandboxs_limit() {
    let Some(b) = busybox_bundle("ml-update", &["sleep", "1000"]) else {
        return;
    };
    b.set_resources(serde_json::json!({"memory": {"limit": 256u64 << 20}}));
    let created = b.create("mlu", &b.dir.join("out"), &[]);
    if skipped_for_cgroups(&created, "memory") {
        return;
    }
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(b.rs(&["start", "mlu"]).status.success());
    let dd = [
        "exec",
        "mlu",
        "busybox",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=64M",
        "count=1",
    ];
    assert_eq!(b.rs(&dd).status.code(), Some(0));
    let updated = b.rs(&["update", "--memory", &(32u64 << 20).to_string(), "mlu"]);
    assert!(updated.status.success(), "{}", text(&updated.stderr));
    assert_eq!(b.rs(&dd).status.code(), Some(137));
    assert!(b.rs(&["delete", "--force", "mlu"]).status.success());
}
