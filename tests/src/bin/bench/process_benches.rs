//! The process and thread benchmarks: creating processes and threads, and
//! waking one from another. They read no files; `fork-exec` re-executes
//! its own binary (see benches/c/fork_exec.c), which every runtime has at
//! the path it started the program with.

use crate::benchmark::{Benchmark, Group, Setup};
use crate::data_files::DataDir;
use crate::workload::Arg;
use std::time::Duration;

pub static FORK_EXIT: Benchmark = Benchmark {
    name: "fork-exit",
    program: "fork_exit",
    unit: "fork",
    counts: "forks",
    default_count: 2_000,
    // A sandbox copies or remaps the address space per fork.
    budget_per_count: Duration::from_millis(20),
    throughput: false,
    group: Group::Processes,
    prepare: fork_exit,
};

pub static FORK_EXEC: Benchmark = Benchmark {
    name: "fork-exec",
    program: "fork_exec",
    unit: "fork+exec",
    counts: "fork+exec rounds",
    default_count: 500,
    // Loading the ~800 KiB static binary on top of the fork.
    budget_per_count: Duration::from_millis(50),
    throughput: false,
    group: Group::Processes,
    prepare: fork_exec,
};

pub static THREAD: Benchmark = Benchmark {
    name: "thread",
    program: "thread_create",
    unit: "thread",
    counts: "threads",
    default_count: 10_000,
    budget_per_count: Duration::from_millis(5),
    throughput: false,
    group: Group::Processes,
    prepare: thread,
};

pub static PIPE_PINGPONG: Benchmark = Benchmark {
    name: "pipe-pingpong",
    program: "pipe_pingpong",
    unit: "round trip",
    counts: "round trips",
    default_count: 20_000,
    budget_per_count: Duration::from_millis(2),
    throughput: false,
    group: Group::Processes,
    prepare: pipe_pingpong,
};

pub static FUTEX_PINGPONG: Benchmark = Benchmark {
    name: "futex-pingpong",
    program: "futex_pingpong",
    unit: "round trip",
    counts: "round trips",
    default_count: 20_000,
    budget_per_count: Duration::from_millis(2),
    throughput: false,
    group: Group::Processes,
    prepare: futex_pingpong,
};

/// A setup whose only argument is the count.
fn counted(description: String, count: u64) -> Result<Setup, String> {
    Ok(Setup {
        description,
        args: vec![Arg::Text(count.to_string())],
        files: Vec::new(),
    })
}

fn fork_exit(_: &DataDir, count: u64) -> Result<Setup, String> {
    counted(
        format!("fork-exit: {count} x fork, the child _exit(0)s at once, waitpid"),
        count,
    )
}

fn fork_exec(_: &DataDir, count: u64) -> Result<Setup, String> {
    counted(
        format!(
            "fork-exec: {count} x fork, the child execve()s the static benchmark binary \
             itself (argv[0]) with an argument that makes it exit at once, waitpid"
        ),
        count,
    )
}

fn thread(_: &DataDir, count: u64) -> Result<Setup, String> {
    counted(
        format!("thread: {count} x pthread_create of a thread that returns at once + pthread_join"),
        count,
    )
}

fn pipe_pingpong(_: &DataDir, count: u64) -> Result<Setup, String> {
    counted(
        format!(
            "pipe-pingpong: {count} round trips of one byte between two processes over \
             two pipes (write, the other reads and writes back, read)"
        ),
        count,
    )
}

fn futex_pingpong(_: &DataDir, count: u64) -> Result<Setup, String> {
    counted(
        format!(
            "futex-pingpong: {count} round trips between two threads taking turns on a \
             shared word (store, FUTEX_WAKE, FUTEX_WAIT until the turn is back)"
        ),
        count,
    )
}
