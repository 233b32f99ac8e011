//! Skipped tests. A skip is reported on stderr ("SKIP: ..."), never silent.

use std::fmt;
use std::io::Write;

/// Why a test could not run on this host.
#[derive(Clone, Debug)]
pub struct Skip(pub String);

impl Skip {
    /// Prints the reason; the caller then returns from the test.
    pub fn report(&self, test: &str) {
        report(&format!("{test}: {}", self.0));
    }
}

/// Prints "SKIP: <what>" straight to the process's stderr: `eprintln!` is
/// captured by the test harness and hidden for passing tests, a direct
/// write is not, so skips show up in plain `cargo test` output.
pub fn report(what: &str) {
    let _ = writeln!(std::io::stderr(), "SKIP: {what}");
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
