//! Real programs, not written for this suite, run natively and in the sandbox
//! with the same output: shells running scripts (pipelines, subshells, jobs,
//! traps), file tools in pipelines, script(1) on a pty.

use std::path::{Path, PathBuf};

use tests::{Expect, assert_same_binary};

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name)
}

/// `shell script` natively and sandboxed, or a printed skip when the shell is missing.
fn run_script(shell: &str, args: &[&str], name: &str) {
    let label = format!("{shell} {args:?} {name}");
    if !Path::new(shell).is_file() {
        tests::skip::report(&format!("{label}: {shell} is not installed"));
        return;
    }
    let path = script(name);
    let mut all: Vec<&str> = args.to_vec();
    all.push(path.to_str().expect("utf-8 path"));
    assert_same_binary(&label, Path::new(shell), &all, &Expect::exit(0));
}

#[test]
fn dash_runs_shell_features() {
    run_script("/bin/dash", &[], "shell_features.sh");
}

#[test]
fn bash_runs_shell_features() {
    run_script("/bin/bash", &[], "shell_features.sh");
}

#[test]
fn busybox_sh_runs_shell_features() {
    run_script("/bin/busybox", &["sh"], "shell_features.sh");
}

#[test]
fn file_tools_in_pipelines() {
    run_script("/bin/bash", &[], "file_tools.sh");
}

#[test]
fn python_runs_processes_threads_and_signals() {
    run_script("/usr/bin/python3", &[], "python_features.py");
}

#[test]
fn bash_runs_process_substitution_and_coprocesses() {
    run_script("/bin/bash", &[], "bash_features.sh");
}

#[test]
fn script_runs_commands_on_a_pty() {
    if !Path::new("/usr/bin/script").is_file() {
        tests::skip::report("terminal.sh: script (util-linux) is not installed");
        return;
    }
    run_script("/bin/bash", &[], "terminal.sh");
}

#[test]
fn python_subprocess_closes_all_but_pass_fds() {
    run_script("/usr/bin/python3", &[], "python_pass_fds.py");
}
