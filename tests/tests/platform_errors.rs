//! Sandbox-only: application input that once reached the platform as a bad
//! host call (registers PTRACE_SETREGS refuses, a call into the vsyscall page
//! the stub's seccomp filter killed, an empty munmap injected into the stub)
//! leaves no error in the debug log. The compat tests check what the
//! application sees; this checks the sandbox did not fail on the way.

use std::fs;
use tests::paths::ctests_dir;
use tests::report::describe;
use tests::{SandboxOptions, Status, Variant, program, run_sandboxed_with};

fn runs_without_errors(name: &str) {
    let label = format!("{name} [static]");
    let prog = match program(name, Variant::Static) {
        Ok(p) => p,
        Err(skip) => return skip.report(&label),
    };
    let dir = ctests_dir().join("logs");
    fs::create_dir_all(&dir).expect("create ctests/logs");
    let log = dir.join(format!("{name}-{}.log", std::process::id()));
    let _ = fs::remove_file(&log);
    let opts = SandboxOptions {
        debug_log: Some(log.clone()),
    };
    let out = run_sandboxed_with(&opts, &prog, &[]);
    assert!(
        out.status == Status::Exited(0),
        "{label}: want exit 0\n{}",
        describe("sandbox", &out)
    );
    let text = fs::read_to_string(&log).unwrap_or_default();
    let errors: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" ERROR ") || l.contains("platform failed"))
        .collect();
    assert!(
        errors.is_empty(),
        "{label}: the debug log {} has errors:\n{}",
        log.display(),
        errors.join("\n")
    );
    let _ = fs::remove_file(&log);
}

#[test]
fn bad_registers_leave_no_platform_error() {
    runs_without_errors("bad_registers");
}

#[test]
fn vsyscalls_leave_no_platform_error() {
    runs_without_errors("vsyscall");
}

#[test]
fn unmap_edges_leave_no_platform_error() {
    runs_without_errors("unmap_edges");
}

#[test]
fn far_calls_leave_no_platform_error() {
    runs_without_errors("far_call");
}
