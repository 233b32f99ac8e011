//! Interval timers (setitimer, alarm, timer_create): one sentry thread fires
//! every armed timer at its deadline and re-arms periodic ones.
//!
//! A timer counts on its own clock: the wall clock (monotonic time since the
//! service started) or a CPU-time clock read through a closure. Wall timers wake
//! the thread exactly; CPU-time clocks are sampled every `CPU_TICK`, the
//! resolution CPU-time timers get.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

/// How often CPU-time clocks are looked at while a CPU-time timer is armed.
const CPU_TICK: Duration = Duration::from_millis(4);

/// The clock a timer counts on.
pub enum TimerClock {
    Wall,
    /// CPU time, as the closure reads it (None once its process is gone).
    Cpu(Box<dyn Fn() -> Option<Duration> + Send + Sync>),
}

#[derive(Default)]
struct TimerState {
    /// When it fires next, on its clock; None when disarmed.
    deadline: Option<Duration>,
    interval: Duration,
    /// Expirations missed at the last firing (timer_getoverrun).
    overrun: u64,
}

/// One timer; `fire(overruns)` is what its expiry does (send a signal...).
pub struct Timer {
    clock: TimerClock,
    state: Mutex<TimerState>,
    fire: Box<dyn Fn(u64) + Send + Sync>,
}

pub struct TimerService {
    started: Instant,
    armed: Mutex<Armed>,
    changed: Condvar,
}

#[derive(Default)]
struct Armed {
    timers: Vec<Weak<Timer>>,
    /// A timer was armed since the thread last looked.
    news: bool,
}

impl Timer {
    pub fn new(clock: TimerClock, fire: Box<dyn Fn(u64) + Send + Sync>) -> Arc<Timer> {
        Arc::new(Timer {
            clock,
            state: Mutex::new(TimerState::default()),
            fire,
        })
    }

    fn now(&self, service: &TimerService) -> Option<Duration> {
        match &self.clock {
            TimerClock::Wall => Some(service.started.elapsed()),
            TimerClock::Cpu(read) => read(),
        }
    }

    /// Arms the timer to fire at `value` (relative, or absolute on its clock with
    /// `absolute`) and then every `interval` (zero: once); a zero `value`
    /// disarms it. Returns the old (remaining, interval).
    pub fn set(
        self: &Arc<Self>,
        service: &TimerService,
        value: Duration,
        absolute: bool,
        interval: Duration,
    ) -> (Duration, Duration) {
        let now = self.now(service).unwrap_or_default();
        let old = {
            let mut st = self.state.lock();
            let old = (
                st.deadline
                    .map_or(Duration::ZERO, |d| d.saturating_sub(now)),
                st.interval,
            );
            st.interval = interval;
            st.overrun = 0;
            st.deadline = if value.is_zero() {
                None
            } else if absolute {
                // An absolute time already past fires at once.
                Some(value.max(now))
            } else {
                Some(now + value)
            };
            old
        };
        service.arm(self);
        old
    }

    /// (remaining, interval); a zero remaining time means disarmed.
    pub fn get(&self, service: &TimerService) -> (Duration, Duration) {
        let now = self.now(service).unwrap_or_default();
        let st = self.state.lock();
        let remaining = st.deadline.map_or(Duration::ZERO, |d| {
            // An armed timer never reports zero (that would read as disarmed).
            d.saturating_sub(now).max(Duration::from_nanos(1))
        });
        (remaining, st.interval)
    }

    pub fn overrun(&self) -> u64 {
        self.state.lock().overrun
    }

    /// Fires the timer if it is due; returns when it is due next.
    fn poll(&self, now: Duration) -> Option<Duration> {
        let overruns = {
            let mut st = self.state.lock();
            let deadline = st.deadline?;
            if now < deadline {
                return Some(deadline);
            }
            let late = now - deadline;
            let overruns = if st.interval.is_zero() {
                st.deadline = None;
                0
            } else {
                let missed = (late.as_nanos() / st.interval.as_nanos()) as u64;
                st.deadline = Some(deadline + st.interval * (missed as u32 + 1));
                missed
            };
            st.overrun = overruns;
            overruns
        };
        (self.fire)(overruns);
        self.state.lock().deadline
    }
}

impl TimerService {
    /// Starts the service's thread.
    pub fn start() -> Arc<TimerService> {
        let service = Arc::new(TimerService {
            started: Instant::now(),
            armed: Mutex::new(Armed::default()),
            changed: Condvar::new(),
        });
        let weak = Arc::downgrade(&service);
        std::thread::Builder::new()
            .name("timers".into())
            .spawn(move || Self::run(weak))
            .expect("the timer thread starts");
        service
    }

    fn arm(&self, timer: &Arc<Timer>) {
        let mut armed = self.armed.lock();
        if !armed
            .timers
            .iter()
            .any(|w| w.as_ptr() == Arc::as_ptr(timer))
        {
            armed.timers.push(Arc::downgrade(timer));
        }
        armed.news = true;
        self.changed.notify_all();
    }

    fn run(weak: Weak<TimerService>) {
        loop {
            let Some(service) = weak.upgrade() else {
                return;
            };
            let mut armed = service.armed.lock();
            armed.news = false;
            let timers: Vec<Arc<Timer>> = armed.timers.iter().filter_map(Weak::upgrade).collect();
            drop(armed);
            // Fire what is due, outside the list's lock (firing sends signals).
            let mut wait = Duration::from_secs(3600);
            let mut keep = Vec::new();
            for t in timers {
                let Some(now) = t.now(&service) else { continue };
                if let Some(next) = t.poll(now) {
                    wait = wait.min(match t.clock {
                        TimerClock::Wall => next.saturating_sub(service.started.elapsed()),
                        TimerClock::Cpu(_) => CPU_TICK,
                    });
                    keep.push(Arc::downgrade(&t));
                }
            }
            armed = service.armed.lock();
            // Keep the still-armed ones and any armed meanwhile.
            armed.timers.retain(|w| {
                w.upgrade()
                    .is_some_and(|t| t.state.lock().deadline.is_some())
                    && !keep.iter().any(|k| k.as_ptr() == w.as_ptr())
            });
            armed.timers.extend(keep);
            if armed.news || wait.is_zero() {
                continue;
            }
            service.changed.wait_for(&mut armed, wait);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    #[test]
    fn one_shot_and_periodic_timers_fire() {
        let service = TimerService::start();
        let fired = Arc::new(AtomicU64::new(0));
        let f = fired.clone();
        let once = Timer::new(
            TimerClock::Wall,
            Box::new(move |_| {
                f.fetch_add(1, Ordering::SeqCst);
            }),
        );
        once.set(&service, Duration::from_millis(5), false, Duration::ZERO);
        let p = fired.clone();
        let periodic = Timer::new(
            TimerClock::Wall,
            Box::new(move |_| {
                p.fetch_add(100, Ordering::SeqCst);
            }),
        );
        periodic.set(
            &service,
            Duration::from_millis(2),
            false,
            Duration::from_millis(2),
        );
        std::thread::sleep(Duration::from_millis(60));
        let (remaining, interval) = periodic.get(&service);
        assert!(remaining > Duration::ZERO && interval == Duration::from_millis(2));
        periodic.set(&service, Duration::ZERO, false, Duration::ZERO);
        let n = fired.load(Ordering::SeqCst);
        assert_eq!(n % 100, 1, "the one-shot timer fired once");
        assert!(
            n / 100 >= 3,
            "the periodic timer fired again and again: {n}"
        );
        assert_eq!(
            once.get(&service).0,
            Duration::ZERO,
            "a fired one-shot is disarmed"
        );
    }
}
