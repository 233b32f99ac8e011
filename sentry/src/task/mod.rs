//! Tasks: one application thread each, run by one sentry thread.

mod attrs;
mod block;
mod completion;
mod creds;
pub mod ctty;
pub mod current;
mod exec;
mod exec_opener;
mod exit;
mod fork;
pub mod itimers;
mod job;
mod kill;
mod limits;
mod nproc;
mod pdeath;
mod process;
mod robust;
mod run;
mod signal_frame;
mod signals;
mod stdio;
pub mod tree;
pub(crate) mod workers;

use std::sync::Arc;

use abi::Errno;
use platform::{Context, CpuState};

pub use attrs::{ProcessAttrs, SCHED_OTHER};
pub use completion::Completion;
pub use creds::{CAP_FULL, CAP_LAST_CAP, CapSets, Credentials};
pub use fork::CloneRequest;
pub use kill::{signal_process, signal_thread};
pub use limits::{Limits, RLIM_INFINITY, RLIM_NLIMITS};
pub use process::{ArgRanges, FsContext, Leaving, ProcessInfo, ProcessParts};
pub use signals::{
    DefaultAction, ProcessSignals, SIG_DFL, SIG_IGN, SS_DISABLE, SS_ONSTACK, SignalState,
    ThreadInfo, UNBLOCKABLE, bit, signals_in,
};

use crate::fs::FdTable;
use crate::kernel::Kernel;
use crate::loader::{self, AuxIds, ExecRequest};
use crate::mm::{Layout, MemoryManager};
use crate::vfs::{Resolver, VfsPath};
use exec_opener::{TaskOpener, search_path};

/// How a task group ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(i32),
    Signaled(i32),
}

impl ExitStatus {
    /// The status a shell (and runc) reports: the exit code, or 128 + the signal.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => c & 0xff,
            ExitStatus::Signaled(s) => 128 + s,
        }
    }
}

/// Why the first process could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("working directory {path:?}: {errno}")]
    Cwd { path: String, errno: Errno },
    #[error("cannot execute {path:?}: {errno}")]
    Exec { path: String, errno: Errno },
    #[error(transparent)]
    Platform(#[from] platform::Error),
}

/// The first process of the sandbox.
pub struct ProcessSpec {
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
    /// Working directory (absolute).
    pub cwd: String,
    pub creds: Credentials,
    pub limits: Limits,
    /// Host descriptors for the application's 0, 1 and 2.
    pub stdio: [StdioFd; 3],
}

/// A host descriptor a new process gets as its 0, 1 or 2.
pub enum StdioFd {
    /// The sandbox's own (its init's stdio), which stays open.
    Shared(i32),
    /// One the process's files own and close (`runsc exec`'s stdio).
    Owned(std::os::fd::OwnedFd),
}

pub struct Task {
    pub kernel: Arc<Kernel>,
    ctx: Arc<dyn Context>,
    pub cpu: CpuState,
    pub mm: Arc<MemoryManager>,
    /// Shared with /proc (and, later, with threads made with CLONE_FILES).
    pub fds: Arc<FdTable>,
    pub pid: i32,
    pub tid: i32,
    /// What the process's tasks share and /proc shows.
    pub process: Arc<ProcessInfo>,
    pub signals: SignalState,
    pub clear_child_tid: u64,
    /// `(head, len)` from `set_robust_list`.
    pub robust_list: (u64, u64),
    /// Set for the child of a vfork until it execs or exits: its parent waits.
    vfork_done: Option<Arc<Completion>>,
    /// A synchronous signal (a fault) to act on before anything else.
    forced: Option<abi::types::SigInfo>,
    /// The last syscall was interrupted and returned this restart value.
    syscall_restart: Option<Errno>,
    /// The last syscall replaced the registers (its return value is not written).
    registers_replaced: bool,
    /// Where the last fault was, if nothing but faults happened since.
    last_fault: Option<u64>,
    /// What restart_syscall goes on with: an interrupted sleep's end and where
    /// to write the time left.
    pub restart_block: Option<RestartBlock>,
    exit: std::cell::Cell<Option<Ending>>,
    /// This thread as signals and other threads see it.
    pub thread: Arc<ThreadInfo>,
}

