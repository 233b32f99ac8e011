//! The task loop: run application code until it traps, serve the trap, act on
//! signals, repeat.

use abi::Errno;
use abi::signal::{SEGV_MAPERR, SI_KERNEL, SIGKILL, SIGSEGV};
use abi::types::{KernelSigaction, SigInfo};
use platform::Exit;

use crate::mm::FaultError;

use super::signals::{
    DefaultAction, SA_NODEFER, SA_RESETHAND, SA_RESTART, SIG_DFL, SIG_IGN, UNBLOCKABLE, bit,
    signals_in,
};
use super::{Ending, ExitStatus, Task};

/// Length of the `syscall` instruction: a restarted call re-executes it.
const SYSCALL_INSN_LEN: u64 = 2;

/// Host signals a stub gets for what its code did: SIGILL, SIGTRAP, SIGBUS,
/// SIGFPE, SIGSEGV, SIGSYS.
const SYNCHRONOUS: [i32; 6] = [4, 5, 7, 8, 11, 31];

/// What a signal does to the process, given its current action.
enum Disposition {
    Terminate,
    Ignore,
    Stop,
    Handle(KernelSigaction),
}

impl Task {
    /// Runs the task until it ends. An `Err` means the sandbox itself failed (a
    /// platform error), not the application.
    pub fn run(&mut self) -> Result<Ending, platform::Error> {
        super::current::set(&self.kernel, &self.process, &self.thread);
        loop {
            self.wait_while_stopped();
            if self.process.must_leave(self.tid) {
                return Ok(Ending::Told);
            }
            if let Some(status) = self.act_on_signals() {
                return Ok(Ending::Group(status));
            }
            // Published for senders, which discard ignored signals unless blocked.
            self.thread.set_blocked(self.signals.mask);
            match self.ctx.switch(self.mm.address_space(), &mut self.cpu)? {
                Exit::Syscall => {
                    self.last_fault = None;
                    let (nr, args) = self.cpu.syscall_args();
                    let table = self.kernel.syscalls;
                    let ret = table.dispatch(self, nr, args);
                    // The call needed memory the container does not have.
                    if self.mm.take_out_of_memory() {
                        self.out_of_memory();
                    }
                    if let Some(ending) = self.exit.take() {
                        return Ok(ending);
                    }
                    if std::mem::take(&mut self.registers_replaced) {
                        continue;
                    }
                    let errno = Errno((ret as i64).wrapping_neg() as u16);
                    if (ret as i64) < 0 && errno.is_restart() {
                        self.syscall_restart = Some(errno);
                    }
                    self.cpu.set_return(ret);
                }
                Exit::Fault { signo, addr, code } => {
                    tracing::trace!(
                        "fault at {addr:#x} code {code} rip {:#x}",
                        self.cpu.regs.rip
                    );
                    let first_try = self.last_fault.replace(addr) != Some(addr);
                    match self.mm.handle_fault(addr, code, first_try) {
                        Ok(()) => {}
                        Err(FaultError::Segv(si_code)) => {
                            tracing::debug!(
                                "task {}/{}: fault at {addr:#x} (rip {:#x}): signal {signo} code {si_code}",
                                self.pid,
                                self.tid,
                                self.cpu.regs.rip
                            );
                            self.forced = Some(SigInfo::new(signo, si_code).with_addr(addr));
                        }
                        Err(FaultError::OutOfMemory) => {
                            self.mm.take_out_of_memory();
                            self.out_of_memory();
                        }
                    }
                }
                // Only what the code did (a trap, a bad instruction) is the
                // application's; a host signal sent to the stub from outside
                // (SIGWINCH to the host terminal's foreground group, which the
                // stubs belong to) is not.
                Exit::Signal(info) if !SYNCHRONOUS.contains(&info.signo()) => {
                    tracing::debug!("host signal {} on the stub ignored", info.signo());
                }
                Exit::Signal(info) => {
                    tracing::debug!("signal {info:?} at rip {:#x}", self.cpu.regs.rip);
                    self.forced = Some(info);
                }
                Exit::Vsyscall { addr } => {
                    self.last_fault = None;
                    self.serve_vsyscall(addr);
                    if let Some(ending) = self.exit.take() {
                        return Ok(ending);
                    }
                }
                Exit::Interrupted => {}
            }
        }
    }

    /// Memory for the application ran out (the container's limit): its
    /// process is killed, as Linux's OOM killer kills in a cgroup, and the
    /// kill counted for `runsc events`.
    fn out_of_memory(&mut self) {
        self.kernel
            .oom_kills
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::warn!(
            "out of memory: killed process {} ({} bytes of application memory in use)",
            self.pid,
            self.kernel.memfile.used()
        );
        self.forced = Some(SigInfo::new(SIGKILL, abi::signal::SI_KERNEL));
    }

    /// A call into the vsyscall page, served as Linux's emulation does: the
    /// entry's system call with the caller's arguments, then a `ret` to the
    /// caller. An unreadable return address or a bad buffer is a SIGSEGV.
    fn serve_vsyscall(&mut self, addr: u64) {
        let Some(&(_, nr)) = platform::ptrace::VSYSCALL_ENTRIES
            .iter()
            .find(|&&(entry, _)| entry == addr)
        else {
            self.forced = Some(SigInfo::new(SIGSEGV, SEGV_MAPERR).with_addr(addr));
            return;
        };
        let sp = self.cpu.regs.rsp;
        let Ok(caller) = self.mm.read_obj::<u64>(sp) else {
            self.forced = Some(SigInfo::new(SIGSEGV, SI_KERNEL));
            return;
        };
        let r = &self.cpu.regs;
        let args = [r.rdi, r.rsi, r.rdx, 0, 0, 0];
        let table = self.kernel.syscalls;
        let ret = table.dispatch(self, nr as u64, args);
        if ret == Errno::EFAULT.as_return() {
            self.forced = Some(SigInfo::new(SIGSEGV, SI_KERNEL));
            return;
        }
        let r = &mut self.cpu.regs;
        r.rax = ret;
        r.rip = caller;
        r.rsp = sp.wrapping_add(8);
    }

