//! Running application code under `PTRACE_SYSEMU` until it traps.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use abi::signal::{SI_KERNEL, SIGBUS, SIGSEGV, SIGSYS};

use super::INTERRUPT_SIGNAL;
use super::address_space::PtraceAddressSpace;
use super::stub_seccomp::{VSYSCALL_ENTRIES, VSYSCALL_TRAP_DATA};
use super::thread::Stop;
use crate::cpu_state::Regs;
use crate::{AddressSpace, Context, CpuState, Error, Exit, Result, SigInfo};

/// `si_code` of a signal sent with `tgkill`.
const SI_TKILL: i32 = -6;

pub(crate) struct PtraceContext {
    /// `pid << 32 | tid` of the stub thread while it runs application code, else 0.
    running: AtomicU64,
    interrupt_pending: AtomicBool,
}

impl PtraceContext {
    pub fn new() -> PtraceContext {
        PtraceContext {
            running: AtomicU64::new(0),
            interrupt_pending: AtomicBool::new(false),
        }
    }

    fn space(space: &Arc<dyn AddressSpace>) -> Result<&PtraceAddressSpace> {
        space
            .as_any()
            .downcast_ref::<PtraceAddressSpace>()
            .ok_or_else(|| Error::Unsupported("not a ptrace address space".into()))
    }

    fn take_interrupt(&self) -> bool {
        self.interrupt_pending.swap(false, Ordering::SeqCst)
    }
}

/// Linux's user address limit (`TASK_SIZE_MAX`, 4-level paging): PTRACE_SETREGS
/// refuses segment bases at or above it.
const TASK_SIZE_MAX: u64 = 0x7fff_ffff_f000;

/// Whether PTRACE_SETREGS takes `regs` (the checks of the kernel's `putreg`):
/// segment bases below `TASK_SIZE_MAX`, selectors (16 bits) null or of user
/// privilege, and `cs`/`ss` not null. Everything else it takes (a bad `rip`
/// or selector then faults on the way to user mode, as on Linux).
fn host_accepts(regs: &Regs) -> bool {
    let user_or_null = |sel: u64| {
        let sel = sel & 0xffff;
        sel == 0 || sel & 3 == 3
    };
    regs.fs_base < TASK_SIZE_MAX
        && regs.gs_base < TASK_SIZE_MAX
        && [regs.ds, regs.es, regs.fs, regs.gs, regs.cs, regs.ss]
            .into_iter()
            .all(user_or_null)
        && regs.cs & 0xffff != 0
        && regs.ss & 0xffff != 0
}

/// The vsyscall entry a SIGSYS from the stub filter's vsyscall trap was for.
fn vsyscall_trap(signo: i32, info: &SigInfo) -> Option<u64> {
    /// `si_code` of a SIGSYS raised by a seccomp filter.
    const SYS_SECCOMP: i32 = 1;
    // si_errno (the filter's SECCOMP_RET_DATA) is the upper half of word 0;
    // si_call_addr is where `addr()` reads.
    let data = (info.words[0] >> 32) as u32;
    let addr = info.addr();
    (signo == SIGSYS
        && info.code() == SYS_SECCOMP
        && data == VSYSCALL_TRAP_DATA
        && VSYSCALL_ENTRIES.iter().any(|&(entry, _)| entry == addr))
    .then_some(addr)
}

/// A register write the host refused for its values (not a dead thread,
/// which is ESRCH).
fn is_refusal(e: &Error) -> bool {
    matches!(
        e,
        Error::Host {
            errno: nix::errno::Errno::EIO | nix::errno::Errno::EINVAL,
            ..
        }
    )
}

