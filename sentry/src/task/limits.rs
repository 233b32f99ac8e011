//! Resource limits (`getrlimit`/`setrlimit`/`prlimit64`).

use abi::types::Rlimit;

/// Number of resources Linux defines (RLIM_NLIMITS).
pub const RLIM_NLIMITS: usize = 16;
pub const RLIM_INFINITY: u64 = u64::MAX;

#[derive(Clone, Debug)]
pub struct Limits {
    values: [Rlimit; RLIM_NLIMITS],
}

impl Limits {
    /// The limits the sentry itself runs with, as a starting point (runc and gVisor
    /// likewise start from the runtime's own limits).
    pub fn from_host() -> Limits {
        let mut values = [Rlimit {
            cur: RLIM_INFINITY,
            max: RLIM_INFINITY,
        }; RLIM_NLIMITS];
        for (r, v) in values.iter_mut().enumerate() {
            if let Some((cur, max)) = crate::host::rlimit(r as u32) {
                *v = Rlimit { cur, max };
            }
        }
        Limits { values }
    }

    pub fn get(&self, resource: usize) -> Option<Rlimit> {
        self.values.get(resource).copied()
    }

    pub fn set(&mut self, resource: usize, value: Rlimit) {
        if let Some(v) = self.values.get_mut(resource) {
            *v = value;
        }
    }

    pub fn cur(&self, resource: u32) -> u64 {
        self.values[resource as usize].cur
    }
}
