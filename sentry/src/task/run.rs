//! The task loop: run application code until it traps, serve the trap, repeat.

use platform::Exit;

use super::{ExitStatus, Task};

impl Task {
    /// Runs the task until its thread group exits. An `Err` means the sandbox itself
    /// failed (a platform error), not the application.
    pub fn run(&mut self) -> Result<ExitStatus, platform::Error> {
        crate::fsimpl::proc::set_current_pid(self.pid);
        loop {
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

    /// A synchronous signal the application cannot handle yet: the default action
    /// (terminate) applies. Handlers are delivered once signal frames exist.
    fn fatal_signal(&self, signo: i32) -> ExitStatus {
        if self.signals.action(signo).handler > 1 {
            tracing::warn!(
                "signal {signo} has a handler, but signal delivery is not implemented yet: terminating"
            );
        }
        ExitStatus::Signaled(signo)
    }
}
