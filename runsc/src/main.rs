//! `runsc`: run containers on the sandbox's own kernel.

mod boot_spec;
mod bundle;
// Used by the OCI lifecycle commands (create/start/delete/events) once they land.
mod cgroups;
mod cli;
mod commands;
mod confine;
mod container;
mod control;
mod forward_signals;
mod hooks;
mod inherited_fd;
mod log_limit;
mod logging;
mod passwd;
mod relay_signals;
mod rfc3339;
mod sandbox;
mod signals;
mod table;

use clap::Parser;

fn main() {
    // Before anything can start a child.
    inherited_fd::seal_inherited();
    let mut cli = cli::Cli::parse();
    cli.settle();
    let _guard = match logging::init(&cli.global, cli.command.name()) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("runsc: {e:#}");
            std::process::exit(1);
        }
    };
    let global = cli.global.clone();
    match commands::run(cli) {
        Ok(code) => {
            logging::finish();
            std::process::exit(code)
        }
        Err(e) => {
            if global.log_format == "json" {
                logging::record_failure(&global, &format!("{e:#}"));
            } else {
                tracing::error!("{e:#}");
            }
            logging::finish();
            eprintln!("runsc: {e:#}");
            std::process::exit(1);
        }
    }
}