    /// The registers were replaced by the syscall (execve, rt_sigreturn): its
    /// return value must not be written over them.
    pub fn keep_registers(&mut self) {
        self.registers_replaced = true;
    }

    /// Pending signals the thread does not block, with the mask's unblockable bits.
    fn deliverable(&self) -> u64 {
        self.process.signals.pending(&self.thread) & !(self.signals.mask & !UNBLOCKABLE)
    }

    /// Whether a blocking call should give up: a pending signal ends the
    /// process, stops it or runs a handler, or the thread must leave.
    pub fn signal_pending(&self) -> bool {
        self.process.must_leave(self.tid)
            || signals_in(self.deliverable())
                .any(|s| !matches!(self.disposition(s), Disposition::Ignore))
    }

    /// Whether a pending signal ends the process (or the thread must leave).
    pub fn fatal_signal_pending(&self) -> bool {
        self.process.must_leave(self.tid)
            || signals_in(self.deliverable())
                .any(|s| matches!(self.disposition(s), Disposition::Terminate))
    }

    fn disposition(&self, signo: i32) -> Disposition {
        let action = self.process.signals.action(signo);
        match action.handler {
            _ if signo == SIGKILL => Disposition::Terminate,
            SIG_IGN => Disposition::Ignore,
            SIG_DFL if self.kernel.shield_init && self.process.shields_default(signo) => {
                Disposition::Ignore
            }
            SIG_DFL => match DefaultAction::of(signo) {
                DefaultAction::Terminate => Disposition::Terminate,
                DefaultAction::Ignore => Disposition::Ignore,
                DefaultAction::Stop => Disposition::Stop,
            },
            _ => Disposition::Handle(action),
        }
    }

    /// Before returning to application code: a synchronous signal (a fault) first,
    /// then pending signals the thread does not block, lowest first. A signal
    /// whose action is to terminate ends the process; ignored ones are discarded;
    /// a stop stops the process; a handler gets a signal frame (one per return,
    /// as nested handlers would start on Linux). A syscall a signal interrupted
    /// is restarted or fails with EINTR.
    fn act_on_signals(&mut self) -> Option<ExitStatus> {
        let mut restart = self.syscall_restart.take();
        let mut handled = false;
        if let Some(info) = self.forced.take() {
            let signo = info.signo();
            let blocked = self.signals.mask & bit(signo) != 0;
            match self.disposition(signo) {
                Disposition::Handle(action) if !blocked => {
                    if let Some(status) = self.handle(signo, info, &action, &mut restart) {
                        return Some(status);
                    }
                    handled = true;
                }
                // A fault that cannot be handled kills, even if ignored or blocked.
                _ => return Some(ExitStatus::Signaled(signo)),
            }
        }
        let deliverable = if handled { 0 } else { self.deliverable() };
        for signo in signals_in(deliverable) {
            let Some(info) = self.process.signals.take(&self.thread, signo) else {
                continue;
            };
            match self.disposition(signo) {
                Disposition::Terminate => return Some(ExitStatus::Signaled(signo)),
                Disposition::Ignore => {}
                Disposition::Stop => {
                    self.stop_process(signo);
                    // The thread parks at the top of the loop; signals still
                    // pending are acted on once the process continues.
                    break;
                }
                Disposition::Handle(action) => {
                    if let Some(status) = self.handle(signo, info, &action, &mut restart) {
                        return Some(status);
                    }
                    handled = true;
                    break;
                }
            }
        }
        if let Some(r) = restart {
            // No handler ran: the interrupted call starts again.
            self.restart_syscall(r);
        }
        if !handled && let Some(mask) = self.signals.saved_mask.take() {
            self.signals.mask = mask;
        }
        None
    }

    /// Runs `action`'s handler for `signo` next.
    fn handle(
        &mut self,
        signo: i32,
        info: SigInfo,
        action: &KernelSigaction,
        restart: &mut Option<Errno>,
    ) -> Option<ExitStatus> {
        if let Some(r) = restart.take() {
            if r == Errno::ERESTARTSYS && action.flags & SA_RESTART != 0 {
                self.restart_syscall(r);
            } else {
                self.cpu.set_return(Errno::EINTR.as_return());
            }
        }
        let old_mask = self.signals.saved_mask.take().unwrap_or(self.signals.mask);
        if let Err(e) = self.push_signal_frame(signo, info, action, old_mask) {
            tracing::debug!(
                "process {}: no room for a frame for signal {signo}: {e}",
                self.pid
            );
            return Some(ExitStatus::Signaled(SIGSEGV));
        }
        let mut mask = self.signals.mask | action.mask;
        if action.flags & SA_NODEFER == 0 {
            mask |= bit(signo);
        }
        self.signals.mask = mask & !UNBLOCKABLE;
        if action.flags & SA_RESETHAND != 0 {
            self.process
                .signals
                .set_action(signo, KernelSigaction::default());
        }
        None
    }

    /// Makes the application execute its `syscall` again: the same call, or
    /// restart_syscall for a call that left a restart block.
    fn restart_syscall(&mut self, why: Errno) {
        let r = &mut self.cpu.regs;
        r.rip = r.rip.wrapping_sub(SYSCALL_INSN_LEN);
        r.rax = if why == Errno::ERESTART_RESTARTBLOCK {
            abi::linux::__NR_restart_syscall as u64
        } else {
            r.orig_rax
        };
    }
}
