//! The task loop: run application code until it traps, serve the trap, repeat.

use abi::signal::{SIGKILL, SIGRTMAX};
use platform::Exit;

use super::signals::{DefaultAction, SIG_DFL, SIG_IGN, UNBLOCKABLE, bit};
use super::{ExitStatus, Task};

impl Task {
    /// Runs the task until its thread group exits. An `Err` means the sandbox itself
    /// failed (a platform error), not the application.
    pub fn run(&mut self) -> Result<ExitStatus, platform::Error> {
        crate::fsimpl::proc::set_current_pid(self.pid);
        loop {
            if let Some(status) = self.act_on_signals() {
                return Ok(status);
            }
            if let Some(mask) = self.signals.saved_mask.take() {
                self.signals.mask = mask;
            }
            match self.ctx.switch(self.mm.address_space(), &mut self.cpu)? {
                Exit::Syscall => {
                    let (nr, args) = self.cpu.syscall_args();
                    let table = self.kernel.syscalls;
                    let ret = table.dispatch(self, nr, args);
                    if let Some(status) = self.exit.take() {
                        return Ok(status);
                    }
                    self.cpu.set_return(ret);
                }
                Exit::Fault { signo, addr, code } => {
                    tracing::trace!(
                        "fault at {addr:#x} code {code} rip {:#x}",
                        self.cpu.regs.rip
                    );
                    if let Err(si_code) = self.mm.handle_fault(addr, code) {
                        tracing::debug!(
                            "fault at {addr:#x} (rip {:#x}): signal {signo} code {si_code}",
                            self.cpu.regs.rip
                        );
                        return Ok(self.fatal_signal(signo));
                    }
                }
                Exit::Signal(info) => {
                    tracing::debug!("signal {info:?} at rip {:#x}", self.cpu.regs.rip);
                    return Ok(self.fatal_signal(info.signo()));
                }
                Exit::Interrupted => {}
            }
        }
    }

    /// Pending signals the thread does not block, with the mask's unblockable bits.
    fn deliverable(&self) -> u64 {
        self.process.signals.pending() & !(self.signals.mask & !UNBLOCKABLE)
    }

    /// Whether a pending signal will end the process (a blocking call should give
    /// up with EINTR so that it can).
    pub fn fatal_signal_pending(&self) -> bool {
        let deliverable = self.deliverable();
        (1..=SIGRTMAX)
            .filter(|&s| deliverable & bit(s) != 0)
            .any(|s| self.terminates(s))
    }

    fn terminates(&self, signo: i32) -> bool {
        let action = self.process.signals.action(signo);
        signo == SIGKILL
            || (action.handler == SIG_DFL && DefaultAction::of(signo) == DefaultAction::Terminate)
    }

    /// Acts on the pending signals the thread does not block: one whose action is
    /// to terminate ends the process; ignored ones are discarded. Handlers are not
    /// invoked yet, and job-control stops are not implemented: those signals are
    /// discarded with a warning.
    fn act_on_signals(&mut self) -> Option<ExitStatus> {
        let deliverable = self.deliverable();
        if deliverable == 0 {
            return None;
        }
        for signo in (1..=SIGRTMAX).filter(|&s| deliverable & bit(s) != 0) {
            if !self.process.signals.take(signo) {
                continue;
            }
            if self.terminates(signo) {
                return Some(ExitStatus::Signaled(signo));
            }
            let handler = self.process.signals.action(signo).handler;
            if handler != SIG_IGN
                && !(handler == SIG_DFL && DefaultAction::of(signo) == DefaultAction::Ignore)
            {
                tracing::warn!(
                    "process {}: signal {signo} needs a handler or a stop, which are not implemented yet: discarded",
                    self.pid
                );
            }
        }
        None
    }

    /// A synchronous signal the application cannot handle yet: the default action
    /// (terminate) applies. Handlers are delivered once signal frames exist.
    fn fatal_signal(&self, signo: i32) -> ExitStatus {
        if self.process.signals.action(signo).handler > 1 {
            tracing::warn!(
                "signal {signo} has a handler, but signal delivery is not implemented yet: terminating"
            );
        }
        ExitStatus::Signaled(signo)
    }
}
