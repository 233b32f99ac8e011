//! Running the benchmark in a runc container: a throwaway bundle whose
//! rootfs holds only the static binary.

use crate::runners::{Measured, is_root, measure, timeout};
use serde_json::{Value, json};
use std::fs;
use std::path::Path;
use std::process::Command;
use tests::run::run_command;

const RUNC: &str = "/usr/sbin/runc";
const BINARY: &str = "getpid_loop";

pub fn run(prog: &Path, iterations: u64) -> Measured {
    if !Path::new(RUNC).is_file() {
        return Err(format!("{RUNC} missing (apt-get install runc)"));
    }
    let id = format!("tests-bench-{}", std::process::id());
    let bundle = std::env::temp_dir().join(&id);
    let result = make_bundle(&bundle, prog, iterations).and_then(|()| {
        let mut cmd = Command::new(RUNC);
        cmd.args(["run", "--bundle"]).arg(&bundle).arg(&id);
        measure(cmd, iterations)
    });
    // Also reaps a container left behind by a timeout.
    let mut delete = Command::new(RUNC);
    delete.args(["delete", "--force", &id]);
    let _ = run_command(delete, timeout(0));
    let _ = fs::remove_dir_all(&bundle);
    result
}

fn make_bundle(bundle: &Path, prog: &Path, iterations: u64) -> Result<(), String> {
    // A leftover from an earlier run would make `runc spec` refuse.
    let _ = fs::remove_dir_all(bundle);
    let rootfs = bundle.join("rootfs");
    fs::create_dir_all(&rootfs).map_err(|e| format!("create {}: {e}", rootfs.display()))?;
    fs::copy(prog, rootfs.join(BINARY)).map_err(|e| format!("copy binary: {e}"))?;

    let mut spec = Command::new(RUNC);
    spec.arg("spec").arg("--bundle").arg(bundle);
    if !is_root() {
        spec.arg("--rootless");
    }
    let out = run_command(spec, timeout(0)).map_err(|e| e.to_string())?;
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
    edit_config(&mut value, iterations)?;
    let text = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
    fs::write(&config, text).map_err(|e| format!("write config.json: {e}"))
}

/// Runs our binary without a terminal; everything else stays as
/// `runc spec` made it (namespaces included: that is what runc costs).
fn edit_config(config: &mut Value, iterations: u64) -> Result<(), String> {
    let process = config
        .get_mut("process")
        .and_then(Value::as_object_mut)
        .ok_or("config.json has no process object")?;
    process.insert(
        "args".into(),
        json!([format!("/{BINARY}"), iterations.to_string()]),
    );
    process.insert("terminal".into(), json!(false));
    Ok(())
}
