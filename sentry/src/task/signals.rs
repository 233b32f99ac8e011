//! Signal dispositions, masks and pending signals.
//!
//! Dispositions and the pending set belong to the process (shared by its threads
//! once threads exist); the mask and the alternate stack belong to the thread.
//! Standard signals do not queue: one pending instance each, with its siginfo.
//! Real-time signals queue, each instance with its own siginfo, up to
//! RLIMIT_SIGPENDING queued instances.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use abi::Errno;
use abi::signal::{SI_TIMER, SI_USER, SIGCHLD, SIGCONT, SIGKILL, SIGRTMAX, SIGRTMIN, SIGSTOP};
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

/// Pending signals by number, each with its queued instances (one at most for
/// a standard signal), oldest first.
type Queues = BTreeMap<i32, VecDeque<SigInfo>>;

#[derive(Default)]
struct Pending {
    /// Sent to the process: any thread not blocking it takes it.
    shared: Queues,
    /// Sent to one thread, by tid.
    threads: HashMap<i32, Queues>,
    /// Instances in all of the queues, held against RLIMIT_SIGPENDING. Linux
    /// counts them per user; here it is per process.
    count: u64,
}

/// Whether `info` may join the instances of its signal already pending. A
/// standard signal does not queue; nor does a POSIX timer's signal while one
/// from the same timer waits (Linux counts that as an overrun instead).
fn queues_behind(queue: &VecDeque<SigInfo>, info: &SigInfo) -> bool {
    if info.signo() < SIGRTMIN {
        return queue.is_empty();
    }
    let same_timer = |q: &SigInfo| {
        info.code() == SI_TIMER && q.code() == SI_TIMER && q.words[2] as u32 == info.words[2] as u32
    };
    !queue.iter().any(same_timer)
}

