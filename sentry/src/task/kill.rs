//! Sending a signal to a process or to one of its threads.

use abi::Errno;
use abi::types::SigInfo;

use super::{ProcessInfo, ThreadInfo};
use crate::kernel::Kernel;

/// Makes `signo` pending for process `pid` with `info` and interrupts its
/// threads so that one of them acts on the signal (0 only checks that the
/// process exists). Ignored signals are discarded; a zombie accepts and
/// discards signals; an unknown pid is `ESRCH`.
pub fn signal_process(kernel: &Kernel, pid: i32, signo: i32, info: SigInfo) -> Result<(), Errno> {
    if !kernel.tree.exists(pid) {
        return Err(Errno::ESRCH);
    }
    if let Some(process) = kernel.process(pid)
        && signo != 0
    {
        deliver(kernel, &process, None, signo, info)?;
    }
    Ok(())
}

/// As `signal_process`, for thread `tid` of process `tgid` alone (tgkill).
pub fn signal_thread(
    kernel: &Kernel,
    tgid: i32,
    tid: i32,
    signo: i32,
    info: SigInfo,
) -> Result<(), Errno> {
    let process = kernel.process(tgid).ok_or(Errno::ESRCH)?;
    let thread = process
        .threads
        .lock()
        .get(&tid)
        .cloned()
        .ok_or(Errno::ESRCH)?;
    if signo != 0 {
        deliver(kernel, &process, Some(&thread), signo, info)?;
    }
    Ok(())
}

/// Makes `signo` pending for `process` (or only `thread`) unless the process
/// ignores it, and wakes whoever must act on it. EAGAIN when a real-time
/// signal sent with sigqueue finds the queue full.
pub(crate) fn deliver(
    kernel: &Kernel,
    process: &ProcessInfo,
    thread: Option<&ThreadInfo>,
    signo: i32,
    info: SigInfo,
) -> Result<(), Errno> {
    // Only the host side (the runtime: sender pid 0) may kill or stop init.
    if kernel.shield_init
        && process.pid == super::tree::INIT_PID
        && (signo == abi::signal::SIGKILL || signo == abi::signal::SIGSTOP)
        && info.code() <= 0
        && info.pid() != 0
    {
        return Ok(());
    }
    super::job::on_send(kernel, process, signo);
    if process.discards(thread, signo, kernel.shield_init) {
        return Ok(());
    }
    let limit = process.limits.lock().cur(abi::linux::RLIMIT_SIGPENDING);
    if process.signals.raise(thread, signo, info, limit)? {
        match thread {
            Some(t) => t.kick(),
            None => process.interrupt_threads(),
        }
    }
    Ok(())
}
