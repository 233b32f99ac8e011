//! The core assertion: the sandbox does what Linux does.

use crate::compile::{Variant, program};
use crate::diff::line_diff;
use crate::report;
use crate::run::{Output, run_native, run_sandboxed};
use crate::status::Status;
use std::path::Path;

/// What Linux does, checked on the native run before the sandbox is
/// compared with it: a wrong native run is a test bug, not a sandbox bug.
#[derive(Clone, Debug)]
pub struct Expect {
    pub status: Status,
    /// Exact stdout, for programs not written for this suite (busybox).
    /// Our C programs check themselves and print "FAIL:" instead.
    pub stdout: Option<String>,
}

impl Expect {
    pub fn exit(code: i32) -> Expect {
        Expect {
            status: Status::Exited(code),
            stdout: None,
        }
    }

    pub fn signal(sig: i32) -> Expect {
        Expect {
            status: Status::Signaled(sig),
            stdout: None,
        }
    }

    pub fn with_stdout(self, stdout: impl Into<String>) -> Expect {
        Expect {
            stdout: Some(stdout.into()),
            ..self
        }
    }
}

/// `tests/c/<name>.c` built as `variant` exits 0 natively and behaves the
/// same in the sandbox.
pub fn assert_same(name: &str, variant: Variant, args: &[&str]) {
    assert_same_expect(name, variant, args, Expect::exit(0));
}

/// Like [`assert_same`] with an explicit native expectation.
pub fn assert_same_expect(name: &str, variant: Variant, args: &[&str], expect: Expect) {
    let label = format!("{name} [{}] {args:?}", variant.name());
    match program(name, variant) {
        Ok(prog) => assert_same_binary(&label, &prog, args, &expect),
        Err(skip) => skip.report(&label),
    }
}

/// Runs `prog args...` natively, checks `expect`, then requires the
/// sandbox to produce the same stdout and the corresponding exit status.
pub fn assert_same_binary(label: &str, prog: &Path, args: &[&str], expect: &Expect) {
    let native = run_native(prog, args);
    check_native(label, &native, expect);
    let sandbox = run_sandboxed(prog, args);
    let problems = differences(&native, &sandbox);
    if !problems.is_empty() {
        panic!("{}", report::mismatch(label, &native, &sandbox, &problems));
    }
}

fn check_native(label: &str, native: &Output, expect: &Expect) {
    let mut problems = Vec::new();
    if native.timed_out {
        problems.push("timed out".to_string());
    }
    if native.status != expect.status {
        problems.push(format!(
            "expected status: {}, got: {}",
            expect.status, native.status
        ));
    }
    let stdout = String::from_utf8_lossy(&native.stdout);
    if stdout.lines().any(|l| l.starts_with("FAIL:")) {
        problems.push("the program reported a failed check (FAIL: line)".to_string());
    }
    match &expect.stdout {
        Some(want) if *want != stdout => problems.push(format!(
            "stdout differs from expected:\n{}",
            line_diff(want, &stdout)
        )),
        _ => {}
    }
    if !problems.is_empty() {
        panic!(
            "{label}: the native run does not do what the test expects of Linux \
             (a bug in the test, or an unusual host):\n  * {}\n{}",
            problems.join("\n  * "),
            report::describe("native", native)
        );
    }
}

fn differences(native: &Output, sandbox: &Output) -> Vec<String> {
    let mut problems = Vec::new();
    if sandbox.timed_out {
        problems.push("the sandbox run timed out".to_string());
    }
    let want = native.status.as_runsc_exit();
    if sandbox.status != want {
        problems.push(format!(
            "status: natively {}, so runsc must have {}; runsc {}",
            native.status, want, sandbox.status
        ));
    }
    if native.stdout != sandbox.stdout {
        problems.push("stdout differs".to_string());
    }
    problems
}
