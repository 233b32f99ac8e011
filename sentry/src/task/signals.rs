//! Signal dispositions, masks and pending signals.
//!
//! Dispositions and the pending set belong to the process (shared by its threads
//! once threads exist); the mask and the alternate stack belong to the thread.
//! Standard signals do not queue: one pending instance each, with its siginfo.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use abi::signal::{SIGCHLD, SIGCONT, SIGKILL, SIGRTMAX, SIGSTOP};
use abi::types::{KernelSigaction, SigInfo, StackT};
use parking_lot::Mutex;

use crate::waiter::Waker;

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

/// The signals whose default action stops the process.
pub const STOP_SIGNALS: u64 = (1 << (SIGSTOP - 1)) | (1 << 19) | (1 << 20) | (1 << 21);
/// `sa_flags`: no SIGCHLD when a child stops or continues.
pub const SA_NOCLDSTOP: u64 = 1;

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

/// One thread as signals see it: how to make it come back from application
/// code or wake it from a wait, and the signals sent to it alone (tgkill).
pub struct ThreadInfo {
    pub tid: i32,
    pub interrupter: Arc<dyn platform::Context>,
    /// What the thread sleeps on when it blocks in the sentry.
    pub waker: Arc<Waker>,
    /// The keys of this thread's own pending signals, as a mask.
    bits: AtomicU64,
    /// The thread's signal mask as last published by its task, so that senders
    /// keep a blocked signal even when its action is to ignore it (as Linux).
    blocked: AtomicU64,
}

impl ThreadInfo {
    pub fn new(tid: i32, interrupter: Arc<dyn platform::Context>) -> ThreadInfo {
        ThreadInfo {
            tid,
            interrupter,
            waker: Waker::new(),
            bits: AtomicU64::new(0),
            blocked: AtomicU64::new(0),
        }
    }

    pub fn set_blocked(&self, mask: u64) {
        self.blocked.store(mask, Ordering::SeqCst);
    }

    pub fn blocked(&self) -> u64 {
        self.blocked.load(Ordering::SeqCst)
    }

    /// Makes the thread look at what changed: back from application code, awake
    /// from a wait.
    pub fn kick(&self) {
        self.interrupter.interrupt();
        self.waker.wake();
    }
}

#[derive(Default)]
struct Pending {
    /// Sent to the process: any thread not blocking it takes it.
    shared: BTreeMap<i32, SigInfo>,
    /// Sent to one thread, by tid.
    threads: HashMap<i32, BTreeMap<i32, SigInfo>>,
}

/// The per-process part: dispositions and signals sent to the process or to
/// one of its threads.
pub struct ProcessSignals {
    actions: Mutex<[KernelSigaction; SIGRTMAX as usize]>,
    pending: Mutex<Pending>,
    /// The keys of `pending.shared` as a mask, for checks without the lock.
    shared_bits: AtomicU64,
    /// Notified (POLLIN) whenever a signal becomes pending, for waits on
    /// signals that do not go through a thread's waker (signalfd). Shared, so
    /// that a signalfd waits on it without keeping the process alive.
    pub arrivals: Arc<crate::waiter::Queue>,
}

impl Default for ProcessSignals {
    fn default() -> Self {
        ProcessSignals {
            actions: Mutex::new([KernelSigaction::default(); SIGRTMAX as usize]),
            pending: Mutex::new(Pending::default()),
            shared_bits: AtomicU64::new(0),
            arrivals: Default::default(),
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

    /// Makes `signo` pending for the process (or, with `thread`, for that thread
    /// only) with `info`; an instance already pending is kept. Returns whether
    /// it was newly pending.
    pub fn raise(&self, thread: Option<&ThreadInfo>, signo: i32, info: SigInfo) -> bool {
        let mut pending = self.pending.lock();
        let (set, bits) = match thread {
            Some(t) => (pending.threads.entry(t.tid).or_default(), &t.bits),
            None => (&mut pending.shared, &self.shared_bits),
        };
        if set.contains_key(&signo) {
            return false;
        }
        set.insert(signo, info);
        bits.fetch_or(bit(signo), Ordering::SeqCst);
        drop(pending);
        self.arrivals.notify(crate::waiter::events::POLLIN);
        true
    }

    /// What is pending for `thread`: its own signals and the process's.
    pub fn pending(&self, thread: &ThreadInfo) -> u64 {
        self.shared_bits.load(Ordering::SeqCst) | thread.bits.load(Ordering::SeqCst)
    }

    /// Takes `signo` off what is pending for `thread` (its own first), with its siginfo.
    pub fn take(&self, thread: &ThreadInfo, signo: i32) -> Option<SigInfo> {
        let mut pending = self.pending.lock();
        if let Some(own) = pending.threads.get_mut(&thread.tid)
            && let Some(info) = own.remove(&signo)
        {
            thread.bits.fetch_and(!bit(signo), Ordering::SeqCst);
            return Some(info);
        }
        let info = pending.shared.remove(&signo)?;
        self.shared_bits.fetch_and(!bit(signo), Ordering::SeqCst);
        Some(info)
    }

    /// Drops the pending signals of `mask`, for the process and every thread
    /// (SIGCONT discards pending stops, a stop discards a pending SIGCONT).
    pub fn discard(&self, mask: u64, threads: &[Arc<ThreadInfo>]) {
        let mut pending = self.pending.lock();
        pending.shared.retain(|&s, _| mask & bit(s) == 0);
        self.shared_bits.fetch_and(!mask, Ordering::SeqCst);
        for t in threads {
            if let Some(own) = pending.threads.get_mut(&t.tid) {
                own.retain(|&s, _| mask & bit(s) == 0);
            }
            t.bits.fetch_and(!mask, Ordering::SeqCst);
        }
    }

    /// Forgets what was sent to a thread that is gone.
    pub fn forget_thread(&self, tid: i32) {
        self.pending.lock().threads.remove(&tid);
    }
}
