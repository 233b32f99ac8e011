//! Logging: `--debug-log` for the sandbox's debug log (as gVisor), `--log` for the
//! runtime's log (as runc); nothing goes to the container's stderr.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use tracing_subscriber::EnvFilter;

use crate::cli::GlobalFlags;
use crate::log_limit::{Format, LimitedLog};

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

/// The log file of a runsc child (`boot`), opened here as the caller: the
/// child may run as a user who cannot open it (`confine::userns`). The child
/// gets it with `--log-fd`.
pub fn open_for_child(flags: &GlobalFlags, command: &str) -> anyhow::Result<Option<File>> {
    let target = flags.debug_log.as_ref().or(flags.log.as_ref());
    target
        .map(|t| log_file(t, command).map(|(file, _)| file))
        .transpose()
}

/// The log file given by descriptor (`--log-fd`), if any.
fn inherited_log(flags: &GlobalFlags) -> anyhow::Result<Option<File>> {
    flags
        .log_fd
        .map(|fd| crate::inherited_fd::adopt(fd).map(File::from))
        .transpose()
}

pub fn init(flags: &GlobalFlags, command: &str) -> anyhow::Result<Guard> {
    let file = match inherited_log(flags)? {
        Some(file) => {
            if flags.debug_log.is_none() {
                // It is the runtime log: failures go there too.
                let _ = RUNTIME_LOG.set(file.try_clone()?);
            }
            file
        }
        None => {
            let target = flags.debug_log.as_ref().or(flags.log.as_ref());
            let Some(target) = target else {
                return Ok(Guard);
            };
            log_file(target, command)?.0
        }
    };
    let level = if flags.debug { "debug" } else { "info" };
    let filter = EnvFilter::try_from_env("RUNSC_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let format = if flags.log_format == "json" {
        Format::Json
    } else {
        Format::Text
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = WRITER.set(Mutex::new(LimitedLog::new(
        file,
        format,
        size,
        flags.log_limit,
    )));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Shared)
        .with_ansi(false);
    let result = if format == Format::Json {
        builder.json().try_init()
    } else {
        builder.with_thread_ids(true).try_init()
    };
    result.map_err(|e| anyhow::anyhow!("setting up logging: {e}"))?;
    tracing::debug!(command, pid = std::process::id(), "runsc started");
    Ok(Guard)
}

/// Every log line goes through this (rate-limited and capped: `log_limit`).
static WRITER: std::sync::OnceLock<Mutex<LimitedLog<File>>> = std::sync::OnceLock::new();

/// The subscriber's way to `WRITER`.
struct Shared;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Shared {
    type Writer = SharedLine;
    fn make_writer(&'a self) -> SharedLine {
        SharedLine
    }
}

/// One event's writer: tracing writes an event's line in one call.
struct SharedLine;

impl std::io::Write for SharedLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match WRITER.get() {
            Some(w) => w.lock().unwrap_or_else(|e| e.into_inner()).write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match WRITER.get() {
            Some(w) => w.lock().unwrap_or_else(|e| e.into_inner()).flush(),
            None => Ok(()),
        }
    }
}

/// Writes what the log still owes (the count of repeated lines) before the
/// process exits.
pub fn finish() {
    if let Some(w) = WRITER.get() {
        w.lock().unwrap_or_else(|e| e.into_inner()).finish();
    }
}

/// Records a command's failure in the runtime log (`--log`) the way runc
/// does: containerd's shim reads the last `"level":"error"` JSON line to
/// report why a command failed.
pub fn record_failure(flags: &GlobalFlags, message: &str) {
    let Some(path) = &flags.log else {
        return;
    };
    use std::io::Write;
    let time = crate::rfc3339::now();
    let line = if flags.log_format == "json" {
        serde_json::json!({"level": "error", "msg": message, "time": time}).to_string()
    } else {
        format!("time={time:?} level=error msg={message:?}")
    };
    if let Some(mut f) = RUNTIME_LOG.get() {
        let _ = writeln!(f, "{line}");
    } else if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(f, "{line}");
    }
}

/// The runtime log (`--log`) when it came as a descriptor (`--log-fd`).
static RUNTIME_LOG: std::sync::OnceLock<File> = std::sync::OnceLock::new();
