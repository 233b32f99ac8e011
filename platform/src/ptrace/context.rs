//! Running application code under `PTRACE_SYSEMU` until it traps.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use abi::signal::{SI_KERNEL, SIGBUS, SIGSEGV};

use super::INTERRUPT_SIGNAL;
use super::address_space::PtraceAddressSpace;
use super::thread::Stop;
use crate::cpu_state::Regs;
use crate::{AddressSpace, Context, CpuState, Error, Exit, Result};

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

impl Context for PtraceContext {
    fn switch(&self, space: &Arc<dyn AddressSpace>, cpu: &mut CpuState) -> Result<Exit> {
        let slot = Self::space(space)?.current_thread()?;
        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        if std::mem::take(&mut slot.pending_interrupt) {
            return Ok(Exit::Interrupted);
        }
        let thread = slot.thread;
        match slot.host_regs {
            Some(host) if host == cpu.regs => {}
            Some(host)
                if Regs {
                    rax: cpu.regs.rax,
                    ..host
                } == cpu.regs =>
            {
                thread.set_rax(cpu.regs.rax)?
            }
            _ => thread.set_regs(&cpu.regs)?,
        }
        slot.host_regs = Some(cpu.regs);
        if cpu.fp.is_dirty() {
            thread.set_fp(cpu.fp.bytes())?;
            cpu.fp.mark_written();
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
