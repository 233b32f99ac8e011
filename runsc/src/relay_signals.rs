//! `runsc run` (not detached) and `runsc do` wait for their sandbox in the
//! foreground, as runc's `run` does: a signal sent to them (a `timeout`'s
//! SIGTERM, a supervisor's SIGINT) goes to the container's first process
//! instead of killing runsc and orphaning the container, and runsc goes on
//! waiting, to exit with the container's status and clean up.
//!
//! A handler (installed before the sandbox starts) sends each signal to the
//! sandbox's keeper, which passes it to the sandbox
//! (`confine::namespaces`), which passes it to the container
//! (`forward_signals`). Handlers, unlike a blocked mask, do not outlive
//! exec: runsc's children start with the default actions. A signal that
//! comes before the keeper exists waits in `PENDING` for `start`.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

/// The keeper's pid once known (0 before).
static KEEPER: AtomicI32 = AtomicI32::new(0);
/// Signals (bit N-1 for signal N) taken before the keeper was known.
static PENDING: AtomicU64 = AtomicU64::new(0);

/// What `run` and `do` pass on: `forward_signals::FORWARDED` without
/// SIGWINCH (runc forwards it only as a terminal's resize, which reaches
/// the sandbox through the terminal itself).
fn relayed() -> impl Iterator<Item = Signal> {
    crate::forward_signals::FORWARDED
        .into_iter()
        .filter(|&s| s != Signal::SIGWINCH)
}

extern "C" fn relay(sig: i32, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel hands the handler a valid siginfo.
    let code = unsafe { (*info).si_code };
    // A signal the kernel sends (a terminal's ^C to the foreground group)
    // reaches the keeper and the sandbox in the same group directly: not
    // twice.
    if code > 0 {
        return;
    }
    match KEEPER.load(Ordering::SeqCst) {
        0 => {
            PENDING.fetch_or(1 << (sig - 1), Ordering::SeqCst);
        }
        keeper => {
            // SAFETY: kill is async-signal-safe and takes no pointers.
            unsafe { libc::kill(keeper, sig) };
        }
    }
}

/// Installs the handlers, before the sandbox is started.
pub fn install() -> anyhow::Result<()> {
    let action = SigAction::new(
        SigHandler::SigAction(relay),
        SaFlags::SA_RESTART | SaFlags::SA_SIGINFO,
        SigSet::all(),
    );
    for s in relayed() {
        // SAFETY: the handler only uses atomics and kill, which are
        // async-signal-safe.
        unsafe { sigaction(s, &action) }?;
    }
    Ok(())
}

/// From now on signals go to `keeper`; those that came before go now.
pub fn start(keeper: u32) {
    KEEPER.store(keeper as i32, Ordering::SeqCst);
    let pending = PENDING.swap(0, Ordering::SeqCst);
    for s in relayed() {
        if pending & (1 << (s as i32 - 1)) != 0 {
            tracing::debug!(signal = %s, keeper, "passing an early signal on");
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(keeper as i32), s);
        }
    }
}
