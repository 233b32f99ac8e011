//! Running a benchmark in a runc container: a throwaway bundle whose rootfs
//! holds only the static binary, the data files it reads (hard-linked, or
//! copied across file systems) and a writable `/tmp`. The rootfs lives on
//! the host's disk, as a container image's would; it is writable, as
//! Docker's is.

use crate::runners::{Measured, QUICK, is_root, measure};
use crate::workload::Workload;
use serde_json::{Value, json};
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use tests::run::run_command;

const RUNC: &str = "/usr/sbin/runc";

pub fn run(w: &Workload) -> Measured {
    if !Path::new(RUNC).is_file() {
        return Err(format!("{RUNC} missing (apt-get install runc)"));
    }
    let id = format!("tests-bench-{}", std::process::id());
    let bundle = std::env::temp_dir().join(&id);
    let result = make_bundle(&bundle, w).and_then(|()| {
        let mut cmd = Command::new(RUNC);
        cmd.args(["run", "--bundle"]).arg(&bundle).arg(&id);
        measure(cmd, w.timeout)
    });
    // Also reaps a container left behind by a timeout.
    let mut delete = Command::new(RUNC);
    delete.args(["delete", "--force", &id]);
    let _ = run_command(delete, QUICK);
    let _ = fs::remove_dir_all(&bundle);
    result
}

pub fn make_bundle(bundle: &Path, w: &Workload) -> Result<(), String> {
    // A leftover from an earlier run would make `runc spec` refuse.
    let _ = fs::remove_dir_all(bundle);
    let rootfs = bundle.join("rootfs");
    fs::create_dir_all(&rootfs).map_err(|e| format!("create {}: {e}", rootfs.display()))?;
    let binary = place(&rootfs, &w.program)?;
    let tmp = rootfs.join("tmp");
    fs::create_dir(&tmp)
        .and_then(|()| fs::set_permissions(&tmp, fs::Permissions::from_mode(0o1777)))
        .map_err(|e| format!("create {}: {e}", tmp.display()))?;
    let tmp_dir = Path::new("/tmp");
    let args = w.resolve(|p| place(&rootfs, p), tmp_dir, tmp_dir)?;

    let mut spec = Command::new(RUNC);
    spec.arg("spec").arg("--bundle").arg(bundle);
    if !is_root() {
        spec.arg("--rootless");
    }
    let out = run_command(spec, QUICK).map_err(|e| e.to_string())?;
    if out.status != tests::Status::Exited(0) {
        return Err(format!(
            "runc spec: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let config = bundle.join("config.json");
    let text = fs::read_to_string(&config).map_err(|e| format!("read config.json: {e}"))?;
    let mut value: Value =
        serde_json::from_str(&text).map_err(|e| format!("parse config.json: {e}"))?;
    let argv = std::iter::once(binary)
        .chain(args)
        .map(|a| {
            a.into_string()
                .map_err(|a| format!("argument {a:?} is not UTF-8"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    edit_config(&mut value, argv)?;
    if w.needs_tmpfs() {
        mount_tmpfs_on_tmp(&mut value)?;
    }
    let text = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
    fs::write(&config, text).map_err(|e| format!("write config.json: {e}"))
}

/// Puts host file `src` at the top of the rootfs; returns its path inside.
fn place(rootfs: &Path, src: &Path) -> Result<OsString, String> {
    let name = src
        .file_name()
        .ok_or_else(|| format!("{} has no file name", src.display()))?;
    let dst = rootfs.join(name);
    fs::hard_link(src, &dst)
        .or_else(|_| fs::copy(src, &dst).map(drop))
        .map_err(|e| format!("copy {} into the rootfs: {e}", src.display()))?;
    let mut inside = OsString::from("/");
    inside.push(name);
    Ok(inside)
}

/// Runs our binary without a terminal on a writable root; everything else
/// stays as `runc spec` made it (namespaces included: that is what runc
/// costs).
fn edit_config(config: &mut Value, argv: Vec<String>) -> Result<(), String> {
    let process = config
        .get_mut("process")
        .and_then(Value::as_object_mut)
        .ok_or("config.json has no process object")?;
    process.insert("args".into(), json!(argv));
    process.insert("terminal".into(), json!(false));
    let root = config
        .get_mut("root")
        .and_then(Value::as_object_mut)
        .ok_or("config.json has no root object")?;
    root.insert("readonly".into(), json!(false));
    Ok(())
}

/// A tmpfs on `/tmp`, as a container would mount for a memory scratch
/// space, bounded like the native one (`native_tmpfs::SIZE`).
fn mount_tmpfs_on_tmp(config: &mut Value) -> Result<(), String> {
    let mounts = config
        .get_mut("mounts")
        .and_then(Value::as_array_mut)
        .ok_or("config.json has no mounts array")?;
    mounts.push(json!({
        "destination": "/tmp",
        "type": "tmpfs",
        "source": "tmpfs",
        "options": ["nosuid", "nodev", "mode=1777", format!("size={}", crate::native_tmpfs::SIZE)],
    }));
    Ok(())
}
