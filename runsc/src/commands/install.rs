//! `runsc install` / `runsc uninstall`: add or remove this runsc as a runtime
//! in Docker's daemon.json, as gVisor's commands of the same names do.
//!
//! Every other key of the file is kept (objects come back with their keys
//! sorted, as Go's encoder writes them). A file that is not a JSON object is
//! refused and left untouched; the new file replaces the old one by rename,
//! so a reader sees either the old or the new file, never half of one.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use serde_json::{Map, Value};

const DEFAULT_CONFIG: &str = "/etc/docker/daemon.json";

#[derive(Args, Debug)]
pub struct InstallArgs {
    /// The runtime's name in daemon.json (`docker run --runtime=NAME`).
    #[arg(long, default_value = "runsc")]
    pub runtime: String,
    /// Docker's daemon configuration file; created if missing.
    #[arg(long = "config-file", alias = "config_file", default_value = DEFAULT_CONFIG)]
    pub config_file: PathBuf,
    /// Replace an entry of that name that runs another binary (gVisor's
    /// runsc, say); without it, install refuses.
    #[arg(long)]
    pub replace: bool,
    /// Flags Docker passes to runsc on every call, given after `--`.
    #[arg(last = true, value_name = "FLAGS")]
    pub runtime_args: Vec<String>,
}

#[derive(Args, Debug)]
pub struct UninstallArgs {
    /// The runtime's name in daemon.json.
    #[arg(long, default_value = "runsc")]
    pub runtime: String,
    /// Docker's daemon configuration file.
    #[arg(long = "config-file", alias = "config_file", default_value = DEFAULT_CONFIG)]
    pub config_file: PathBuf,
}

pub fn install(args: InstallArgs) -> anyhow::Result<i32> {
    if args.runtime.is_empty() {
        bail!("--runtime must not be empty");
    }
    let exe = std::env::current_exe().context("finding this runsc binary")?;
    let exe = exe.canonicalize().unwrap_or(exe);
    let exe = exe
        .to_str()
        .with_context(|| format!("the path of runsc is not UTF-8: {}", exe.display()))?;
    let mut config = read_config(&args.config_file, true)?;
    let runtimes = runtimes_of(&mut config, &args.config_file)?;
    if let Some(other) = runtimes
        .get(&args.runtime)
        .and_then(|e| e.get("path"))
        .and_then(Value::as_str)
        .filter(|&p| p != exe)
        && !args.replace
    {
        bail!(
            "runtime {:?} in {} runs {other}, not this runsc ({exe}): pass --replace to \
             replace it, or --runtime NAME to add this one under another name",
            args.runtime,
            args.config_file.display()
        );
    }
    let entry = serde_json::json!({ "path": exe, "runtimeArgs": args.runtime_args });
    let replaced = runtimes.insert(args.runtime.clone(), entry).is_some();
    write_config(&args.config_file, &config)?;
    println!(
        "{} runtime {:?} ({exe}, arguments {:?}) in {}",
        if replaced { "Updated" } else { "Added" },
        args.runtime,
        args.runtime_args,
        args.config_file.display()
    );
    if in_build_directory(exe) {
        println!(
            "Note: {exe} is a build output that the next `cargo build` or `cargo clean` \
             changes; for a stable path, `cargo install --path runsc` or copy it to \
             /usr/local/bin and install from there."
        );
    }
    println!(
        "Reload dockerd for Docker to see it: `kill -HUP $(pidof dockerd)` or `systemctl reload docker`."
    );
    Ok(0)
}

/// Whether `exe` lies in a cargo target directory (`.../target/debug/...`).
fn in_build_directory(exe: &str) -> bool {
    let parts: Vec<&str> = exe.split('/').collect();
    parts
        .windows(2)
        .any(|w| w[0] == "target" && matches!(w[1], "debug" | "release"))
}

pub fn uninstall(args: UninstallArgs) -> anyhow::Result<i32> {
    let mut config = read_config(&args.config_file, false)?;
    let runtimes = runtimes_of(&mut config, &args.config_file)?;
    if runtimes.remove(&args.runtime).is_none() {
        bail!(
            "runtime {:?} not found in {}",
            args.runtime,
            args.config_file.display()
        );
    }
    write_config(&args.config_file, &config)?;
    println!(
        "Removed runtime {:?} from {}",
        args.runtime,
        args.config_file.display()
    );
    Ok(0)
}

/// The file's top-level object. A missing file is an empty object when
/// `may_be_missing`; an empty file is one too (dockerd reads it so).
fn read_config(path: &Path, may_be_missing: bool) -> anyhow::Result<Map<String, Value>> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && may_be_missing => String::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => bail!("{} is not a JSON object; left unchanged", path.display()),
        Err(e) => bail!("{} is not valid JSON ({e}); left unchanged", path.display()),
    }
}

/// The "runtimes" object, made if absent.
fn runtimes_of<'a>(
    config: &'a mut Map<String, Value>,
    path: &Path,
) -> anyhow::Result<&'a mut Map<String, Value>> {
    match config
        .entry("runtimes")
        .or_insert_with(|| Value::Object(Map::new()))
    {
        Value::Object(map) => Ok(map),
        _ => bail!(
            "\"runtimes\" in {} is not a JSON object; left unchanged",
            path.display()
        ),
    }
}

/// Writes a sibling temporary file, syncs it and renames it over `path`,
/// keeping the old file's permissions (0644 for a new file).
fn write_config(path: &Path, config: &Map<String, Value>) -> anyhow::Result<()> {
    // A daemon.json that is a symlink stays one: its target is replaced.
    let path = &fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut text = serde_json::to_string_pretty(config).context("encoding the configuration")?;
    text.push('\n');
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mode = fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
    let name = path
        .file_name()
        .with_context(|| format!("{} names no file", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.runsc-{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    // The rename is durable once the directory is synced.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
