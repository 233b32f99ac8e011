//! The results table.

use crate::runners::{Measured, NATIVE, OURS};
use std::fmt::Write;

/// One row per runner: ns/call and its ratio to native and to ours, or the
/// reason the runner could not run.
pub fn render(results: &[(&str, Measured)]) -> String {
    let find = |name: &str| {
        results
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, r)| r.as_ref().ok().copied())
    };
    let native = find(NATIVE);
    let ours = find(OURS);
    let width = results
        .iter()
        .map(|(n, _)| n.len())
        .max()
        .unwrap_or(0)
        .max("runtime".len());
    let mut s = format!(
        "{:<width$}  {:>10}  {:>10}  {:>10}\n",
        "runtime", "ns/call", "vs native", "vs ours"
    );
    for (name, result) in results {
        match result {
            Ok(ns) => {
                let _ = writeln!(
                    s,
                    "{name:<width$}  {ns:>10.1}  {:>10}  {:>10}",
                    ratio(*ns, native),
                    ratio(*ns, ours)
                );
            }
            Err(reason) => {
                let _ = writeln!(s, "{name:<width$}  not run: {reason}");
            }
        }
    }
    s
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
        let table = render(&results);
        assert!(table.contains("1.50x"), "{table}");
        assert!(table.contains("not run: runsc binary not found"), "{table}");
    }
}
