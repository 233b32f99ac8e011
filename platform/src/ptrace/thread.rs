//! One traced stub thread: register access, resuming, waiting and syscall injection.
//!
//! Every call here must come from the thread that traces `tid` (ptrace is per
//! tracer thread).

use abi::types::SigInfo;
use nix::errno::Errno;

use super::stub_page::StubPage;
use crate::cpu_state::Regs;
use crate::{Error, Result};

/// `NT_X86_XSTATE`: the regset of the full XSAVE area.
const NT_X86_XSTATE: libc::c_int = 0x202;

/// How a traced thread stopped (or ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// A syscall-entry stop (`SIGTRAP | 0x80` with `PTRACE_O_TRACESYSGOOD`).
    Syscall,
    /// A signal-delivery stop for `signo`.
    Signal(i32),
    /// A `PTRACE_EVENT_*` stop (clone, exit, or the stop of a seized thread).
    Event(i32),
}

/// The options every stub thread is traced with: syscall stops are told apart
/// from SIGTRAPs, a dying tracer takes the stub with it (the stub must never run
/// untraced), and threads the stub clones start traced (see `stub_threads.rs`).
pub(crate) fn trace_options() -> nix::sys::ptrace::Options {
    use nix::sys::ptrace::Options;
    Options::PTRACE_O_TRACESYSGOOD | Options::PTRACE_O_EXITKILL | Options::PTRACE_O_TRACECLONE
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct TracedThread {
    pub pid: i32,
    pub tid: i32,
}

impl TracedThread {
    fn pid_t(&self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(self.tid)
    }

    pub fn get_regs(&self) -> Result<Regs> {
        nix::sys::ptrace::getregs(self.pid_t()).map_err(Error::host("PTRACE_GETREGS"))
    }

    pub fn set_regs(&self, regs: &Regs) -> Result<()> {
        nix::sys::ptrace::setregs(self.pid_t(), *regs).map_err(Error::host("PTRACE_SETREGS"))
    }

    /// Writes `rax` alone: much cheaper than PTRACE_SETREGS, which also rewrites the
    /// segment registers and bases (most syscalls only change the return value).
    pub fn set_rax(&self, value: u64) -> Result<()> {
        // Offset of `rax` in `struct user` (11th word of user_regs_struct).
        const RAX_OFFSET: usize = 10 * 8;
        nix::sys::ptrace::write_user(
            self.pid_t(),
            RAX_OFFSET as *mut libc::c_void,
            value as libc::c_long,
        )
        .map_err(Error::host("PTRACE_POKEUSER"))
    }

    /// Reads the XSAVE area into `buf` (whose length is the XSAVE size).
    pub fn get_fp(&self, buf: &mut [u8]) -> Result<()> {
        self.regset(
            libc::PTRACE_GETREGSET,
            buf.as_mut_ptr(),
            buf.len(),
            "PTRACE_GETREGSET",
        )
    }

    /// Writes the XSAVE area from `buf`.
    pub fn set_fp(&self, buf: &[u8]) -> Result<()> {
        // PTRACE_SETREGSET only reads through the pointer.
        self.regset(
            libc::PTRACE_SETREGSET,
            buf.as_ptr() as *mut u8,
            buf.len(),
            "PTRACE_SETREGSET",
        )
    }

    fn regset(
        &self,
        req: libc::c_uint,
        ptr: *mut u8,
        len: usize,
        what: &'static str,
    ) -> Result<()> {
        let mut iov = libc::iovec {
            iov_base: ptr.cast(),
            iov_len: len,
        };
        // SAFETY: `iov` describes a live buffer of `len` bytes owned by the caller for
        // the duration of the call; the kernel reads or writes at most `len` bytes.
        let r = unsafe {
            libc::ptrace(
                req,
                self.tid,
                NT_X86_XSTATE as usize,
                &mut iov as *mut libc::iovec,
            )
        };
        if r < 0 {
            Err(Error::Host {
                what,
                errno: Errno::last(),
            })
        } else {
            Ok(())
        }
    }

    pub fn get_siginfo(&self) -> Result<SigInfo> {
        let mut info = SigInfo { words: [0; 16] };
        // SAFETY: SigInfo is a 128-byte repr(C) buffer, the size of siginfo_t, which
        // PTRACE_GETSIGINFO fills.
        let r = unsafe {
            libc::ptrace(
                libc::PTRACE_GETSIGINFO,
                self.tid,
                0usize,
                &mut info as *mut SigInfo,
            )
        };
        if r < 0 {
            return Err(Error::Host {
                what: "PTRACE_GETSIGINFO",
                errno: Errno::last(),
            });
        }
        Ok(info)
    }

    /// Resumes with `PTRACE_SYSEMU`: the next syscall stops before it runs, and is
    /// never executed by the host.
    pub fn sysemu(&self) -> Result<()> {
        nix::sys::ptrace::sysemu(self.pid_t(), None).map_err(Error::host("PTRACE_SYSEMU"))
    }

    /// Resumes with `PTRACE_CONT`, suppressing any signal it stopped for.
    pub fn cont(&self) -> Result<()> {
        nix::sys::ptrace::cont(self.pid_t(), None).map_err(Error::host("PTRACE_CONT"))
    }

    /// Sets the tracing options (with `extra` ones on top of [`trace_options`]).
    pub fn set_options(&self, extra: nix::sys::ptrace::Options) -> Result<()> {
        nix::sys::ptrace::setoptions(self.pid_t(), trace_options() | extra)
            .map_err(Error::host("PTRACE_SETOPTIONS"))
    }

    /// Becomes the calling thread's tracee without a signal (`PTRACE_SEIZE`), then
    /// asks it to stop (`PTRACE_INTERRUPT`); the caller waits for the stop.
    pub fn seize_and_stop(&self) -> Result<()> {
        nix::sys::ptrace::seize(self.pid_t(), trace_options())
            .map_err(Error::host("PTRACE_SEIZE"))?;
        nix::sys::ptrace::interrupt(self.pid_t()).map_err(Error::host("PTRACE_INTERRUPT"))
    }

    /// Stops tracing the thread, which resumes where its registers say, with no
    /// signal.
    pub fn detach(&self) -> Result<()> {
        nix::sys::ptrace::detach(self.pid_t(), None).map_err(Error::host("PTRACE_DETACH"))
    }

    /// Waits for the thread's next stop. Its death is an error: the sentry decides
    /// when a stub dies, so an unexpected death means the sandbox is broken.
    pub fn wait(&self) -> Result<Stop> {
        let mut status = 0;
        loop {
            // SAFETY: plain waitpid on our own traced thread with a valid out pointer.
            let r = unsafe { libc::waitpid(self.tid, &mut status, libc::__WALL) };
            if r >= 0 {
                break;
            }
            let e = Errno::last();
            if e != Errno::EINTR {
                return Err(Error::Host {
                    what: "waitpid",
                    errno: e,
                });
            }
        }
        if libc::WIFSTOPPED(status) {
            let sig = libc::WSTOPSIG(status);
            return Ok(match sig {
                s if s == libc::SIGTRAP | 0x80 => Stop::Syscall,
                _ if status >> 16 != 0 => Stop::Event(status >> 16),
                s => Stop::Signal(s),
            });
        }
        let how = if libc::WIFEXITED(status) {
            format!("exited with {}", libc::WEXITSTATUS(status))
        } else {
            format!("killed by signal {}", libc::WTERMSIG(status))
        };
        Err(Error::StubDied {
            pid: self.pid,
            status: how,
        })
    }

    /// Runs one host syscall inside the stub, from the stub page's `syscall`
    /// instruction, and returns its raw result. `template` supplies the other
    /// registers. The thread must be stopped; afterwards its registers are the
    /// injection's, so the caller restores the application's before resuming it.
    ///
    /// A signal that arrives meanwhile (an interrupt) is suppressed and reported
    /// through the returned flag, so the caller can honour it at its next switch.
    pub fn inject(
        &self,
        stub: &StubPage,
        template: &Regs,
        nr: i64,
        args: [u64; 6],
    ) -> Result<(i64, bool)> {
        let mut regs = *template;
        regs.rax = nr as u64;
        regs.orig_rax = u64::MAX;
        regs.rdi = args[0];
        regs.rsi = args[1];
        regs.rdx = args[2];
        regs.r10 = args[3];
        regs.r8 = args[4];
        regs.r9 = args[5];
        regs.rip = stub.syscall_addr();
        self.set_regs(&regs)?;
        let mut interrupted = false;
        loop {
            self.cont()?;
            match self.wait()? {
                Stop::Signal(libc::SIGTRAP) => {
                    let after = self.get_regs()?;
                    if after.rip == stub.trap_addr() {
                        return Ok((after.rax as i64, interrupted));
                    }
                    return Err(Error::Unsupported(format!(
                        "injected syscall {nr} trapped at {:#x}, not the stub",
                        after.rip
                    )));
                }
                Stop::Signal(libc::SIGSYS) => {
                    return Err(Error::Unsupported(format!(
                        "injected syscall {nr} was refused by the stub's seccomp filter"
                    )));
                }
                // The injected clone made a thread; `stub_threads` collects it.
                Stop::Event(libc::PTRACE_EVENT_CLONE) => {}
                // An interrupt (or a stray stop) arrives before the stub runs: note it, go on.
                Stop::Signal(super::INTERRUPT_SIGNAL)
                | Stop::Signal(libc::SIGSTOP)
                | Stop::Event(_) => interrupted = true,
                // A signal from outside (a terminal's ^C reaches the stubs in
                // the sandbox's process group): the stub did not cause it, so
                // it is dropped (continuing passes no signal) and the call goes on.
                Stop::Signal(sig) if !is_fault_signal(sig) => {
                    tracing::debug!(
                        sig,
                        "a host signal reached a stub during an injected call; dropped"
                    );
                }
                other => {
                    let at = self.get_regs().map(|r| r.rip).unwrap_or(0);
                    let info = self.get_siginfo().ok();
                    return Err(Error::Unsupported(format!(
                        "injected syscall {nr} stopped unexpectedly: {other:?} at {at:#x} ({info:?})"
                    )));
                }
            }
        }
    }
}

/// The signals a stub gets for what its own code did; any other signal
/// stop comes from outside (a terminal's ^C reaches the stubs in the
/// sandbox's process group) and is dropped.
pub(crate) fn is_fault_signal(sig: i32) -> bool {
    matches!(
        sig,
        libc::SIGILL | libc::SIGTRAP | libc::SIGBUS | libc::SIGFPE | libc::SIGSEGV | libc::SIGSYS
    )
}
