//! Reading an OCI bundle's config.json into a boot specification.

use std::path::Path;

use anyhow::{Context, bail};
use oci_spec::runtime::Spec;

use crate::boot_spec::{
    BootSpec, CAP_NAMES, CapabilitySets, MountSpec, ProcessConfig, RLIMIT_NAMES, Rlimit,
};

/// A bundle's config and what the sandbox makes of it.
pub struct Bundle {
    pub config: Spec,
    pub boot: BootSpec,
}

/// Loads and checks `BUNDLE/config.json`.
pub fn load(bundle: &Path) -> anyhow::Result<Bundle> {
    let config = bundle.join("config.json");
    if !config.exists() {
        bail!("{} does not exist (is --bundle right?)", config.display());
    }
    let spec = parse_config(&config)?;
    let boot = boot_spec(bundle, &spec)?;
    Ok(Bundle { config: spec, boot })
}

/// The flags among a mount's options that the sandbox keeps per mount.
fn mount_flags(options: &[String]) -> Vec<String> {
    options
        .iter()
        .filter(|o| matches!(o.as_str(), "nosuid" | "nodev" | "noexec"))
        .cloned()
        .collect()
}

/// Mounts every container gets that the sandbox makes itself (its own
/// /proc, /sys, /dev and /dev/pts), whatever config.json says of them.
fn provided_by_sandbox(fs_type: &str, destination: &str) -> bool {
    matches!(
        (fs_type, destination),
        ("proc", "/proc") | ("sysfs", "/sys") | ("tmpfs", "/dev") | ("devpts", "/dev/pts")
    )
}

/// Parses config.json; a malformed one is refused naming the field, line
/// and column (`process.user.uid: invalid type: string "x", expected u32 at
/// line 9 column 21`).
fn parse_config(path: &Path) -> anyhow::Result<Spec> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut de = serde_json::Deserializer::from_str(&text);
    let spec: Spec = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = e.path().to_string();
        let inner = e.into_inner();
        if at == "." {
            anyhow::anyhow!("{}: {inner}", path.display())
        } else {
            anyhow::anyhow!("{}: {at}: {inner}", path.display())
        }
    })?;
    de.end()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(spec)
}

