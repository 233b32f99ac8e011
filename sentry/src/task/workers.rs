//! Idle task threads. A sentry thread whose application thread ended while
//! others of its process go on does not end: it keeps tracing its stub thread
//! (stopped, in the same address space) and waits here, a few per address
//! space, for the next thread that address space starts. That thread then
//! begins without a new host thread, platform context or stub thread, which
//! are most of what a thread costs. When the address space goes (its
//! `MemoryManager` is dropped), the channels close and the idle threads end;
//! the stub and its threads go with the address space.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use parking_lot::Mutex;
use platform::Context;

use super::fork::ThreadSeed;

/// Idle threads kept per address space; more end.
const MAX_IDLE: usize = 4;

/// A new thread for an idle sentry thread: what to make it from, and where
/// to say whether that worked.
pub(crate) struct Job {
    pub seed: ThreadSeed,
    pub ready: Sender<Result<(), String>>,
}

/// The idle sentry threads of one address space.
#[derive(Default)]
pub struct IdleWorkers {
    waiting: Mutex<Vec<Sender<Job>>>,
}

impl IdleWorkers {
    /// Registers the calling sentry thread as idle; None when enough are.
    pub(crate) fn park(&self) -> Option<Receiver<Job>> {
        let mut waiting = self.waiting.lock();
        if waiting.len() >= MAX_IDLE {
            return None;
        }
        let (tx, rx) = channel();
        waiting.push(tx);
        Some(rx)
    }

    /// An idle thread, if there is one.
    pub(crate) fn take(&self) -> Option<Sender<Job>> {
        self.waiting.lock().pop()
    }
}

/// What an idle sentry thread waits with: its jobs, and the platform context
/// it runs them on (the one tracing its stub thread).
pub(crate) struct Idle {
    pub jobs: Receiver<Job>,
    pub ctx: Arc<dyn Context>,
}

impl Idle {
    /// Runs the next threads given to this sentry thread until none comes
    /// (its address space is gone) or one cannot start.
    pub fn serve(mut self) {
        loop {
            let Ok(job) = self.jobs.recv() else {
                return;
            };
            let task = match job.seed.into_task_on(self.ctx.clone()) {
                Ok(task) => task,
                Err(e) => {
                    let _ = job.ready.send(Err(e));
                    return;
                }
            };
            let _ = job.ready.send(Ok(()));
            match task.run_once() {
                Some(next) => self = next,
                None => return,
            }
        }
    }
}
