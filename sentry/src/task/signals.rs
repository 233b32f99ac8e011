//! Signal dispositions, masks and pending signals.
//!
//! Dispositions and the pending set belong to the process (shared by its threads
//! once threads exist); the mask belongs to the thread. Handlers are not invoked
//! yet: a pending signal whose action is to terminate ends the process, ignored
//! ones are discarded, and the rest stay pending.

use std::sync::atomic::{AtomicU64, Ordering};

use abi::signal::{SIGCHLD, SIGCONT, SIGKILL, SIGRTMAX, SIGSTOP};
use abi::types::KernelSigaction;
use parking_lot::Mutex;

/// The bits of a mask that can never be blocked.
pub const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;
/// `sa_flags`: do not turn children into zombies.
pub const SA_NOCLDWAIT: u64 = 2;

/// What a signal does when its disposition is the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    Ignore,
    Stop,
}

impl DefaultAction {
    pub fn of(signo: i32) -> DefaultAction {
        match signo {
            SIGCHLD | SIGCONT | 23 /* SIGURG */ | 28 /* SIGWINCH */ => DefaultAction::Ignore,
            SIGSTOP | 20 /* SIGTSTP */ | 21 /* SIGTTIN */ | 22 /* SIGTTOU */ => {
                DefaultAction::Stop
            }
            _ => DefaultAction::Terminate,
        }
    }
}

/// The bit of `signo` (1-based) in a mask.
pub fn bit(signo: i32) -> u64 {
    1 << (signo - 1)
}

/// The per-thread part.
#[derive(Clone, Debug, Default)]
pub struct SignalState {
    pub mask: u64,
    /// The mask to go back to once pending signals were acted on (set by a wait
    /// with a temporary mask that a signal interrupted: ppoll, pselect6...).
    pub saved_mask: Option<u64>,
}

/// The per-process part: dispositions and signals sent to the process.
pub struct ProcessSignals {
    actions: Mutex<[KernelSigaction; SIGRTMAX as usize]>,
    pending: AtomicU64,
}

impl Default for ProcessSignals {
    fn default() -> Self {
        ProcessSignals {
            actions: Mutex::new([KernelSigaction::default(); SIGRTMAX as usize]),
            pending: AtomicU64::new(0),
        }
    }
}

impl ProcessSignals {
    /// A forked child's: the same dispositions, nothing pending.
    pub fn fork(&self) -> ProcessSignals {
        ProcessSignals {
            actions: Mutex::new(*self.actions.lock()),
            pending: AtomicU64::new(0),
        }
    }

    /// The action for `signo` (1-based).
    pub fn action(&self, signo: i32) -> KernelSigaction {
        self.actions.lock()[(signo - 1) as usize]
    }

    pub fn set_action(&self, signo: i32, action: KernelSigaction) {
        self.actions.lock()[(signo - 1) as usize] = action;
    }

    /// execve: handled signals go back to their default action; ignored ones stay.
    pub fn reset_handlers(&self) {
        for a in self.actions.lock().iter_mut() {
            if a.handler != SIG_IGN {
                *a = KernelSigaction::default();
            }
        }
    }

    /// Whether the signal would be discarded on arrival (ignored and not SIGKILL).
    pub fn ignores(&self, signo: i32) -> bool {
        let a = self.action(signo);
        signo != SIGKILL
            && (a.handler == SIG_IGN
                || (a.handler == SIG_DFL && DefaultAction::of(signo) == DefaultAction::Ignore))
    }

    /// Whether children of this process are reaped without waiting (SIGCHLD
    /// ignored, or SA_NOCLDWAIT).
    pub fn reaps_children(&self) -> bool {
        let a = self.action(SIGCHLD);
        a.handler == SIG_IGN || a.flags & SA_NOCLDWAIT != 0
    }

    pub fn raise(&self, signo: i32) {
        self.pending.fetch_or(bit(signo), Ordering::SeqCst);
    }

    pub fn pending(&self) -> u64 {
        self.pending.load(Ordering::SeqCst)
    }

    /// Takes `signo` off the pending set; whether it was there.
    pub fn take(&self, signo: i32) -> bool {
        self.pending.fetch_and(!bit(signo), Ordering::SeqCst) & bit(signo) != 0
    }
}
