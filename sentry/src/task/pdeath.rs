//! PR_SET_PDEATHSIG: a process asks for a signal when its parent exits.

use abi::signal::SI_USER;
use abi::types::SigInfo;

use super::signal_process;
use crate::kernel::Kernel;

/// Process `parent` (real uid `uid`) exited and `orphans` were reparented:
/// each that asked gets its parent-death signal, sent as from the parent
/// (SEND_SIG_NOINFO on Linux: SI_USER with the exiting process as sender).
pub(super) fn signal_orphans(kernel: &Kernel, parent: i32, uid: u32, orphans: &[i32]) {
    for &child in orphans {
        let Some(p) = kernel.process(child) else {
            continue;
        };
        let signo = p.attrs.lock().pdeathsig;
        if signo != 0 {
            let info = SigInfo::new(signo, SI_USER).with_sender(parent, uid);
            let _ = signal_process(kernel, child, signo, info);
        }
    }
}
