//! The results tables: one per benchmark, and a summary across them.

use crate::runners::{GVISOR_NAME, Measured, NATIVE, OURS};
use std::fmt::Write;

/// Bytes in the MiB the throughput benchmarks report time per.
const MIB: f64 = 1_048_576.0;

/// One row per runner: ns per `unit` (and MB/s when `throughput`, the unit
/// then being a MiB) with its ratio to native and to ours, or the reason
/// the runner could not run. Ratios are of times: 2.00x is twice as slow.
pub fn render(unit: &str, throughput: bool, results: &[(&str, Measured)]) -> String {
    let native = find(results, NATIVE);
    let ours = find(results, OURS);
    let width = name_width(results.iter().map(|(n, _)| *n));
    let ns_header = format!("ns/{unit}");
    let nw = ns_header.len().max(10);
    let mut s = format!("{:<width$}  {ns_header:>nw$}", "runtime");
    if throughput {
        let _ = write!(s, "  {:>10}", "MB/s");
    }
    let _ = writeln!(s, "  {:>10}  {:>10}", "vs native", "vs ours");
    for (name, result) in results {
        match result {
            Ok(ns) => {
                let _ = write!(s, "{name:<width$}  {ns:>nw$.1}");
                if throughput {
                    let _ = write!(s, "  {:>10.1}", mb_per_s(*ns));
                }
                let _ = writeln!(s, "  {:>10}  {:>10}", ratio(*ns, native), ratio(*ns, ours));
            }
            Err(reason) => {
                let _ = writeln!(s, "{name:<width$}  not run: {reason}");
            }
        }
    }
    s
}

/// One benchmark's results, for the summary.
pub struct Row<'a> {
    pub bench: &'a str,
    pub unit: &'a str,
    pub results: &'a [(&'a str, Measured)],
}

/// Benchmarks down, runtimes across (ns per unit), and gVisor's time over
/// ours: above 1.00x we are ahead.
pub fn summary(rows: &[Row]) -> String {
    let labels: Vec<String> = rows
        .iter()
        .map(|r| format!("{} (ns/{})", r.bench, r.unit))
        .collect();
    let width = name_width(labels.iter().map(String::as_str).chain(["benchmark"]));
    let runtimes: Vec<&str> = rows
        .first()
        .map(|r| r.results.iter().map(|(n, _)| *n).collect())
        .unwrap_or_default();
    let gvisor_over_ours = "gVisor/ours";
    let mut s = format!("{:<width$}", "benchmark");
    for name in runtimes.iter().chain([&gvisor_over_ours]) {
        let _ = write!(s, "  {name:>w$}", w = name.len().max(10));
    }
    s.push('\n');
    for (row, label) in rows.iter().zip(&labels) {
        let _ = write!(s, "{label:<width$}");
        for name in &runtimes {
            let cell = find(row.results, name).map_or("n/a".to_string(), |ns| format!("{ns:.1}"));
            let _ = write!(s, "  {cell:>w$}", w = name.len().max(10));
        }
        let ahead = match find(row.results, GVISOR_NAME) {
            Some(g) => ratio(g, find(row.results, OURS)),
            None => "-".to_string(),
        };
        let _ = writeln!(s, "  {ahead:>w$}", w = gvisor_over_ours.len().max(10));
    }
    s
}

fn find(results: &[(&str, Measured)], name: &str) -> Option<f64> {
    results
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, r)| r.as_ref().ok().copied())
}

fn name_width<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names.map(str::len).max().unwrap_or(0).max("runtime".len())
}

fn mb_per_s(ns_per_mib: f64) -> f64 {
    if ns_per_mib > 0.0 {
        MIB / ns_per_mib * 1e3
    } else {
        0.0
    }
}

fn ratio(ns: f64, base: Option<f64>) -> String {
    match base {
        Some(b) if b > 0.0 => format!("{:.2}x", ns / b),
        _ => "-".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_and_reasons() {
        let results = [
            (NATIVE, Ok(100.0)),
            ("runc", Ok(150.0)),
            (OURS, Err("runsc binary not found".to_string())),
        ];
        let table = render("call", false, &results);
        assert!(table.contains("ns/call"), "{table}");
        assert!(table.contains("1.50x"), "{table}");
        assert!(table.contains("not run: runsc binary not found"), "{table}");
    }

    #[test]
    fn throughput_column() {
        // 1 MiB per millisecond is 1048.6 MB/s.
        let results = [(NATIVE, Ok(1e6))];
        let table = render("MiB", true, &results);
        assert!(table.contains("MB/s"), "{table}");
        assert!(table.contains("1048.6"), "{table}");
    }

    #[test]
    fn summary_compares_gvisor_with_ours() {
        let a = [
            (NATIVE, Ok(1.0)),
            (GVISOR_NAME, Ok(300.0)),
            (OURS, Ok(100.0)),
        ];
        let b = [
            (NATIVE, Ok(1.0)),
            (GVISOR_NAME, Ok(300.0)),
            (OURS, Err("failed".to_string())),
        ];
        let rows = [
            Row {
                bench: "stat",
                unit: "stat",
                results: &a,
            },
            Row {
                bench: "seq-read",
                unit: "MiB",
                results: &b,
            },
        ];
        let table = summary(&rows);
        assert!(table.contains("3.00x"), "{table}");
        assert!(table.contains("n/a"), "{table}");
        assert!(table.contains("seq-read (ns/MiB)"), "{table}");
    }
}
