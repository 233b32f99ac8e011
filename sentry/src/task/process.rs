//! What a process's tasks share and what /proc shows of it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use parking_lot::Mutex;

use super::signals::ThreadInfo;
use super::{Credentials, ExitStatus, Limits, ProcessAttrs, ProcessSignals};
use crate::fs::FdTable;
use crate::mm::MemoryManager;
use crate::vfs::VfsPath;

/// Root, working directory and umask (what `CLONE_FS` shares).
pub struct FsContext {
    root: Mutex<VfsPath>,
    cwd: Mutex<VfsPath>,
    umask: AtomicU32,
}

impl FsContext {
    pub fn new(root: VfsPath, cwd: VfsPath, umask: u32) -> FsContext {
        FsContext {
            root: Mutex::new(root),
            cwd: Mutex::new(cwd),
            umask: AtomicU32::new(umask),
        }
    }
    /// A forked child's copy (without CLONE_FS).
    pub fn fork_copy(&self) -> FsContext {
        FsContext::new(self.root(), self.cwd(), self.umask())
    }
    pub fn root(&self) -> VfsPath {
        self.root.lock().clone()
    }
    pub fn set_root(&self, root: VfsPath) {
        *self.root.lock() = root;
    }
    pub fn cwd(&self) -> VfsPath {
        self.cwd.lock().clone()
    }
    pub fn set_cwd(&self, cwd: VfsPath) {
        *self.cwd.lock() = cwd;
    }
    pub fn umask(&self) -> u32 {
        self.umask.load(Ordering::Relaxed)
    }
    /// Sets the umask; returns the old one.
    pub fn swap_umask(&self, mask: u32) -> u32 {
        self.umask.swap(mask, Ordering::Relaxed)
    }
}

/// Where argv and envp strings sit in the process's memory (/proc/PID/cmdline, environ).
#[derive(Clone, Copy, Debug, Default)]
pub struct ArgRanges {
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
}

pub struct ProcessInfo {
    pub pid: i32,
    pub started: Instant,
    pub fds: Arc<FdTable>,
    pub fs: Arc<FsContext>,
    pub mm: Mutex<Arc<MemoryManager>>,
    /// The thread name (`PR_SET_NAME`), NUL-padded.
    pub comm: Mutex<[u8; 16]>,
    pub exe: Mutex<String>,
    /// Keeps the executable from being written while the program runs.
    pub exe_deny: Mutex<Option<crate::vfs::write_access::DenyWrite>>,
    pub creds: Mutex<Arc<Credentials>>,
    pub limits: Mutex<Limits>,
    /// What prctl, setpriority, sched_* and personality record.
    pub attrs: Mutex<ProcessAttrs>,
    pub args: Mutex<ArgRanges>,
    /// Dispositions and pending signals.
    pub signals: ProcessSignals,
    /// The live threads, by tid.
    pub threads: Mutex<BTreeMap<i32, Arc<ThreadInfo>>>,
    /// Set when the threads must go: the whole process exits, or execve keeps
    /// only the thread that called it.
    pub leaving: Mutex<Leaving>,
    /// How the first thread ended, if it ended alone (`exit`): the process's
    /// status when every thread did so.
    pub leader_status: Mutex<Option<ExitStatus>>,
    /// setitimer's and timer_create's timers.
    pub timers: super::itimers::ProcessTimers,
    /// CPU time of the children waited for (times, RUSAGE_CHILDREN).
    pub children_cpu: Mutex<std::time::Duration>,
    /// The signal that stopped the process (job control), while it is stopped.
    pub stopped_by: Mutex<Option<i32>>,
    /// The controlling terminal (inherited by fork, dropped by setsid; see
    /// `task::ctty`).
    pub ctty: Mutex<Option<Arc<dyn crate::fsimpl::tty::Terminal>>>,
}

