//! `runsc`: run containers on the sandbox's own kernel.

mod boot_spec;
mod bundle;
// Used by the OCI lifecycle commands (create/start/delete/events) once they land.
#[allow(dead_code, unused_imports)]
mod cgroups;
mod cli;
mod commands;
#[allow(dead_code)]
mod hooks;
mod inherited_fd;
mod logging;
#[allow(dead_code)]
mod oci_state;
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
