//! Reading a benchmark program's result line, `ns_per_call: X` (the
//! unit of a "call" is the program's own: a stat, a MiB, a file...).

use tests::Output;
use tests::Status;

/// The number from the program's "ns_per_call: X" line, or why the run
/// produced none.
pub fn ns_per_call(out: &Output) -> Result<f64, String> {
    if out.timed_out {
        return Err("timed out".to_string());
    }
    if out.status != Status::Exited(0) {
        return Err(format!("{}: {}", out.status, last_line(&out.stderr)));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("ns_per_call: "))
        .ok_or_else(|| format!("no ns_per_call line in output: {}", last_line(&out.stdout)))?
        .trim()
        .parse()
        .map_err(|e| format!("bad ns_per_call value: {e}"))
}

fn last_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("(no output)")
        .trim()
        .to_string()
}
