//! `runsc run [--detach] --bundle B ID`: create and start a container; unless
//! detached, wait for it (passing the signals sent to us on to it), remove
//! it and exit with its status.

use std::os::unix::process::ExitStatusExt;

use anyhow::Context;

use crate::cli::GlobalFlags;
use crate::commands::create::{CreateOptions, create};
use crate::container::ContainerDir;

pub fn run(global: &GlobalFlags, args: liboci_cli::Run) -> anyhow::Result<i32> {
    crate::commands::create::refuse_preserved_fds(args.preserve_fds)?;
    let opts = CreateOptions {
        id: &args.container_id,
        bundle: &args.bundle,
        pid_file: args.pid_file.as_deref(),
        console_socket: args.console_socket.as_deref(),
        detached: args.detach,
    };
    if !args.detach {
        // Before the sandbox exists: a signal from now on is passed on.
        crate::relay_signals::install()?;
    }
    let mut sandbox = create(global, &opts)?;
    if let Err(e) = crate::commands::start::start(global, &args.container_id) {
        if let Ok(locked) = ContainerDir::open(&global.root, &args.container_id) {
            let _ = crate::commands::delete::destroy(locked);
        }
        return Err(e);
    }
    if args.detach {
        return Ok(0);
    }
    tracing::info!(id = %args.container_id, "running container");
    crate::relay_signals::start(sandbox.boot.id());
    let status = sandbox.boot.wait().context("waiting for the sandbox")?;
    for g in &mut sandbox.gofers {
        let _ = g.wait();
    }
    if !args.keep {
        let locked = ContainerDir::open(&global.root, &args.container_id)?;
        crate::commands::delete::destroy(locked)?;
    }
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}
