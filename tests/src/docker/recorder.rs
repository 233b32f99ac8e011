//! Wrapper runtimes that write down how they were called: a shell script
//! given to dockerd as a runtime's path, which appends its arguments (one
//! line per call) to a log, keeps the OCI spec of each `create` and the
//! process of each `exec`, and
//! then execs the real runtime with the same arguments, stdio and
//! environment.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::shell_quote;

/// A wrapper and where it writes.
pub struct Recorder {
    pub wrapper: PathBuf,
    pub log: PathBuf,
    /// Where the config.json of each `create` and the process.json of each
    /// `exec` is kept: `PREFIX.N.json`, N counting the calls before it.
    spec_prefix: PathBuf,
}

impl Recorder {
    /// Writes `dir/NAME` (the wrapper), which logs to `dir/NAME.calls` and
    /// execs `target`.
    pub fn create(dir: &Path, name: &str, target: &Path) -> Result<Recorder, String> {
        fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
        let rec = Recorder {
            wrapper: dir.join(name),
            log: dir.join(format!("{name}.calls")),
            spec_prefix: dir.join(format!("{name}.spec")),
        };
        let script = format!(
            r#"#!/bin/sh
# Written by the docker test harness: log the call, then run the runtime.
line= prev= spec=
for a in "$@"; do
    case $a in
        *[!A-Za-z0-9_./=:,@%+-]*|'') q="'$a'" ;;
        *) q=$a ;;
    esac
    line="$line${{line:+ }}$q"
    case $prev in
        --bundle|-b) spec=$a/config.json ;;
        --process|-p) spec=$a ;;
    esac
    prev=$a
done
# Nothing may go to stderr: it is the container's.
if [ -n "$spec" ]; then
    n=0
    [ -f {log} ] && n=$(wc -l < {log})
    cp "$spec" {spec}.$((n)).json 2>/dev/null
fi
printf '%s\n' "$line" >> {log}
exec {target} "$@"
"#,
            log = shell_quote(&rec.log.to_string_lossy()),
            spec = shell_quote(&rec.spec_prefix.to_string_lossy()),
            target = shell_quote(&target.to_string_lossy()),
        );
        fs::write(&rec.wrapper, script).map_err(|e| format!("{}: {e}", rec.wrapper.display()))?;
        fs::set_permissions(&rec.wrapper, fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("chmod {}: {e}", rec.wrapper.display()))?;
        Ok(rec)
    }

    /// The calls so far, with `dir` written `<dir>` and container and exec
    /// ids (64 hex digits) written `<id>`, so runs can be compared. A
    /// `create` comes with the OCI spec it was given, an `exec` with its
    /// process.
    pub fn calls(&self, dir: &Path) -> Vec<(String, Option<Value>)> {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .enumerate()
            .map(|(i, l)| {
                let spec = fs::read_to_string(format!("{}.{i}.json", self.spec_prefix.display()))
                    .ok()
                    .and_then(|s| serde_json::from_str(&normalize(&s, dir)).ok());
                (normalize(l, dir), spec)
            })
            .collect()
    }
}

/// `spec` as `path = value` lines, leaves only: `mounts.7.destination = "/x"`.
pub fn flatten(spec: &Value) -> Vec<(String, String)> {
    fn walk(v: &Value, path: String, out: &mut Vec<(String, String)>) {
        let join = |k: &str| {
            if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            }
        };
        match v {
            Value::Object(m) => m.iter().for_each(|(k, v)| walk(v, join(k), out)),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, v)| walk(v, join(&i.to_string()), out)),
            leaf => out.push((path, leaf.to_string())),
        }
    }
    let mut out = Vec::new();
    walk(spec, String::new(), &mut out);
    out
}

/// What `spec` has that `base` has not, and what it lacks, as
/// `+ path = value` / `- path = value` lines.
pub fn spec_diff(base: &Value, spec: &Value) -> Vec<String> {
    let (a, b) = (flatten(base), flatten(spec));
    let mut out: Vec<String> = b
        .iter()
        .filter(|e| !a.contains(e))
        .map(|(p, v)| format!("+ {p} = {v}"))
        .collect();
    out.extend(
        a.iter()
            .filter(|e| !b.contains(e))
            .map(|(p, v)| format!("- {p} = {v}")),
    );
    out
}

/// `line` with `dir` as `<dir>`, each run of 64 hex digits as `<id>` and
/// of 12 as `<short-id>`.
pub fn normalize(line: &str, dir: &Path) -> String {
    let line = line.replace(&*dir.to_string_lossy(), "<dir>");
    let mut out = String::with_capacity(line.len());
    let mut hex = String::new();
    let flush = |hex: &mut String, out: &mut String| {
        if hex.len() == 64 {
            out.push_str("<id>");
        } else if hex.len() == 12 {
            // A short id: the container's hostname, say.
            out.push_str("<short-id>");
        } else {
            out.push_str(hex);
        }
        hex.clear();
    };
    for c in line.chars() {
        if c.is_ascii_hexdigit() && !c.is_ascii_uppercase() {
            hex.push(c);
        } else {
            flush(&mut hex, &mut out);
            out.push(c);
        }
    }
    flush(&mut hex, &mut out);
    out
}
