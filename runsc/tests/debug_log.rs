//! The debug log is not the container's to fill: a program spinning on an
//! unsupported syscall (one warning per call) leaves a few lines and a
//! count of the repeats, and no log grows past `--log-limit`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A program calling acct(2) (unsupported in the sandbox) for `SECONDS`
/// seconds; with an argument, with a new argument each time, so that no two
/// lines are equal.
const SPINNER: &str = r#"
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
    time_t end = time(NULL) + 2;
    unsigned long n = 0;
    while (time(NULL) < end) {
        syscall(SYS_acct, argc > 1 ? n : 0);
        n++;
    }
    return 0;
}
"#;

/// The spinner, built once with the host's C compiler (the tests run in
/// parallel: one must not exec it while another writes it); `None` (with a
/// printed reason) without one.
fn spinner() -> Option<PathBuf> {
    static BUILT: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    BUILT.get_or_init(build_spinner).clone()
}

fn build_spinner() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let src = dir.join("acct-spinner.c");
    let exe = dir.join("acct-spinner");
    std::fs::write(&src, SPINNER).unwrap();
    match Command::new("cc")
        .arg("-O2")
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .status()
    {
        Ok(s) if s.success() => Some(exe),
        other => {
            tests::skip::report(&format!("debug_log: no C compiler (cc: {other:?})"));
            None
        }
    }
}

/// Runs the spinner under `runsc --debug --debug-log=DIR/ do`; returns the
/// sandbox's log (`runsc.boot.PID.log`) and the total size of the logs.
fn spin(name: &str, extra: &[&str], spinner_args: &[&str]) -> Option<(String, u64)> {
    let exe = spinner()?;
    let mut command = vec![exe.to_str().unwrap()];
    command.extend(spinner_args);
    Some(logged_run(name, extra, &command, &[]))
}

/// Runs `command` under `runsc --debug --debug-log=DIR/ [extra] do` with
/// `env` added to the environment; returns the sandbox's log
/// (`runsc.boot.PID.log`) and the total size of the logs.
fn logged_run(name: &str, extra: &[&str], command: &[&str], env: &[(&str, &str)]) -> (String, u64) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_runsc"))
        .arg(format!("--root={}", dir.join("state").display()))
        .arg("--debug")
        .arg(format!("--debug-log={}/", dir.join("logs").display()))
        .args(extra)
        .arg("do")
        .args(command)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{command:?} failed: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut boot_log = None;
    let mut total = 0;
    for entry in std::fs::read_dir(dir.join("logs")).unwrap().flatten() {
        total += entry.metadata().unwrap().len();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("runsc.boot.") {
            boot_log = Some(std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    (boot_log.expect("a log of the sandbox"), total)
}

/// The boot log names the container's environment variables but never
/// shows their values (`docker run -e PASSWORD=...`); glibc's rseq
/// registration at every start is refused without a line.
#[test]
fn no_secrets_and_no_rseq_noise_in_the_log() {
    let (log, _) = logged_run(
        "debug-log-env",
        &[],
        &["/bin/sh", "-c", "/bin/true; /bin/true"],
        &[("RUNSC_TEST_SECRET", "hunter2-value")],
    );
    assert!(log.contains("RUNSC_TEST_SECRET="), "{log}");
    assert!(
        !log.contains("hunter2-value"),
        "the value is in the log:\n{log}"
    );
    assert!(!log.contains("syscall rseq"), "{log}");
}

#[test]
fn repeated_unsupported_calls_are_counted_not_logged_each() {
    let Some((log, total)) = spin("debug-log-repeats", &[], &[]) else {
        return;
    };
    let calls = log.matches("unsupported syscall acct").count();
    assert!(
        (1..=5).contains(&calls),
        "{calls} lines for acct; want the first and no more:\n{log}"
    );
    // The repeats are counted: lines "last message repeated N times" that
    // add up to many calls.
    let repeated: u64 = log
        .lines()
        .filter_map(|l| l.split("last message repeated ").nth(1))
        .filter_map(|rest| rest.split(' ').next()?.parse::<u64>().ok())
        .sum();
    assert!(
        repeated > 100,
        "the repeats of acct are not counted ({repeated}):\n{log}"
    );
    assert!(
        total < 1 << 20,
        "the logs are {total} bytes for one message"
    );
}

#[test]
fn a_log_stops_at_its_limit() {
    let limit = 200_000u64;
    let Some((log, total)) = spin(
        "debug-log-limit",
        &[&format!("--log-limit={limit}")],
        &["count"],
    ) else {
        return;
    };
    assert!(
        log.len() as u64 <= limit,
        "the sandbox's log is {} bytes, over its limit of {limit}",
        log.len()
    );
    assert!(
        log.lines()
            .last()
            .unwrap_or_default()
            .contains("log truncated"),
        "the log does not end saying it was truncated: {} bytes, {total} in all",
        log.len()
    );
}
