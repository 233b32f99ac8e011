//! Sending a signal to a process.

use abi::Errno;

use super::signals::bit;
use crate::kernel::Kernel;

/// Makes `signo` pending for process `pid` and interrupts it so that it acts on
/// the signal (0 only checks that the process exists). A zombie accepts and
/// discards signals; an unknown pid is `ESRCH`.
pub fn signal_process(kernel: &Kernel, pid: i32, signo: i32) -> Result<(), Errno> {
    if !kernel.tree.exists(pid) {
        return Err(Errno::ESRCH);
    }
    let Some(process) = kernel.process(pid) else {
        return Ok(());
    };
    if signo == 0 || process.signals.ignores(signo) {
        return Ok(());
    }
    let before = process.signals.pending();
    process.signals.raise(signo);
    if before & bit(signo) == 0 {
        process.interrupter.interrupt();
        process.waker.wake();
    }
    Ok(())
}
