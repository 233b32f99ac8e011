//! Signal dispositions, masks and pending signals.
//!
//! Dispositions and the pending set belong to the process (shared by its threads
//! once threads exist); the mask and the alternate stack belong to the thread.
//! Standard signals do not queue: one pending instance each, with its siginfo.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use abi::signal::{SIGCHLD, SIGCONT, SIGKILL, SIGRTMAX, SIGSTOP};
use abi::types::{KernelSigaction, SigInfo, StackT};
use parking_lot::{Condvar, Mutex};

/// The bits of a mask that can never be blocked.
pub const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;
/// `sa_flags` bits.
pub const SA_NOCLDWAIT: u64 = 2;
pub const SA_RESTORER: u64 = 0x0400_0000;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;

/// `ss_flags` of sigaltstack.
pub const SS_ONSTACK: i32 = 1;
pub const SS_DISABLE: i32 = 2;
pub const SS_AUTODISARM: i32 = 1 << 31;

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

/// The signals of a mask, lowest first.
pub fn signals_in(mask: u64) -> impl Iterator<Item = i32> {
    (1..=SIGRTMAX).filter(move |&s| mask & bit(s) != 0)
}

/// The per-thread part.
#[derive(Clone, Debug)]
pub struct SignalState {
    pub mask: u64,
    /// The alternate signal stack (sigaltstack).
    pub altstack: StackT,
    /// The mask to restore after a handler, when a call (sigsuspend) replaced the
    /// mask only while it waited.
    pub saved_mask: Option<u64>,
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState {
            mask: 0,
            altstack: StackT {
                flags: SS_DISABLE,
                ..Default::default()
            },
            saved_mask: None,
        }
    }
}

impl SignalState {
    /// Whether `sp` lies on the alternate stack.
    pub fn on_altstack(&self, sp: u64) -> bool {
        self.altstack.flags & SS_DISABLE == 0
            && sp > self.altstack.sp
            && sp - self.altstack.sp <= self.altstack.size
    }
}

/// The per-process part: dispositions and signals sent to the process.
pub struct ProcessSignals {
    actions: Mutex<[KernelSigaction; SIGRTMAX as usize]>,
    pending: Mutex<BTreeMap<i32, SigInfo>>,
    /// The keys of `pending` as a mask, for checks without the lock.
    pending_bits: AtomicU64,
    /// Signalled when a signal becomes pending (sigsuspend, sigtimedwait).
    arrived: Condvar,
}

impl Default for ProcessSignals {
    fn default() -> Self {
        ProcessSignals {
            actions: Mutex::new([KernelSigaction::default(); SIGRTMAX as usize]),
            pending: Mutex::new(BTreeMap::new()),
            pending_bits: AtomicU64::new(0),
            arrived: Condvar::new(),
        }
    }
}

impl ProcessSignals {
    /// A forked child's: the same dispositions, nothing pending.
    pub fn fork(&self) -> ProcessSignals {
        ProcessSignals {
            actions: Mutex::new(*self.actions.lock()),
            ..Default::default()
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

    /// Makes `signo` pending with `info` (an instance already pending is kept).
    /// Returns whether it was newly pending.
    pub fn raise(&self, signo: i32, info: SigInfo) -> bool {
        let mut pending = self.pending.lock();
        if pending.contains_key(&signo) {
            return false;
        }
        pending.insert(signo, info);
        self.pending_bits.fetch_or(bit(signo), Ordering::SeqCst);
        self.arrived.notify_all();
        true
    }

    pub fn pending(&self) -> u64 {
        self.pending_bits.load(Ordering::SeqCst)
    }

    /// Takes `signo` off the pending set, with its siginfo.
    pub fn take(&self, signo: i32) -> Option<SigInfo> {
        let mut pending = self.pending.lock();
        let info = pending.remove(&signo)?;
        self.pending_bits.fetch_and(!bit(signo), Ordering::SeqCst);
        Some(info)
    }

    /// Blocks until a signal of `wanted` is pending, or until `deadline`. Returns
    /// whether one is.
    pub fn wait_for(&self, wanted: u64, deadline: Option<Instant>) -> bool {
        let mut pending = self.pending.lock();
        loop {
            if self.pending() & wanted != 0 {
                return true;
            }
            match deadline {
                Some(d) => {
                    if self.arrived.wait_until(&mut pending, d).timed_out() {
                        return self.pending() & wanted != 0;
                    }
                }
                None => self.arrived.wait(&mut pending),
            }
        }
    }
}
