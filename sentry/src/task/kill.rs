//! Sending a signal to a process.

use abi::Errno;
use abi::types::SigInfo;

use crate::kernel::Kernel;

/// Makes `signo` pending for process `pid` with `info` and interrupts the
/// process so that it acts on the signal (0 only checks that the process
/// exists). Ignored signals are discarded; a zombie accepts and discards
/// signals; an unknown pid is `ESRCH`.
pub fn signal_process(kernel: &Kernel, pid: i32, signo: i32, info: SigInfo) -> Result<(), Errno> {
    if !kernel.tree.exists(pid) {
        return Err(Errno::ESRCH);
    }
    let Some(process) = kernel.process(pid) else {
        return Ok(());
    };
    if signo == 0 || process.signals.ignores(signo) {
        return Ok(());
    }
    if process.signals.raise(signo, info) {
        process.interrupter.interrupt();
        kernel.tree.wake_all();
    }
    Ok(())
}
