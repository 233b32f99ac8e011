//! Logging: `--debug-log` for the sandbox's debug log (as gVisor), `--log` for the
//! runtime's log (as runc); nothing goes to the container's stderr.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use tracing_subscriber::EnvFilter;

use crate::cli::GlobalFlags;

/// Keeps logging alive until `main` returns.
pub struct Guard;

fn log_file(path: &Path, command: &str) -> anyhow::Result<(File, PathBuf)> {
    let path = if path.to_string_lossy().ends_with('/') || path.is_dir() {
        std::fs::create_dir_all(path).with_context(|| format!("creating {}", path.display()))?;
        path.join(format!("runsc.{}.{}.log", command, std::process::id()))
    } else {
        path.to_path_buf()
    };
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("opening log file {}", path.display()))?;
    Ok((file, path))
}

pub fn init(flags: &GlobalFlags, command: &str) -> anyhow::Result<Guard> {
    let target = flags.debug_log.as_ref().or(flags.log.as_ref());
    let Some(target) = target else {
        return Ok(Guard);
    };
    let (file, _) = log_file(target, command)?;
    let level = if flags.debug { "debug" } else { "info" };
    let filter = EnvFilter::try_from_env("RUNSC_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(file))
        .with_ansi(false);
    let result = if flags.log_format == "json" {
        builder.json().try_init()
    } else {
        builder.with_thread_ids(true).try_init()
    };
    result.map_err(|e| anyhow::anyhow!("setting up logging: {e}"))?;
    tracing::debug!(command, pid = std::process::id(), "runsc started");
    Ok(Guard)
}

/// Records a command's failure in the runtime log (`--log`) the way runc
/// does: containerd's shim reads the last `"level":"error"` JSON line to
/// report why a command failed.
pub fn record_failure(flags: &GlobalFlags, message: &str) {
    let Some(path) = &flags.log else {
        return;
    };
    let time = crate::rfc3339::now();
    let line = if flags.log_format == "json" {
        serde_json::json!({"level": "error", "msg": message, "time": time}).to_string()
    } else {
        format!("time={time:?} level=error msg={message:?}")
    };
    use std::io::Write;
    if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(f, "{line}");
    }
}
