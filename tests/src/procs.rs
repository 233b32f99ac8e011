//! The host's processes as /proc shows them: to find what a sandbox started
//! (its `runsc boot`) and how much memory it holds.

use std::fs;

/// Every pid /proc lists now.
pub fn pids() -> Vec<u32> {
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
        .collect()
}

/// The fields of /proc/PID/stat after the command name (which may hold
/// spaces): the state first, then the parent.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(String::from).collect())
}

/// The parent of `pid`.
pub fn parent(pid: u32) -> Option<u32> {
    stat_fields(pid)?.get(1)?.parse().ok()
}

/// The state letter of `pid` (R, S, D, T, Z...).
pub fn state(pid: u32) -> Option<String> {
    stat_fields(pid)?.into_iter().next()
}

/// Whether `pid` exists and is not a zombie (one is as good as gone: its
/// parent has yet to reap it).
pub fn alive(pid: u32) -> bool {
    state(pid).is_some_and(|s| s != "Z")
}

/// Whether `pid` runs `runsc [flags] boot ...`: a sandbox (the sentry). The
/// processes it traces rename themselves, so they do not match.
pub fn is_sandbox(pid: u32) -> bool {
    let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let mut args = cmdline.split(|&b| b == 0);
    let is_runsc = args.next().is_some_and(|argv0| argv0.ends_with(b"runsc"));
    is_runsc && args.any(|a| a == b"boot")
}

/// Pids of `root`'s descendants (children first).
pub fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = pids()
        .into_iter()
        .filter_map(|p| parent(p).map(|pp| (p, pp)))
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(parents.iter().filter(|&&(_, pp)| pp == p).map(|&(c, _)| c));
        i += 1;
    }
    found.remove(0);
    found
}

/// The `runsc boot` (the sandbox process) among `root`'s descendants.
pub fn sandbox_of(root: u32) -> Option<u32> {
    descendants(root).into_iter().find(|&p| is_sandbox(p))
}

/// `field` of /proc/PID/status in KiB (`VmRSS:`, `VmHWM:`...).
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
