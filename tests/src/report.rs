//! Failure messages: everything needed to see why a run was wrong.

use crate::diff::line_diff;
use crate::run::{Output, TIMEOUT};
use std::fmt::Write;

/// At most this many trailing stderr lines are shown (debug logs are long).
const STDERR_TAIL: usize = 80;

/// One run: command, status, stdout and the tail of stderr.
pub fn describe(what: &str, out: &Output) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{what} command: {}", out.command);
    let _ = writeln!(s, "{what} status: {}{}", out.status, timeout_note(out));
    let _ = writeln!(s, "{what} stdout:");
    s.push_str(&indent(&String::from_utf8_lossy(&out.stdout)));
    s.push_str(&stderr_tail(what, out));
    s
}

/// Native and sandbox runs that disagree: the problems found, a stdout
/// diff, both statuses and commands, and the sandbox's stderr.
pub fn mismatch(label: &str, native: &Output, sandbox: &Output, problems: &[String]) -> String {
    let mut s = format!("{label}: the sandbox differs from Linux\n");
    for p in problems {
        let _ = writeln!(s, "  * {p}");
    }
    let _ = writeln!(s, "stdout diff (\"- \" native only, \"+ \" sandbox only):");
    s.push_str(&indent(&line_diff(
        &String::from_utf8_lossy(&native.stdout),
        &String::from_utf8_lossy(&sandbox.stdout),
    )));
    let _ = writeln!(s, "native command: {}", native.command);
    let _ = writeln!(s, "native status: {}", native.status);
    let _ = writeln!(s, "sandbox command: {}", sandbox.command);
    let _ = writeln!(
        s,
        "sandbox status: {}{}",
        sandbox.status,
        timeout_note(sandbox)
    );
    s.push_str(&stderr_tail("sandbox", sandbox));
    s
}

fn timeout_note(out: &Output) -> String {
    if out.timed_out {
        format!(" (killed by the harness after {TIMEOUT:?})")
    } else {
        String::new()
    }
}

fn stderr_tail(what: &str, out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return format!("{what} stderr: (empty)\n");
    }
    let skip = lines.len().saturating_sub(STDERR_TAIL);
    let mut s = if skip > 0 {
        format!(
            "{what} stderr (last {STDERR_TAIL} of {} lines):\n",
            lines.len()
        )
    } else {
        format!("{what} stderr:\n")
    };
    s.push_str(&indent(&lines[skip..].join("\n")));
    s
}

fn indent(text: &str) -> String {
    let mut s = String::new();
    for line in text.lines() {
        let _ = writeln!(s, "    {line}");
    }
    if text.is_empty() {
        s.push_str("    (empty)\n");
    }
    s
}
