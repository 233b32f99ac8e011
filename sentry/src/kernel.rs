//! The kernel: what every task of the sandbox shares.

use std::sync::Arc;
use std::time::Instant;

use platform::Platform;

use crate::loader::HostAuxv;
use crate::memfile::MemoryFile;
use crate::task::Task;

/// The syscall table, installed into the kernel at boot (the sentry never names
/// the `syscalls` crate).
pub trait SyscallTable: Send + Sync {
    /// Serves syscall `nr`; returns the raw value for `rax` (`-errno` on failure).
    fn dispatch(&self, task: &mut Task, nr: u64, args: [u64; 6]) -> u64;
}

/// The kernel release and version the sandbox reports (not the host's: that stays
/// hidden), in `uname` and /proc alike.
pub const KERNEL_RELEASE: &str = "6.1.0";
pub const KERNEL_VERSION: &str = "#1 SMP runsc";

pub struct Kernel {
    pub platform: Arc<dyn Platform>,
    pub memfile: Arc<MemoryFile>,
    /// The sandbox's mount namespace (one for now).
    pub mounts: crate::vfs::MountNamespace,
    pub syscalls: &'static dyn SyscallTable,
    pub hostname: String,
    pub domainname: String,
    pub host_auxv: HostAuxv,
    /// For CLOCK_BOOTTIME-like uptime and `sysinfo`.
    pub started: Instant,
    pub futexes: crate::futex::FutexTable,
    /// Advisory file locks (flock and fcntl).
    pub locks: std::sync::Arc<crate::fs::locks::LockTable>,
    /// CPUs the sandbox offers (taken at boot: task threads are pinned to one).
    pub cpus: usize,
    /// Live processes by pid (for /proc and signals).
    pub processes: parking_lot::Mutex<
        std::collections::BTreeMap<i32, std::sync::Weak<crate::task::ProcessInfo>>,
    >,
    /// Parents, children, groups, sessions and zombies.
    pub tree: crate::task::tree::ProcessTree,
    /// Fires interval timers.
    pub timers: Arc<crate::timer::TimerService>,
    /// Init is shielded as a PID namespace's init: signals it has no handler
    /// for do not reach it, and only the host side may kill or stop it (OCI
    /// containers; `runsc do` runs its command as the host would).
    pub shield_init: bool,
    /// Processes killed because the container's memory ran out.
    pub oom_kills: std::sync::atomic::AtomicU64,
}

impl Kernel {
    /// The live process `pid`.
    pub fn process(&self, pid: i32) -> Option<Arc<crate::task::ProcessInfo>> {
        self.processes.lock().get(&pid).and_then(|w| w.upgrade())
    }
}
