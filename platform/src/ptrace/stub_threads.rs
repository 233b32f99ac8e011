//! Stub threads: one per application thread, each traced by the sentry thread
//! that runs it.
//!
//! Tracers are threads, so a new stub thread has to change hands. The parent's
//! tracer injects `clone` into its own stub thread; `PTRACE_O_TRACECLONE` makes
//! the child start traced by that same tracer, stopped before it runs anything.
//! The tracer points the child at an injected `pause` and detaches it without a
//! signal (a SIGSTOP would group-stop every thread of the stub, disturbing the
//! other sentry threads), so the child sleeps untraced until the adopting
//! sentry thread seizes it and stops it with `PTRACE_INTERRUPT`.
//!
//! Ending a thread injects `exit` (the thread-only exit: SIGKILL would end the
//! whole stub), waits for its exit stop and detaches, so that the kernel reaps
//! it. A tracer cannot wait for the death of a thread-group leader while other
//! threads live, so waiting for the death itself is not an option.

use nix::errno::Errno;

use super::stub_page::StubPage;
use super::thread::{Stop, TracedThread};
use crate::cpu_state::Regs;
use crate::{Error, Result};

/// The flags of the injected `clone`: a thread of the stub, sharing everything a
/// thread shares. The stub's seccomp filter admits exactly these.
pub const CLONE_FLAGS: u64 = (libc::CLONE_VM
    | libc::CLONE_FS
    | libc::CLONE_FILES
    | libc::CLONE_SIGHAND
    | libc::CLONE_THREAD
    | libc::CLONE_SYSVSEM) as u64;

/// How many unexpected stops to step over while waiting for an expected one.
const STRAY_STOPS: usize = 16;

/// A new stub thread between its tracers, asleep in `pause`.
pub(crate) struct Orphan {
    pub thread: TracedThread,
    /// Registers to start injections from (the parent's).
    pub template: Regs,
}

/// Registers that run host call `nr` from the stub page's `syscall`, with
/// `orig_rax` cleared so that the kernel never restarts whatever call the thread
/// was stopped in.
fn call_regs(stub: &StubPage, template: &Regs, nr: i64, arg0: u64) -> Regs {
    Regs {
        rip: stub.syscall_addr(),
        rax: nr as u64,
        orig_rax: u64::MAX,
        rdi: arg0,
        ..*template
    }
}

/// Creates a stub thread next to `parent` (traced by the calling thread) and
/// leaves it untraced, asleep. Returns it and whether an interrupt for `parent`
/// arrived meanwhile.
pub(crate) fn clone(
    parent: &TracedThread,
    stub: &StubPage,
    template: &Regs,
) -> Result<(Orphan, bool)> {
    // No new stack: the child returns from `clone` onto the stub page's `int3`
    // and never touches memory before its tracer takes it over.
    let (ret, interrupted) = parent.inject(
        stub,
        template,
        libc::SYS_clone,
        [CLONE_FLAGS, 0, 0, 0, 0, 0],
    )?;
    if ret < 0 {
        return Err(Error::Host {
            what: "clone(stub)",
            errno: Errno::from_raw(-ret as i32),
        });
    }
    let child = TracedThread {
        pid: parent.pid,
        tid: ret as i32,
    };
    // A thread attached through PTRACE_O_TRACECLONE starts with a SIGSTOP (an
    // event stop when its parent was seized).
    loop {
        match child.wait()? {
            Stop::Signal(libc::SIGSTOP) | Stop::Event(libc::PTRACE_EVENT_STOP) => break,
            // A signal from outside before the thread's first stop: dropped.
            Stop::Signal(sig) if !super::thread::is_fault_signal(sig) => child.cont()?,
            other => {
                let _ = child.set_regs(&call_regs(stub, template, libc::SYS_exit, 0));
                let _ = child.detach();
                return Err(Error::Unsupported(format!(
                    "new stub thread {} stopped unexpectedly: {other:?}",
                    child.tid
                )));
            }
        }
    }
    child.set_regs(&call_regs(stub, template, libc::SYS_pause, 0))?;
    child.detach()?;
    let orphan = Orphan {
        thread: child,
        template: *template,
    };
    Ok((orphan, interrupted))
}

/// Makes the calling thread the tracer of `orphan` and leaves it stopped.
pub(crate) fn adopt(orphan: &Orphan, stub: &StubPage) -> Result<()> {
    let thread = &orphan.thread;
    thread.seize_and_stop()?;
    for _ in 0..STRAY_STOPS {
        match thread.wait()? {
            // The stop PTRACE_INTERRUPT asked for (out of `pause`, or before it).
            Stop::Event(libc::PTRACE_EVENT_STOP) => {
                let regs = call_regs(stub, &orphan.template, 0, 0);
                return thread.set_regs(&Regs { rax: 0, ..regs });
            }
            // A signal came first: suppress it; the interrupt's stop is still due.
            _ => thread.cont()?,
        }
    }
    Err(Error::Unsupported(format!(
        "adopted stub thread {} does not stop",
        thread.tid
    )))
}

/// Ends `thread` (traced by the calling thread) with `exit(0)` and lets the
/// kernel reap it.
pub(crate) fn exit(thread: &TracedThread, stub: &StubPage, template: &Regs) -> Result<()> {
    thread.set_options(nix::sys::ptrace::Options::PTRACE_O_TRACEEXIT)?;
    thread.set_regs(&call_regs(stub, template, libc::SYS_exit, 0))?;
    for _ in 0..STRAY_STOPS {
        thread.cont()?;
        match thread.wait()? {
            Stop::Event(libc::PTRACE_EVENT_EXIT) => return thread.detach(),
            Stop::Signal(libc::SIGSYS) => {
                return Err(Error::Unsupported(
                    "exit was refused by the stub's seccomp filter".into(),
                ));
            }
            // An interrupt (or another stray stop) before the stub ran: go on.
            _ => {}
        }
    }
    Err(Error::Unsupported(format!(
        "stub thread {} does not exit",
        thread.tid
    )))
}
