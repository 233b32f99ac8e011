//! Fuzzing: Debian's trinity as an ordinary user inside `runsc do`, for a
//! fixed number of syscalls from a fixed seed, in a memory cgroup. The
//! sandbox must end on its own with trinity's success, the sentry must not
//! panic, abort or lose its platform, and its RSS must stay under the bound
//! (`tests::trinity::Config::ci`). Longer runs: see tests/README.md.

use tests::trinity::{self, Config};

#[test]
fn trinity_in_the_sandbox() {
    let config = Config::ci()
        .with_env_overrides()
        .unwrap_or_else(|e| panic!("bad TRINITY_* setting: {e}"));
    let run = match trinity::run(&config) {
        Ok(run) => run,
        Err(skip) => {
            skip.report("trinity_in_the_sandbox");
            return;
        }
    };
    let summary = run.summary();
    eprintln!("{summary}");
    let problems = run.problems();
    assert!(
        problems.is_empty(),
        "{summary}\nproblems:\n- {}\nlast output:\n{}",
        problems.join("\n- "),
        run.tail(40)
    );
}
