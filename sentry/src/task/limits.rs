//! Resource limits (`getrlimit`/`setrlimit`/`prlimit64`).

use abi::Errno;
use abi::types::{Rlimit, SigInfo};

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

/// RLIMIT_FSIZE on regular files, as Linux's `generic_write_check_limits` and
/// `inode_newsize_ok`: the syscall layer asks before any data moves or any
/// size changes, so the limit holds whatever the filesystem stores.
impl super::Task {
    /// How many of `len` bytes a write at `pos` of a regular file may write:
    /// cut to end at the limit; a write that starts at or past it is EFBIG
    /// and raises SIGXFSZ (sent to the calling thread, as Linux's `send_sig`).
    pub fn file_size_limit_write(&self, pos: u64, len: u64) -> Result<u64, Errno> {
        let limit = self.limit(abi::linux::RLIMIT_FSIZE);
        if limit == RLIM_INFINITY {
            return Ok(len);
        }
        if pos >= limit {
            self.raise_sigxfsz();
            return Err(Errno::EFBIG);
        }
        Ok(len.min(limit - pos))
    }

    /// Whether a regular file may grow from `old` to `new` bytes (truncate,
    /// fallocate): past the limit is EFBIG with SIGXFSZ; shrinking is free.
    pub fn file_size_limit_grow(&self, old: u64, new: u64) -> Result<(), Errno> {
        let limit = self.limit(abi::linux::RLIMIT_FSIZE);
        if new > old && limit != RLIM_INFINITY && new > limit {
            self.raise_sigxfsz();
            return Err(Errno::EFBIG);
        }
        Ok(())
    }

    fn raise_sigxfsz(&self) {
        let signo = abi::signal::SIGXFSZ;
        let info =
            SigInfo::new(signo, abi::signal::SI_USER).with_sender(self.pid, self.creds().uid);
        // The caller is alive: only an exiting thread group can refuse, and then
        // the signal does not matter.
        let _ = super::signal_thread(&self.kernel, self.pid, self.tid, signo, info);
    }
}