/// What a new task is made of; its bookkeeping starts empty.
pub(crate) struct TaskParts {
    pub kernel: Arc<Kernel>,
    pub ctx: Arc<dyn Context>,
    pub cpu: CpuState,
    pub mm: Arc<MemoryManager>,
    pub fds: Arc<FdTable>,
    pub pid: i32,
    pub tid: i32,
    pub process: Arc<ProcessInfo>,
    pub thread: Arc<ThreadInfo>,
    pub signals: SignalState,
    pub clear_child_tid: u64,
    pub vfork_done: Option<Arc<Completion>>,
}

impl Task {
    pub(crate) fn new(p: TaskParts) -> Task {
        Task {
            kernel: p.kernel,
            ctx: p.ctx,
            cpu: p.cpu,
            mm: p.mm,
            fds: p.fds,
            pid: p.pid,
            tid: p.tid,
            process: p.process,
            signals: p.signals,
            clear_child_tid: p.clear_child_tid,
            robust_list: (0, 0),
            vfork_done: p.vfork_done,
            forced: None,
            syscall_restart: None,
            registers_replaced: false,
            last_fault: None,
            restart_block: None,
            exit: std::cell::Cell::new(None),
            thread: p.thread,
        }
    }
}

/// What an interrupted call left for restart_syscall.
#[derive(Clone, Copy, Debug)]
pub struct RestartBlock {
    pub deadline: std::time::Instant,
    /// Where to write the time left if interrupted again (0: nowhere).
    pub remaining_at: u64,
}

/// How a task's run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// This thread alone (`exit`).
    Thread(ExitStatus),
    /// The whole process (exit_group, a fatal signal).
    Group(ExitStatus),
    /// The process told this thread to go (another thread's exit_group or execve).
    Told,
}

/// A program loaded into a new address space.
struct Loaded {
    mm: Arc<MemoryManager>,
    image: loader::LoadedImage,
}

/// Why loading a program failed.
enum LoadError {
    Exec(Errno),
    Platform(platform::Error),
}

/// Makes an address space (the calling thread's platform context will run it)
/// and loads `path` into it.
fn load_program(
    kernel: &Kernel,
    opener: &TaskOpener<'_>,
    req: ExecRequest,
    creds: &Credentials,
    stack_limit: u64,
) -> Result<Loaded, LoadError> {
    let space = kernel
        .platform
        .new_address_space()
        .map_err(LoadError::Platform)?;
    let layout = Layout::randomized(kernel.platform.max_user_address(), stack_limit);
    let mm = Arc::new(MemoryManager::new(
        space,
        kernel.memfile.clone(),
        layout,
        stack_limit,
    ));
    let ids = AuxIds {
        uid: creds.uid,
        euid: creds.euid,
        gid: creds.gid,
        egid: creds.egid,
    };
    let image = loader::load(&mm, opener, req, ids, &kernel.host_auxv).map_err(LoadError::Exec)?;
    Ok(Loaded { mm, image })
}

/// Registers for a program that is about to start.
fn initial_cpu(image: &loader::LoadedImage) -> CpuState {
    let mut cpu = CpuState::new(platform::cpu_state::xsave_size());
    cpu.regs.rip = image.entry;
    cpu.regs.rsp = image.stack_pointer;
    cpu.fp.reset_to_init();
    cpu
}

/// The command name of an executable (`comm`): its base name, 15 bytes at most.
fn comm_of(exe_path: &str) -> [u8; 16] {
    let mut comm = [0u8; 16];
    let base = exe_path.rsplit('/').next().unwrap_or("").as_bytes();
    let n = base.len().min(15);
    comm[..n].copy_from_slice(&base[..n]);
    comm
}

impl Task {
    /// Creates the sandbox's init process on the calling thread, which will run it.
    pub fn new_init(kernel: Arc<Kernel>, spec: ProcessSpec) -> Result<Task, StartError> {
        Task::new_process(kernel, spec, tree::INIT_PID)
    }

