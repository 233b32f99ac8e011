//! `runsc features`: what this runtime supports, as the runtime-spec's
//! features document (features.md) says, the way `runc features` prints it.
//! Only what runsc acts on is listed.

use serde_json::{Value, json};

use crate::boot_spec::CAP_NAMES;
use crate::hooks::HookKind;

pub fn run(_args: liboci_cli::Features) -> anyhow::Result<i32> {
    println!("{}", serde_json::to_string_pretty(&features())?);
    Ok(0)
}

pub fn features() -> Value {
    let hooks: Vec<&str> = [
        HookKind::Prestart,
        HookKind::CreateRuntime,
        HookKind::CreateContainer,
        HookKind::StartContainer,
        HookKind::Poststart,
        HookKind::Poststop,
    ]
    .iter()
    .map(|k| k.name())
    .collect();
    json!({
        "ociVersionMin": "1.0.0",
        "ociVersionMax": oci_spec::runtime::VERSION,
        "hooks": hooks,
        // The bundle reader acts on these; other options are ignored.
        "mountOptions": ["bind", "rbind", "ro", "rw"],
        "linux": {
            // The sandbox kernel gives a container its own of each of these;
            // user and cgroup namespaces are not implemented.
            "namespaces": ["ipc", "mount", "network", "pid", "uts"],
            "capabilities": &CAP_NAMES[..],
            "cgroup": {"v1": true, "v2": true, "systemd": false, "systemdUser": false, "rdma": false},
            // linux.seccomp of the spec is not applied yet.
            "seccomp": {"enabled": false},
            "apparmor": {"enabled": false},
            "selinux": {"enabled": false},
            "intelRdt": {"enabled": false},
            "mountExtensions": {"idmap": {"enabled": false}}
        },
        "annotations": {
            "dev.runsc.version": env!("CARGO_PKG_VERSION"),
            "dev.runsc.platforms": "ptrace"
        }
    })
}
