//! A mount's nosuid, nodev and noexec, from config.json or mount(2): shown
//! in /proc/mounts, and nothing executes from a noexec mount (EACCES).

mod support;

use support::{busybox_bundle, text};

const SCRIPT: &str = "busybox cp /bin/busybox /data/busybox; /data/busybox true; echo exec=$?; \
     busybox grep ' /data ' /proc/mounts; \
     busybox mkdir -p /tmp/m /tmp/x; \
     busybox mount -t tmpfs -o nosuid,noexec none /tmp/m; \
     busybox cp /bin/busybox /tmp/m/busybox; /tmp/m/busybox true; echo exec=$?; \
     busybox grep ' /tmp/m ' /proc/mounts; \
     busybox mount -t tmpfs none /tmp/x; \
     busybox cp /bin/busybox /tmp/x/busybox; /tmp/x/busybox true; echo exec=$?";

#[test]
fn noexec_mounts_run_nothing_and_show_their_flags() {
    let Some(b) = busybox_bundle("mount-flags", &["sh", "-c", SCRIPT]) else {
        return;
    };
    let mut config = b.config();
    config["mounts"] = serde_json::json!([{
        "destination": "/data", "type": "tmpfs", "source": "tmpfs",
        "options": ["nosuid", "nodev", "noexec", "size=4m"]
    }]);
    config["process"]["capabilities"] = serde_json::json!({
        "bounding": ["CAP_SYS_ADMIN"], "effective": ["CAP_SYS_ADMIN"], "permitted": ["CAP_SYS_ADMIN"]
    });
    b.write_config(config);
    let out = b.rs(&["run", "--bundle", b.dir.to_str().unwrap(), "mount-flags"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "exec=126",
            "tmpfs /data tmpfs rw,nosuid,nodev,noexec,relatime 0 0",
            "exec=126",
            "none /tmp/m tmpfs rw,nosuid,noexec,relatime 0 0",
            "exec=0",
        ],
        "{}",
        text(&out.stderr)
    );
}

/// Mapping a file of a noexec mount executable is EPERM (Linux's answer);
/// readable mappings of it stay allowed.
#[test]
fn noexec_files_cannot_be_mapped_executable() {
    if !std::path::Path::new("/usr/bin/python3").exists() {
        tests::skip::report("noexec mmap: no /usr/bin/python3");
        return;
    }
    let script = r#"
import ctypes, mmap, os
libc = ctypes.CDLL(None, use_errno=True)
os.makedirs("/tmp/nx", exist_ok=True)
MS_NOEXEC = 8
if libc.mount(b"none", b"/tmp/nx", b"tmpfs", MS_NOEXEC, None) != 0:
    raise OSError(ctypes.get_errno(), "mount")
fd = os.open("/tmp/nx/f", os.O_RDWR | os.O_CREAT)
os.write(fd, b"x" * 4096)
mmap.mmap(fd, 4096, prot=mmap.PROT_READ)
print("read: ok")
try:
    mmap.mmap(fd, 4096, prot=mmap.PROT_READ | mmap.PROT_EXEC)
    print("exec: mapped")
except PermissionError as e:
    print("exec:", e.errno == 1 and "EPERM" or e.errno)
"#;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_runsc"))
        .args(["do", "/usr/bin/python3", "-c", script])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        text(&out.stdout),
        "read: ok\nexec: EPERM\n",
        "{}",
        text(&out.stderr)
    );
}
