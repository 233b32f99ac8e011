//! `runsc do CMD ARGS...`: sandbox a command on the host's root filesystem, with
//! the caller's environment, working directory and identity.

use anyhow::Context;

use crate::boot_spec::{BootSpec, ProcessConfig};
use crate::cli::{DoArgs, GlobalFlags};

pub fn run(global: &GlobalFlags, args: DoArgs) -> anyhow::Result<i32> {
    let cwd = std::env::current_dir().context("reading the working directory")?;
    let env = std::env::vars_os()
        .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
        .collect();
    let hostname = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    let spec = BootSpec {
        root: "/".into(),
        // The host's own root: never changed (with the overlay, changes stay in memory).
        root_readonly: true,
        overlay_only: true,
        process: ProcessConfig {
            args: args.command,
            env,
            cwd: cwd.to_string_lossy().into_owned(),
            uid: nix::unistd::getuid().as_raw(),
            gid: nix::unistd::getgid().as_raw(),
            additional_gids: Vec::new(),
            // The sandbox sees for itself whether its stdio is a terminal.
            terminal: false,
            capabilities: None,
        },
        rlimits: Vec::new(),
        hostname,
        mounts: Vec::new(),
        network_namespace: Default::default(),
        shield_init: false,
        default_home: false,
        pids_limit: None,
        // The sandbox stays in this process's cgroup: it keeps below its limit.
        memory_limit: crate::cgroups::own_memory_limit(),
    };
    crate::sandbox::run(global, &spec)
}
