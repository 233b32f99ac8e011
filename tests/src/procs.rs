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

/// The parent of `pid`, from /proc/PID/stat.
pub fn parent(pid: u32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which may hold spaces.
    let after = &stat[stat.rfind(')')? + 2..];
    after.split(' ').nth(1)?.parse().ok()
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
    descendants(root).into_iter().find(|&p| {
        fs::read(format!("/proc/{p}/cmdline"))
            .is_ok_and(|c| c.split(|&b| b == 0).any(|a| a == b"boot"))
    })
}

/// `field` of /proc/PID/status in KiB (`VmRSS:`, `VmHWM:`...).
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