/// Drops the signals of `mask` from `queues`; returns how many instances went.
fn drop_masked(queues: &mut Queues, mask: u64) -> u64 {
    let mut dropped = 0;
    queues.retain(|&s, q| {
        let keep = mask & bit(s) == 0;
        if !keep {
            dropped += q.len() as u64;
        }
        keep
    });
    dropped
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
    /// only) with `info`. A standard signal already pending is not sent again;
    /// a real-time one queues behind the others unless `limit` instances are
    /// queued already: then sigqueue's are refused with EAGAIN, and kill's
    /// only made pending when none is (Linux sets the bit and loses the
    /// siginfo). Returns whether an instance was added.
    pub fn raise(
        &self,
        thread: Option<&ThreadInfo>,
        signo: i32,
        info: SigInfo,
        limit: u64,
    ) -> Result<bool, Errno> {
        let mut pending = self.pending.lock();
        let Pending {
            shared,
            threads,
            count,
        } = &mut *pending;
        let (queues, bits) = match thread {
            Some(t) => (threads.entry(t.tid).or_default(), &t.bits),
            None => (shared, &self.shared_bits),
        };
        let queue = queues.entry(signo).or_default();
        if !queues_behind(queue, &info) {
            return Ok(false);
        }
        // A timer's instance is not held against the limit: Linux sets it
        // aside when the timer is created.
        if signo >= SIGRTMIN && info.code() != SI_TIMER && *count >= limit {
            if info.code() != SI_USER {
                return Err(Errno::EAGAIN);
            }
            if !queue.is_empty() {
                return Ok(false);
            }
        }
        queue.push_back(info);
        *count += 1;
        bits.fetch_or(bit(signo), Ordering::SeqCst);
        drop(pending);
        self.arrivals.notify(crate::waiter::events::POLLIN);
        Ok(true)
    }

    /// What is pending for `thread`: its own signals and the process's.
    pub fn pending(&self, thread: &ThreadInfo) -> u64 {
        self.shared_bits.load(Ordering::SeqCst) | thread.bits.load(Ordering::SeqCst)
    }

    /// Takes the oldest instance of `signo` off what is pending for `thread`
    /// (its own first), with its siginfo. The signal stays pending while
    /// instances remain.
    pub fn take(&self, thread: &ThreadInfo, signo: i32) -> Option<SigInfo> {
        let mut pending = self.pending.lock();
        let Pending {
            shared,
            threads,
            count,
        } = &mut *pending;
        let own = threads.get_mut(&thread.tid);
        let (queues, bits) = match own {
            Some(own) if own.contains_key(&signo) => (own, &thread.bits),
            _ => (shared, &self.shared_bits),
        };
        let queue = queues.get_mut(&signo)?;
        let info = queue.pop_front();
        if queue.is_empty() {
            queues.remove(&signo);
            bits.fetch_and(!bit(signo), Ordering::SeqCst);
        }
        if info.is_some() {
            *count -= 1;
        }
        info
    }

    /// Drops the pending signals of `mask`, for the process and every thread
    /// (SIGCONT discards pending stops, a stop discards a pending SIGCONT).
    pub fn discard(&self, mask: u64, threads: &[Arc<ThreadInfo>]) {
        let mut pending = self.pending.lock();
        let mut dropped = drop_masked(&mut pending.shared, mask);
        self.shared_bits.fetch_and(!mask, Ordering::SeqCst);
        for t in threads {
            if let Some(own) = pending.threads.get_mut(&t.tid) {
                dropped += drop_masked(own, mask);
            }
            t.bits.fetch_and(!mask, Ordering::SeqCst);
        }
        pending.count -= dropped;
    }

    /// Forgets what was sent to a thread that is gone.
    pub fn forget_thread(&self, tid: i32) {
        let mut pending = self.pending.lock();
        if let Some(own) = pending.threads.remove(&tid) {
            pending.count -= own.values().map(|q| q.len() as u64).sum::<u64>();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A thread that is never running application code.
    struct Idle;
    impl platform::Context for Idle {
        fn switch(
            &self,
            _: &Arc<dyn platform::AddressSpace>,
            _: &mut platform::CpuState,
        ) -> platform::Result<platform::Exit> {
            unreachable!("signals never run a thread")
        }
        fn interrupt(&self) {}
        fn load_fp(
            &self,
            _: &Arc<dyn platform::AddressSpace>,
            _: &mut platform::CpuState,
        ) -> platform::Result<()> {
            Ok(())
        }
    }

    fn queued(signo: i32, value: u64) -> SigInfo {
        let mut info = SigInfo::new(signo, -1 /* SI_QUEUE */);
        info.words[3] = value;
        info
    }

    fn timer(signo: i32, id: u64) -> SigInfo {
        let mut info = SigInfo::new(signo, SI_TIMER);
        info.words[2] = id;
        info
    }

    #[test]
    fn real_time_signals_queue_in_order_and_standard_ones_do_not() {
        let (p, t) = (
            ProcessSignals::default(),
            ThreadInfo::new(1, Arc::new(Idle)),
        );
        let rt = SIGRTMIN + 2;
        for v in 1..=3 {
            assert_eq!(p.raise(None, rt, queued(rt, v), 10), Ok(true));
        }
        assert_eq!(p.raise(None, 10, queued(10, 7), 10), Ok(true));
        assert_eq!(p.raise(None, 10, queued(10, 8), 10), Ok(false));
        assert_eq!(p.take(&t, 10).map(|i| i.words[3]), Some(7));
        assert_eq!(p.take(&t, 10), None);
        for v in 1..=3 {
            assert_ne!(p.pending(&t) & bit(rt), 0);
            assert_eq!(p.take(&t, rt).map(|i| i.words[3]), Some(v));
        }
        assert_eq!(p.pending(&t), 0);
    }

    #[test]
    fn the_limit_refuses_sigqueue_but_not_kill_and_frees_up() {
        let (p, t) = (
            ProcessSignals::default(),
            ThreadInfo::new(1, Arc::new(Idle)),
        );
        let (a, b) = (SIGRTMIN, SIGRTMIN + 1);
        assert_eq!(p.raise(None, a, queued(a, 1), 2), Ok(true));
        assert_eq!(p.raise(Some(&t), a, queued(a, 2), 2), Ok(true));
        assert_eq!(p.raise(None, a, queued(a, 3), 2), Err(Errno::EAGAIN));
        // kill: pending once more only if none is.
        assert_eq!(p.raise(None, a, SigInfo::new(a, SI_USER), 2), Ok(false));
        assert_eq!(p.raise(None, b, SigInfo::new(b, SI_USER), 2), Ok(true));
        // A timer's signal is never refused.
        assert_eq!(p.raise(None, b, timer(b, 5), 2), Ok(true));
        p.discard(bit(b), std::slice::from_ref(&Arc::new(t)));
        assert_eq!(p.raise(None, a, queued(a, 3), 3), Ok(true));
    }

    #[test]
    fn a_timer_has_one_instance_pending() {
        let p = ProcessSignals::default();
        let rt = SIGRTMIN + 3;
        assert_eq!(p.raise(None, rt, timer(rt, 1), 10), Ok(true));
        assert_eq!(p.raise(None, rt, timer(rt, 1), 10), Ok(false));
        assert_eq!(p.raise(None, rt, timer(rt, 2), 10), Ok(true));
    }
}
