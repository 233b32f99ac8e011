//! Signal dispositions and the signal mask (bookkeeping; delivery comes with the
//! signal machinery).

use abi::signal::{SIGKILL, SIGRTMAX, SIGSTOP};
use abi::types::KernelSigaction;

/// The bits of a mask that can never be blocked.
pub const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

#[derive(Clone, Debug)]
pub struct SignalState {
    pub actions: [KernelSigaction; SIGRTMAX as usize],
    pub mask: u64,
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState {
            actions: [KernelSigaction::default(); SIGRTMAX as usize],
            mask: 0,
        }
    }
}

impl SignalState {
    /// The action for `signo` (1-based).
    pub fn action(&self, signo: i32) -> &KernelSigaction {
        &self.actions[(signo - 1) as usize]
    }

    pub fn set_action(&mut self, signo: i32, action: KernelSigaction) {
        self.actions[(signo - 1) as usize] = action;
    }
}
