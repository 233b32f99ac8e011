//! Signals sent to the sandbox process from the host (a terminal's ^C, a
//! `kill` of runsc's child, a runtime stopping the container) go to the
//! container's first process, as runc's init would receive them; the
//! terminal's own signals (^C, ^\, ^Z, a resize) go to the foreground group
//! of the container's terminal when it has one, as the host would send them
//! to the foreground group of a runc container's pty. The
//! sandbox is often the init of its PID namespace, which the host kernel
//! only signals when a handler is installed: so each forwarded signal gets a
//! handler that does nothing and stays blocked, and one thread takes them
//! with sigwait.

use std::sync::Arc;

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use sentry::kernel::Kernel;

/// The signals runsc passes on to a container, as runc does every signal
/// but those it handles itself (SIGWINCH goes to a terminal's foreground
/// group, as a resize): not SIGCHLD (a runtime's own), SIGPIPE, SIGXCPU and SIGXFSZ (the host sends
/// them to runsc for runsc's own writes and limits), SIGABRT (a runsc
/// abort), SIGTTIN and SIGTTOU (blocked, they would turn the sandbox's
/// background reads and writes of a terminal into EIO instead of stopping
/// it), nor the synchronous faults. `run`, `do` and exec waiters pass
/// these on to the sandbox, and the sandbox to the container.
pub const FORWARDED: [Signal; 13] = [
    Signal::SIGHUP,
    Signal::SIGINT,
    Signal::SIGQUIT,
    Signal::SIGTERM,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGALRM,
    Signal::SIGCONT,
    Signal::SIGTSTP,
    Signal::SIGVTALRM,
    Signal::SIGPROF,
    Signal::SIGPWR,
    Signal::SIGWINCH,
];

extern "C" fn ignore(_: i32) {}

/// `FORWARDED` as a set.
pub fn set() -> SigSet {
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

/// Makes the container's terminal (stdin, a pty runsc made for a console
/// socket) the sandbox's controlling terminal, so that the host sends its
/// ^C, ^\, ^Z and resizes to the sandbox. Must run before any thread starts.
pub fn take_terminal() -> anyhow::Result<()> {
    claim_terminal()
        .map_err(|e| anyhow::anyhow!("making the console the controlling terminal: {e}"))
}

/// A new session whose controlling terminal is stdin. Only raw system calls
/// and no allocation: it also runs between fork and exec.
pub fn claim_terminal() -> std::io::Result<()> {
    // SAFETY: setsid takes no arguments.
    if unsafe { libc::setsid() } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: TIOCSCTTY takes an integer argument (0: do not steal).
    if unsafe { libc::ioctl(0, libc::TIOCSCTTY, 0) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The signals a terminal generates.
fn from_terminal(sig: Signal) -> bool {
    matches!(
        sig,
        Signal::SIGINT | Signal::SIGQUIT | Signal::SIGTSTP | Signal::SIGWINCH
    )
}

/// Who gets `sig`: the foreground group of the container's terminal for the
/// terminal's signals (when it has one), else the container's first process.
fn targets(kernel: &Kernel, sig: Signal) -> Vec<i32> {
    use sentry::fsimpl::tty::Terminal;
    if from_terminal(sig)
        && let Some(tty) = sentry::fs::host_tty::HostTty::of(0)
        && let Some(pgrp) = tty.job().get().pgrp
    {
        let members = kernel.tree.group_members(pgrp);
        if !members.is_empty() {
            return members;
        }
    }
    vec![sentry::task::tree::INIT_PID]
}

/// Starts the thread that passes every forwarded signal on to the
/// container.
pub fn start(kernel: Arc<Kernel>) -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name("forward-signals".into())
        .spawn(move || {
            let set = set();
            while let Ok(sig) = set.wait() {
                let signo = sig as i32;
                let code = if from_terminal(sig) {
                    abi::signal::SI_KERNEL
                } else {
                    abi::signal::SI_USER
                };
                let info = abi::types::SigInfo::new(signo, code).with_sender(0, 0);
                for pid in targets(&kernel, sig) {
                    tracing::debug!(signo, pid, "forwarding a host signal");
                    let _ = sentry::task::signal_process(&kernel, pid, signo, info);
                }
            }
        })?;
    Ok(())
}