/// The sandbox's view of a checked config.
fn boot_spec(bundle: &Path, spec: &Spec) -> anyhow::Result<BootSpec> {
    let process = spec
        .process()
        .as_ref()
        .context("config.json: process is missing")?;
    let args = process.args().clone().unwrap_or_default();
    if args.is_empty() || args[0].is_empty() {
        bail!("config.json: process.args must name a program");
    }
    let cwd = process.cwd().to_string_lossy().into_owned();
    if !cwd.starts_with('/') {
        bail!("config.json: process.cwd {cwd:?} is not absolute");
    }
    let root = spec
        .root()
        .as_ref()
        .context("config.json: root is missing")?;
    let root_path = bundle.join(root.path());
    if !root_path.is_dir() {
        bail!(
            "rootfs {} does not exist or is not a directory",
            root_path.display()
        );
    }
    let root_path = root_path
        .canonicalize()
        .with_context(|| format!("resolving {}", root_path.display()))?;
    let user = process.user();
    let mut rlimits = Vec::new();
    for r in process.rlimits().iter().flatten() {
        let name = serde_json::to_value(r.typ())?
            .as_str()
            .unwrap_or_default()
            .to_string();
        let resource = RLIMIT_NAMES
            .iter()
            .position(|&n| n == name)
            .with_context(|| format!("config.json: unknown rlimit {name:?}"))?;
        if r.soft() > r.hard() {
            bail!(
                "config.json: rlimit {name}: soft limit {} is above hard limit {}",
                r.soft(),
                r.hard()
            );
        }
        rlimits.push(Rlimit {
            resource: resource as u32,
            soft: r.soft(),
            hard: r.hard(),
        });
    }
    let mut mounts = Vec::new();
    for m in spec.mounts().iter().flatten() {
        let destination = m.destination().to_string_lossy().into_owned();
        let fs_type = m.typ().clone().unwrap_or_default();
        let options: Vec<String> = m.options().clone().unwrap_or_default();
        let readonly = options.iter().any(|o| o == "ro");
        let is_bind = fs_type == "bind" || options.iter().any(|o| o == "bind" || o == "rbind");
        if is_bind {
            let source = m
                .source()
                .clone()
                .context("config.json: a bind mount needs a source")?;
            let source = if source.is_absolute() {
                source
            } else {
                bundle.join(source)
            };
            // Symlinks in the source are the host's to follow (as runc does); the
            // gofer then serves exactly what they lead to.
            let source = match source.canonicalize() {
                Ok(s) if s.is_dir() || s.is_file() => s,
                // As runc: a missing source fails the create.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                    "bind mount source {} (for {destination}) does not exist: {e}",
                    source.display()
                ),
                _ => {
                    tracing::warn!(source = %source.display(), "bind mount source is not a directory or regular file; skipped");
                    continue;
                }
            };
            mounts.push(MountSpec {
                destination,
                fs_type: "bind".into(),
                source: Some(source),
                readonly,
                options: Vec::new(),
                flags: mount_flags(&options),
            });
        } else if provided_by_sandbox(&fs_type, &destination) {
            tracing::debug!(%destination, %fs_type, "mount made by the sandbox itself");
        } else if fs_type == "tmpfs" {
            // The filesystem's own options (key=value); flags like nosuid
            // are the mount's.
            let options = m
                .options()
                .iter()
                .flatten()
                .filter(|o| o.contains('='))
                .cloned()
                .collect();
            let flags = mount_flags(m.options().as_deref().unwrap_or_default());
            mounts.push(MountSpec {
                destination,
                fs_type,
                source: None,
                readonly,
                options,
                flags,
            });
        } else {
            tracing::warn!(%destination, %fs_type, "mount not supported yet; skipped");
        }
    }
    let resources = spec.linux().as_ref().and_then(|l| l.resources().as_ref());
    let env = process.env().clone().unwrap_or_default();
    check_env(&env)?;
    let hostname = spec.hostname().clone().unwrap_or_default();
    if hostname.len() > HOST_NAME_MAX {
        bail!(
            "config.json: hostname is {} bytes long; at most {HOST_NAME_MAX} are allowed (HOST_NAME_MAX)",
            hostname.len()
        );
    }
    Ok(BootSpec {
        root: root_path,
        root_readonly: root.readonly().unwrap_or(false),
        overlay_only: false,
        process: ProcessConfig {
            args,
            env,
            cwd,
            uid: user.uid(),
            gid: user.gid(),
            additional_gids: user.additional_gids().clone().unwrap_or_default(),
            terminal: process.terminal().unwrap_or(false),
            capabilities: process
                .capabilities()
                .as_ref()
                .map(capability_sets)
                .transpose()?,
        },
        rlimits,
        hostname,
        mounts,
        network_namespace: crate::confine::network_from_spec(spec),
        shield_init: true,
        default_home: true,
        pids_limit: resources
            .and_then(|r| r.pids().as_ref())
            .map(|p| p.limit())
            .filter(|&n| n > 0)
            .map(|n| n as u64),
        memory_limit: resources
            .and_then(|r| r.memory().as_ref())
            .and_then(|m| m.limit())
            .filter(|&n| n > 0)
            .map(|n| n as u64),
    })
}

/// Linux's limit on a host name (sethostname fails with EINVAL past it).
const HOST_NAME_MAX: usize = 64;

/// Refuses environment entries that are not `NAME=value` with a name, as
/// runc does ("invalid environment variable").
pub fn check_env(env: &[String]) -> anyhow::Result<()> {
    for entry in env {
        match entry.split_once('=') {
            Some((name, _)) if !name.is_empty() && !entry.contains('\0') => {}
            _ => bail!("invalid environment variable: {entry:?} (want NAME=value)"),
        }
    }
    Ok(())
}

/// `process.capabilities` as bit masks; a missing set is empty.
pub fn capability_sets(c: &oci_spec::runtime::LinuxCapabilities) -> anyhow::Result<CapabilitySets> {
    let mask = |set: &Option<oci_spec::runtime::Capabilities>| -> anyhow::Result<u64> {
        let mut bits = 0;
        for cap in set.iter().flatten() {
            let name = serde_json::to_value(cap)?;
            let name = name.as_str().unwrap_or_default();
            let n = CAP_NAMES
                .iter()
                .position(|&known| known == name)
                .with_context(|| format!("config.json: unknown capability {name:?}"))?;
            bits |= 1 << n;
        }
        Ok(bits)
    };
    Ok(CapabilitySets {
        effective: mask(c.effective())?,
        permitted: mask(c.permitted())?,
        inheritable: mask(c.inheritable())?,
        bounding: mask(c.bounding())?,
        ambient: mask(c.ambient())?,
    })
}

/// Container IDs as runc accepts them.
pub fn check_id(id: &str) -> anyhow::Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 1024
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+-.".contains(c))
        && id != "."
        && id != "..";
    if !ok {
        bail!("invalid container id {id:?}: use letters, digits, '_', '+', '-' and '.'");
    }
    Ok(())
}
