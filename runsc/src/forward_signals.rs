//! Signals sent to the sandbox process from the host (a terminal's ^C, a
//! `kill` of runsc's child, a runtime stopping the container) go to the
//! container's first process, as runc's init would receive them. The
//! sandbox is often the init of its PID namespace, which the host kernel
//! only signals when a handler is installed: so each forwarded signal gets a
//! handler that does nothing and stays blocked, and one thread takes them
//! with sigwait.

use std::sync::Arc;

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use sentry::kernel::Kernel;

const FORWARDED: [Signal; 9] = [
    Signal::SIGHUP,
    Signal::SIGINT,
    Signal::SIGQUIT,
    Signal::SIGTERM,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGCONT,
    Signal::SIGTSTP,
    Signal::SIGWINCH,
];

extern "C" fn ignore(_: i32) {}

fn set() -> SigSet {
    let mut set = SigSet::empty();
    for s in FORWARDED {
        set.add(s);
    }
    set
}

/// Blocks the forwarded signals on the calling thread (so every thread
/// started after inherits the mask) and installs their handlers. Must run
/// before the sandbox starts any thread.
pub fn block() -> anyhow::Result<()> {
    set().thread_block()?;
    let action = SigAction::new(
        SigHandler::Handler(ignore),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for s in FORWARDED {
        // SAFETY: the handler does nothing, so it is async-signal-safe; it
        // only runs if a thread unblocks the signal, which none does.
        unsafe { sigaction(s, &action) }?;
    }
    Ok(())
}

/// Starts the thread that passes every forwarded signal on to the
/// container's first process.
pub fn start(kernel: Arc<Kernel>) -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name("forward-signals".into())
        .spawn(move || {
            let set = set();
            while let Ok(sig) = set.wait() {
                let signo = sig as i32;
                tracing::debug!(signo, "forwarding a host signal to the container");
                let info = abi::types::SigInfo::new(signo, abi::signal::SI_USER).with_sender(0, 0);
                let _ = sentry::task::signal_process(
                    &kernel,
                    sentry::task::tree::INIT_PID,
                    signo,
                    info,
                );
            }
        })?;
    Ok(())
}
