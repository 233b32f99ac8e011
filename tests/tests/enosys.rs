//! Sandbox-only: an unimplemented syscall answers ENOSYS and is named in the
//! debug log, so missing syscalls can be found from logs.
//!
//! acct(2) is used because our sandbox does not implement it. It is not
//! compared with native: on the host acct(NULL) succeeds as root, fails with
//! EPERM otherwise, or ENOSYS without CONFIG_BSD_PROCESS_ACCT.

use std::fs;
use tests::paths::ctests_dir;
use tests::report::describe;
use tests::{SandboxOptions, Status, Variant, program, run_sandboxed_with};

fn acct_is_enosys_and_logged(variant: Variant) {
    let label = format!("enosys acct [{}]", variant.name());
    let prog = match program("enosys", variant) {
        Ok(p) => p,
        Err(skip) => return skip.report(&label),
    };
    let dir = ctests_dir().join("logs");
    fs::create_dir_all(&dir).expect("create ctests/logs");
    let log = dir.join(format!(
        "enosys-acct-{}-{}.log",
        variant.name(),
        std::process::id()
    ));
    let _ = fs::remove_file(&log);

    let opts = SandboxOptions {
        debug_log: Some(log.clone()),
    };
    let out = run_sandboxed_with(&opts, &prog, &["acct"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status == Status::Exited(0) && stdout == "acct: ENOSYS\n",
        "{label}: want exit 0 and stdout \"acct: ENOSYS\"\n{}",
        describe("sandbox", &out)
    );
    let text = fs::read_to_string(&log).unwrap_or_else(|e| {
        panic!(
            "{label}: debug log {} not readable: {e}\n{}",
            log.display(),
            describe("sandbox", &out)
        )
    });
    assert!(
        text.contains("acct"),
        "{label}: debug log {} does not mention acct ({} bytes)",
        log.display(),
        text.len()
    );
    let _ = fs::remove_file(&log);
}

#[test]
fn acct_static_exe() {
    acct_is_enosys_and_logged(Variant::Static);
}

#[test]
fn acct_static_pie() {
    acct_is_enosys_and_logged(Variant::StaticPie);
}

#[test]
fn acct_dynamic() {
    acct_is_enosys_and_logged(Variant::Dynamic);
}