/// What a new process starts with; everything else about it starts empty.
pub struct ProcessParts {
    pub pid: i32,
    pub fds: Arc<FdTable>,
    pub fs: Arc<FsContext>,
    pub mm: Arc<MemoryManager>,
    pub comm: [u8; 16],
    pub exe: String,
    pub creds: Arc<Credentials>,
    pub limits: Limits,
    pub attrs: super::attrs::ProcessAttrs,
    pub args: ArgRanges,
    pub signals: ProcessSignals,
    /// Its first thread (tid = pid).
    pub thread: Arc<ThreadInfo>,
}

impl ProcessInfo {
    pub fn new(p: ProcessParts) -> Arc<ProcessInfo> {
        Arc::new(ProcessInfo {
            pid: p.pid,
            started: Instant::now(),
            fds: p.fds,
            fs: p.fs,
            mm: Mutex::new(p.mm),
            comm: Mutex::new(p.comm),
            exe: Mutex::new(p.exe),
            exe_deny: Mutex::new(None),
            creds: Mutex::new(p.creds),
            limits: Mutex::new(p.limits),
            attrs: Mutex::new(p.attrs),
            args: Mutex::new(p.args),
            signals: p.signals,
            threads: Mutex::new([(p.pid, p.thread)].into()),
            leaving: Mutex::new(Leaving::No),
            leader_status: Mutex::new(None),
            timers: Default::default(),
            children_cpu: Default::default(),
            stopped_by: Default::default(),
            ctty: Mutex::new(None),
        })
    }
}

/// Why a process's threads are leaving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leaving {
    No,
    /// exit_group or a fatal signal: the process ends with this status.
    Group(ExitStatus),
    /// execve in thread `keep`: the others go, the process stays.
    AllBut(i32),
}

impl ProcessInfo {
    /// Whether `signo` sent to the process (or to `thread`) is discarded on
    /// arrival: ignored, and not blocked by the thread (by any thread, for the
    /// process), since a blocked signal's action may change before it is
    /// unblocked and signalfd may read it (Linux's `sig_ignored`).
    pub fn discards(
        &self,
        thread: Option<&super::ThreadInfo>,
        signo: i32,
        shield_init: bool,
    ) -> bool {
        let shielded = shield_init && self.shields_default(signo);
        if !self.signals.ignores(signo) && !shielded {
            return false;
        }
        let b = super::signals::bit(signo);
        match thread {
            Some(t) => t.blocked() & b == 0,
            None => self.threads.lock().values().all(|t| t.blocked() & b == 0),
        }
    }

    /// Whether a shielded init (`Kernel::shield_init`) drops `signo`: it has
    /// no handler for it and it is not SIGKILL or SIGSTOP (which only the host
    /// side may send it), as Linux shields a PID namespace's init.
    pub fn shields_default(&self, signo: i32) -> bool {
        use abi::signal::{SIGKILL, SIGSTOP};
        self.pid == super::tree::INIT_PID
            && signo != SIGKILL
            && signo != SIGSTOP
            && self.signals.action(signo).handler == super::signals::SIG_DFL
    }

    /// Makes every thread come back from application code or wake from a wait
    /// on signals, so that it looks at what changed.
    pub fn interrupt_threads(&self) {
        for t in self.threads.lock().values() {
            t.kick();
        }
    }

    /// exit_group or a fatal signal: the first status set is the process's.
    pub fn begin_group_exit(&self, status: ExitStatus) {
        {
            let mut leaving = self.leaving.lock();
            if matches!(*leaving, Leaving::Group(_)) {
                return;
            }
            *leaving = Leaving::Group(status);
        }
        self.interrupt_threads();
    }

    /// Whether thread `tid` must leave now.
    pub fn must_leave(&self, tid: i32) -> bool {
        match *self.leaving.lock() {
            Leaving::No => false,
            Leaving::Group(_) => true,
            Leaving::AllBut(keep) => keep != tid,
        }
    }

    pub fn creds(&self) -> Arc<Credentials> {
        self.creds.lock().clone()
    }
    pub fn mm(&self) -> Arc<MemoryManager> {
        self.mm.lock().clone()
    }
    pub fn comm_string(&self) -> String {
        let comm = *self.comm.lock();
        let end = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
        String::from_utf8_lossy(&comm[..end]).into_owned()
    }
}