    /// Creates a process with no parent in the sandbox (init, or one that
    /// `runsc exec` starts) as `pid`, already in the process tree, on the
    /// calling thread, which will run it.
    pub fn new_process(
        kernel: Arc<Kernel>,
        spec: ProcessSpec,
        pid: i32,
    ) -> Result<Task, StartError> {
        let ctx = kernel.platform.new_context()?;
        let stack_limit = spec.limits.cur(abi::linux::RLIMIT_STACK);
        let creds = Arc::new(spec.creds);
        let root = VfsPath::root_of(&kernel.mounts);
        let resolver = Resolver {
            ns: &kernel.mounts,
            root: root.clone(),
            creds: creds.clone(),
            limits: Default::default(),
        };
        let cwd = resolver
            .resolve(&root, spec.cwd.as_bytes(), true)
            .and_then(|c| {
                if c.is_dir() {
                    Ok(c)
                } else {
                    Err(Errno::ENOTDIR)
                }
            })
            .map_err(|errno| StartError::Cwd {
                path: spec.cwd.clone(),
                errno,
            })?;
        let opener = TaskOpener::new(resolver, &cwd);
        let name = spec
            .argv
            .first()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .unwrap_or_default();
        let path = search_path(&opener, &spec.envp, &name);
        let comm = comm_of(&path);
        let req = ExecRequest {
            path: path.clone(),
            argv: spec.argv,
            envp: spec.envp,
        };
        let Loaded { mm, image } = load_program(&kernel, &opener, req, &creds, stack_limit)
            .map_err(|e| match e {
                LoadError::Exec(errno) => StartError::Exec { path, errno },
                LoadError::Platform(e) => StartError::Platform(e),
            })?;
        let cpu = initial_cpu(&image);
        let exe_deny = opener.keep_denied(&image.exe_path);
        drop(opener);

        let thread = Arc::new(ThreadInfo::new(pid, ctx.clone()));
        let fds = Arc::new(FdTable::default());
        let stdio_resolver = Resolver {
            ns: &kernel.mounts,
            root: root.clone(),
            creds: creds.clone(),
            limits: Default::default(),
        };
        stdio::install(&fds, spec.stdio, &stdio_resolver);
        let process = ProcessInfo::new(ProcessParts {
            pid,
            fds: fds.clone(),
            fs: Arc::new(FsContext::new(root, cwd, 0o022)),
            mm: mm.clone(),
            comm,
            exe: image.exe_path.clone(),
            creds,
            limits: spec.limits,
            attrs: ProcessAttrs::default(),
            args: image.args,
            signals: ProcessSignals::default(),
            thread: thread.clone(),
        });
        *process.exe_deny.lock() = exe_deny;
        // The process leads a new session: a host terminal among stdio that
        // no session has is its controlling terminal, as the terminal runsc
        // was started from is its caller's.
        if let Some(tty) = (0..3)
            .filter_map(|fd| fds.get(fd).ok())
            .find_map(|f| f.ops.terminal())
            .map(|t| t.terminal())
            .filter(|t| t.job().get().session.is_none())
        {
            tty.job().set(crate::fsimpl::tty::JobState {
                session: Some(pid),
                pgrp: Some(pid),
            });
            *process.ctty.lock() = Some(tty);
        }
        kernel
            .processes
            .lock()
            .insert(pid, Arc::downgrade(&process));
        Ok(Task::new(TaskParts {
            kernel,
            ctx,
            cpu,
            mm,
            fds,
            pid,
            tid: pid,
            process,
            thread,
            signals: SignalState::default(),
            clear_child_tid: 0,
            vfork_done: None,
        }))
    }

    /// Resolves paths as this task sees the filesystem.
    pub fn resolver(&self) -> Resolver<'_> {
        Resolver {
            ns: &self.kernel.mounts,
            root: self.process.fs.root(),
            creds: self.process.creds(),
            limits: Default::default(),
        }
    }

    /// The task's credentials.
    pub fn creds(&self) -> Arc<Credentials> {
        self.process.creds()
    }

    pub fn cwd(&self) -> VfsPath {
        self.process.fs.cwd()
    }

    pub fn umask(&self) -> u32 {
        self.process.fs.umask()
    }

    /// The soft limit of `resource`.
    pub fn limit(&self, resource: u32) -> u64 {
        self.process.limits.lock().cur(resource)
    }

    /// The parent process's pid (0 for init).
    pub fn ppid(&self) -> i32 {
        self.kernel.tree.parent(self.pid)
    }

    /// Ends the whole process with `status` once the current syscall returns.
    pub fn exit_group(&mut self, status: ExitStatus) {
        *self.exit.get_mut() = Some(Ending::Group(status));
    }

    /// Ends this thread with `status` once the current syscall returns (the
    /// process ends with its last thread).
    pub fn exit_thread(&mut self, status: ExitStatus) {
        *self.exit.get_mut() = Some(Ending::Thread(status));
    }
}
