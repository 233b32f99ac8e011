//! A process's interval timers: setitimer's three (REAL, VIRTUAL, PROF) and the
//! POSIX timers of timer_create. Expiry sends a signal to the process (or one
//! of its threads). Timers are not inherited by fork; POSIX timers end at execve.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use abi::Errno;
use abi::signal::{SI_KERNEL, SI_TIMER};
use abi::types::SigInfo;
use parking_lot::Mutex;

use super::kill::deliver;
use super::{ProcessInfo, Task};
use crate::kernel::Kernel;
use crate::timer::{Timer, TimerClock};

/// Linux allows this many POSIX timers per process by default (RLIMIT_SIGPENDING-ish).
const MAX_POSIX_TIMERS: usize = 4096;

/// setitimer's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItimerKind {
    /// Wall time, SIGALRM.
    Real = 0,
    /// The process's user CPU time, SIGVTALRM.
    Virtual = 1,
    /// The process's CPU time, SIGPROF.
    Prof = 2,
}

/// What a POSIX timer does when it expires (`struct sigevent`).
#[derive(Clone, Copy, Debug)]
pub enum TimerNotify {
    None,
    /// Signal the process, with `value` in `si_value`.
    Signal {
        signo: i32,
        value: u64,
    },
    /// Signal one thread.
    Thread {
        signo: i32,
        value: u64,
        tid: i32,
    },
}

/// The clock a POSIX timer counts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerBase {
    Wall,
    ProcessCpu,
}

#[derive(Default)]
pub struct ProcessTimers {
    itimers: Mutex<[Option<Arc<Timer>>; 3]>,
    /// POSIX timers by id, with the clock id they were made for.
    posix: Mutex<BTreeMap<i32, (Arc<Timer>, u32)>>,
}

impl ProcessTimers {
    /// execve: POSIX timers are deleted (interval timers are kept).
    pub fn delete_posix(&self) {
        self.posix.lock().clear();
    }

    /// POSIX timer `id` and its clock id.
    pub fn posix(&self, id: i32) -> Result<(Arc<Timer>, u32), Errno> {
        self.posix.lock().get(&id).cloned().ok_or(Errno::EINVAL)
    }

    pub fn delete(&self, id: i32) -> Result<(), Errno> {
        self.posix
            .lock()
            .remove(&id)
            .map(|_| ())
            .ok_or(Errno::EINVAL)
    }
}

/// Reads a process's CPU time (None once the process is gone).
fn cpu_clock(process: Weak<ProcessInfo>) -> TimerClock {
    TimerClock::Cpu(Box::new(move || {
        process.upgrade()?.mm().address_space().cpu_time()
    }))
}

impl Task {
    /// The interval timer `kind` of this process (made on first use).
    pub fn itimer(&self, kind: ItimerKind) -> Arc<Timer> {
        let mut timers = self.process.timers.itimers.lock();
        timers[kind as usize]
            .get_or_insert_with(|| {
                let (signo, clock) = match kind {
                    ItimerKind::Real => (abi::signal::SIGALRM, TimerClock::Wall),
                    ItimerKind::Virtual => (26, cpu_clock(Arc::downgrade(&self.process))),
                    ItimerKind::Prof => (27, cpu_clock(Arc::downgrade(&self.process))),
                };
                let (kernel, process) =
                    (Arc::downgrade(&self.kernel), Arc::downgrade(&self.process));
                Timer::new(
                    clock,
                    Box::new(move |_| {
                        send(
                            &kernel,
                            &process,
                            None,
                            signo,
                            SigInfo::new(signo, SI_KERNEL),
                        );
                    }),
                )
            })
            .clone()
    }

    /// timer_create: a new POSIX timer of this process on `clock_id` (counting on
    /// `base`); returns its id. `notify` gets the id (SIGEV_SIGNAL without a
    /// sigevent sends the id as the value).
    pub fn create_timer(
        &self,
        clock_id: u32,
        base: TimerBase,
        notify: impl FnOnce(i32) -> TimerNotify,
    ) -> Result<i32, Errno> {
        let mut posix = self.process.timers.posix.lock();
        if posix.len() >= MAX_POSIX_TIMERS {
            return Err(Errno::EAGAIN);
        }
        let id = (0..)
            .find(|i| !posix.contains_key(i))
            .ok_or(Errno::EAGAIN)?;
        let notify = notify(id);
        let clock = match base {
            TimerBase::Wall => TimerClock::Wall,
            TimerBase::ProcessCpu => cpu_clock(Arc::downgrade(&self.process)),
        };
        let (kernel, process) = (Arc::downgrade(&self.kernel), Arc::downgrade(&self.process));
        let fire = move |overruns: u64| {
            let (signo, value, tid) = match notify {
                TimerNotify::None => return,
                TimerNotify::Signal { signo, value } => (signo, value, None),
                TimerNotify::Thread { signo, value, tid } => (signo, value, Some(tid)),
            };
            let mut info = SigInfo::new(signo, SI_TIMER);
            info.words[2] = (id as u32 as u64) | ((overruns.min(i32::MAX as u64)) << 32);
            info.words[3] = value;
            send(&kernel, &process, tid, signo, info);
        };
        posix.insert(id, (Timer::new(clock, Box::new(fire)), clock_id));
        Ok(id)
    }
}

/// Sends a timer's signal, if the kernel and the process are still there.
fn send(
    kernel: &Weak<Kernel>,
    process: &Weak<ProcessInfo>,
    tid: Option<i32>,
    signo: i32,
    info: SigInfo,
) {
    let (Some(kernel), Some(process)) = (kernel.upgrade(), process.upgrade()) else {
        return;
    };
    let thread = tid.and_then(|tid| process.threads.lock().get(&tid).cloned());
    // A timer's signal is never refused.
    let _ = deliver(&kernel, &process, thread.as_deref(), signo, info);
}

/// A `struct itimerval`/`itimerspec` part as a duration.
pub fn duration_of(secs: i64, nanos: i64) -> Result<Duration, Errno> {
    if secs < 0 || !(0..1_000_000_000).contains(&nanos) {
        return Err(Errno::EINVAL);
    }
    Ok(Duration::new(secs as u64, nanos as u32))
}
