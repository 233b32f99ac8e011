//! RLIMIT_NPROC: how many tasks one real user may have.

use abi::Errno;
use abi::linux as l;

use super::Task;

impl Task {
    /// Fails with EAGAIN when the caller's real user already has RLIMIT_NPROC
    /// tasks (threads of live processes, and zombies not yet reaped, as Linux
    /// counts them until release). Root, and holders of CAP_SYS_RESOURCE or
    /// CAP_SYS_ADMIN, are exempt as on Linux.
    pub(super) fn check_nproc(&self) -> Result<(), Errno> {
        let limit = self.limit(l::RLIMIT_NPROC);
        let creds = self.creds();
        if limit == super::RLIM_INFINITY
            || creds.uid == 0
            || creds.has_cap(l::CAP_SYS_RESOURCE)
            || creds.has_cap(l::CAP_SYS_ADMIN)
        {
            return Ok(());
        }
        let live: Vec<_> = self
            .kernel
            .processes
            .lock()
            .values()
            .filter_map(|p| p.upgrade())
            .collect();
        let mut count = self.kernel.tree.zombies_of(creds.uid) as u64;
        for p in live {
            if p.creds().uid == creds.uid {
                count += p.threads.lock().len() as u64;
            }
        }
        if count >= limit {
            return Err(Errno::EAGAIN);
        }
        Ok(())
    }
}
