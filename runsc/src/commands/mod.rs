//! One file per subcommand.

pub mod boot;
pub mod create;
pub mod delete;
mod do_cmd;
mod events;
mod exec;
mod features;
mod gofer;
pub mod install;
mod kill;
mod list;
mod pause;
mod ps;
mod run;
mod seccomp_cmd;
mod spec;
pub mod start;
mod state;
mod syscalls_cmd;
mod update;
mod wait;

use crate::cli::{Cli, Command};

/// Runs the command; returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    if !matches!(
        cli.command,
        Command::Syscalls(_) | Command::Spec(_) | Command::Features(_)
    ) {
        cli.global.validate()?;
    }
    match cli.command {
        Command::Do(args) => do_cmd::run(&cli.global, args),
        Command::Create(args) => create::run(&cli.global, args),
        Command::Start(args) => start::run(&cli.global, args),
        Command::State(args) => state::run(&cli.global, args),
        Command::Kill(args) => kill::run(&cli.global, args),
        Command::Delete(args) => delete::run(&cli.global, args),
        Command::Run(args) => run::run(&cli.global, args),
        Command::Exec(args) => exec::run(&cli.global, args),
        Command::ExecWait(args) => exec::wait(&cli.global, args),
        Command::Ps(args) => ps::run(&cli.global, args),
        Command::List(args) => list::run(&cli.global, args),
        Command::Wait(args) => wait::run(&cli.global, args),
        Command::Pause(args) => pause::pause(&cli.global, args),
        Command::Resume(args) => pause::resume(&cli.global, args),
        Command::Update(args) => update::run(&cli.global, args),
        Command::Events(args) => events::run(&cli.global, args),
        Command::Boot(args) => boot::run(&cli.global, args),
        Command::Syscalls(args) => syscalls_cmd::run(args),
        Command::Gofer(args) => gofer::run(args),
        Command::Install(args) => install::install(args),
        Command::Uninstall(args) => install::uninstall(args),
        Command::Spec(args) => spec::run(args),
        Command::Features(args) => features::run(args),
        Command::Seccomp(args) => seccomp_cmd::run(args),
    }
}