impl Context for PtraceContext {
    fn switch(&self, space: &Arc<dyn AddressSpace>, cpu: &mut CpuState) -> Result<Exit> {
        let slot = Self::space(space)?.current_thread()?;
        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        if std::mem::take(&mut slot.pending_interrupt) {
            return Ok(Exit::Interrupted);
        }
        let thread = slot.thread;
        // State the host refuses to load (registers PTRACE_SETREGS rejects
        // with EIO, an XSAVE image PTRACE_SETREGSET rejects with EINVAL): on
        // Linux the thread would fault on its way back to user mode, so that
        // is what the application gets, never a platform error.
        let refused = || {
            tracing::debug!("application state the host refuses: {:?}", cpu.regs);
            Ok(Exit::Signal(SigInfo::new(SIGSEGV, SI_KERNEL)))
        };
        if !host_accepts(&cpu.regs) {
            return refused();
        }
        let set = match slot.host_regs {
            Some(host) if host == cpu.regs => Ok(()),
            Some(host)
                if Regs {
                    rax: cpu.regs.rax,
                    ..host
                } == cpu.regs =>
            {
                thread.set_rax(cpu.regs.rax)
            }
            _ => thread.set_regs(&cpu.regs),
        };
        match set {
            Ok(()) => slot.host_regs = Some(cpu.regs),
            Err(e) if is_refusal(&e) => {
                slot.host_regs = None;
                return refused();
            }
            Err(e) => return Err(e),
        }
        if cpu.fp.is_dirty() {
            match thread.set_fp(cpu.fp.bytes()) {
                Ok(()) => cpu.fp.mark_written(),
                Err(e) if is_refusal(&e) => return refused(),
                Err(e) => return Err(e),
            }
        }

        // Publish that we run before checking for an interrupt, so that an
        // interrupter either sees us running (and signals the stub) or we see its flag.
        self.running.store(
            ((thread.pid as u64) << 32) | thread.tid as u64,
            Ordering::SeqCst,
        );
        if self.take_interrupt() {
            self.running.store(0, Ordering::SeqCst);
            return Ok(Exit::Interrupted);
        }
        let stop = thread.sysemu().and_then(|()| thread.wait());
        self.running.store(0, Ordering::SeqCst);
        let stop = stop?;

        cpu.fp.invalidate();
        cpu.regs = thread.get_regs()?;
        slot.host_regs = Some(cpu.regs);
        match stop {
            Stop::Syscall => Ok(Exit::Syscall),
            Stop::Signal(signo) => {
                let info = thread.get_siginfo()?;
                if signo == INTERRUPT_SIGNAL
                    && info.code() == SI_TKILL
                    && info.pid() == std::process::id() as i32
                {
                    self.take_interrupt();
                    return Ok(Exit::Interrupted);
                }
                let code = info.code();
                if let Some(addr) = vsyscall_trap(signo, &info) {
                    // The host emulated a call into the vsyscall page and our
                    // stub filter trapped it (`stub_seccomp.rs`); the registers
                    // go back to the call, for the sentry to serve it.
                    if cpu.regs.rip != addr {
                        // The host already emulated the `ret` of the skipped call.
                        cpu.regs.rip = addr;
                        cpu.regs.rsp = cpu.regs.rsp.wrapping_sub(8);
                    }
                    cpu.regs.orig_rax = u64::MAX;
                    return Ok(Exit::Vsyscall { addr });
                }
                if (signo == SIGSEGV || signo == SIGBUS) && code > 0 && code != SI_KERNEL {
                    return Ok(Exit::Fault {
                        signo,
                        addr: info.addr(),
                        code,
                    });
                }
                Ok(Exit::Signal(info))
            }
            // A group stop or event we did not ask for: let the task loop come back.
            Stop::Event(_) => Ok(Exit::Interrupted),
        }
    }

    fn interrupt(&self) {
        self.interrupt_pending.store(true, Ordering::SeqCst);
        let running = self.running.load(Ordering::SeqCst);
        if running != 0 {
            let (pid, tid) = ((running >> 32) as i32, running as u32 as i32);
            // SAFETY: tgkill only sends a signal; a stale pid/tid pair at worst
            // signals a thread that is gone (ESRCH), which is harmless.
            unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, INTERRUPT_SIGNAL) };
        }
    }

    fn load_fp(&self, space: &Arc<dyn AddressSpace>, cpu: &mut CpuState) -> Result<()> {
        if cpu.fp.is_loaded() || cpu.fp.is_dirty() {
            return Ok(());
        }
        let slot = Self::space(space)?.current_thread()?;
        let slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        slot.thread.get_fp(cpu.fp.buffer_for_load())?;
        cpu.fp.mark_loaded();
        Ok(())
    }
}
