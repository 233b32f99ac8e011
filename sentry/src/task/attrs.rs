//! Per-process attributes that prctl, setpriority, sched_* and personality set
//! and that the sandbox records (the host scheduler never sees them: every
//! application thread is a sentry thread scheduled by the host as it is).

/// Linux's SCHED_OTHER (the default policy).
pub const SCHED_OTHER: u32 = 0;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessAttrs {
    /// Signal sent when the parent exits (`PR_SET_PDEATHSIG`), 0 for none.
    pub pdeathsig: i32,
    /// `PR_SET_DUMPABLE`: 0 or 1.
    pub dumpable: u32,
    /// `PR_SET_NO_NEW_PRIVS`: once set, never cleared; inherited.
    pub no_new_privs: bool,
    /// Nice value, -20..=19.
    pub nice: i32,
    /// Scheduling policy (SCHED_*) and its static priority (1..=99 for FIFO/RR).
    pub policy: u32,
    pub rt_priority: u32,
    /// SCHED_RESET_ON_FORK: children start with SCHED_OTHER and nice >= 0.
    pub reset_on_fork: bool,
    /// CPU affinity mask, one bit per CPU (`None`: every CPU).
    pub affinity: Option<Vec<u8>>,
    /// `personality(2)` persona (PER_LINUX = 0 and flags).
    pub personality: u32,
    /// membarrier REGISTER_* commands made (a bit each); per address space on
    /// Linux, so execve clears them.
    pub membarrier_registered: u32,
}

impl Default for ProcessAttrs {
    fn default() -> ProcessAttrs {
        ProcessAttrs {
            pdeathsig: 0,
            dumpable: 1,
            no_new_privs: false,
            nice: 0,
            policy: SCHED_OTHER,
            rt_priority: 0,
            reset_on_fork: false,
            affinity: None,
            personality: 0,
            membarrier_registered: 0,
        }
    }
}

impl ProcessAttrs {
    /// A forked child's: the parent-death signal is not inherited (fork(2)),
    /// and SCHED_RESET_ON_FORK resets the policy.
    pub fn fork(&self) -> ProcessAttrs {
        let mut a = self.clone();
        a.pdeathsig = 0;
        if a.reset_on_fork {
            a.reset_on_fork = false;
            a.policy = SCHED_OTHER;
            a.rt_priority = 0;
            a.nice = a.nice.max(0);
        }
        a
    }
}
