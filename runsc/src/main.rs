//! `runsc`: run containers on the sandbox's own kernel.

mod boot_spec;
mod bundle;
mod cli;
mod commands;
mod confine;
mod inherited_fd;
mod logging;
mod sandbox;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let _guard = match logging::init(&cli.global, cli.command.name()) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("runsc: {e:#}");
            std::process::exit(1);
        }
    };
    match commands::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("runsc: {e:#}");
            std::process::exit(1);
        }
    }
}
