//! One file per subcommand.

mod boot;
mod do_cmd;
mod gofer;
mod run;
mod seccomp_cmd;
mod syscalls_cmd;

use crate::cli::{Cli, Command};

/// Runs the command; returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    if !matches!(cli.command, Command::Syscalls(_)) {
        cli.global.validate()?;
    }
    match cli.command {
        Command::Do(args) => do_cmd::run(&cli.global, args),
        Command::Run(args) => run::run(&cli.global, args),
        Command::Boot(args) => boot::run(&cli.global, args),
        Command::Syscalls(args) => syscalls_cmd::run(args),
        Command::Gofer(args) => gofer::run(args),
        Command::Seccomp(args) => seccomp_cmd::run(args),
    }
}
