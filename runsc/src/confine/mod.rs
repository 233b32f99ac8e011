//! Making the sandbox process (`runsc boot`) a security boundary of its own,
//! beyond the sentry's emulation: it starts in new namespaces
//! (`namespaces.rs`), as root of its own user namespace who is host `nobody`
//! where the host allows it (`userns.rs`), and once it holds everything it needs from the host it
//! moves into an empty root (`pivot.rs`), drops every capability
//! (`caps.rs`), sets `no_new_privs` and installs a seccomp allowlist on every
//! thread (`seccomp.rs`, rules in `sentry_rules.rs`).

pub mod caps;
mod keeper_filter;
mod namespaces;
mod pivot;
pub mod seccomp;
pub mod sentry_rules;
mod userns;

use anyhow::Context;

pub use namespaces::{NamespacePlan, NetworkNamespace, network_from_spec, spawn_boot};

/// Confines the calling `runsc boot` for good: empty root, no capabilities,
/// `no_new_privs`, the sentry's seccomp filter (`memfd`: the memory file).
///
/// Call it once boot holds every host resource it needs (the memory file,
/// the gofer connections, the spec, inherited descriptors) and before it
/// starts any thread: capabilities are per thread. Host files the sentry
/// reads later are read here first (`sentry::host::prime_host_files`).
pub fn confine_boot(memfd: i32) -> anyhow::Result<()> {
    sentry::host::prime_host_files();
    fix_malloc_arenas();
    pivot::enter_empty_root().context("leaving the host's filesystem")?;
    caps::drop_all().context("dropping capabilities")?;
    caps::set_no_new_privs()?;
    let facts = sentry_rules::Facts { memfd };
    // RUNSC_SECCOMP=log (in runsc's environment): log calls outside the
    // allowlist to the kernel's audit log instead of killing the sandbox.
    let mode = match std::env::var("RUNSC_SECCOMP").as_deref() {
        Ok("log") => seccomp::Mode::Log,
        _ => seccomp::Mode::Enforce,
    };
    seccomp::install(&facts, mode).context("the sentry's seccomp filter")
}

/// glibc's malloc counts the host's CPUs (reading /sys and /proc) the first
/// time a thread needs a new arena; fix its arena limit now, at its own
/// default of 8 per CPU, so that it never has to look.
fn fix_malloc_arenas() {
    // SAFETY: sysconf only reads system information (here, while /sys is
    // still reachable).
    let cpus = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1);
    // SAFETY: mallopt sets one malloc parameter.
    unsafe { libc::mallopt(libc::M_ARENA_MAX, (8 * cpus) as i32) };
}
