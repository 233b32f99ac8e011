//! Tasks: one application thread each, run by one sentry thread.

mod creds;
mod exec_opener;
mod limits;
mod process;
mod run;
mod signals;

use std::sync::Arc;

use abi::Errno;
use platform::{Context, CpuState};

pub use creds::Credentials;
pub use limits::{Limits, RLIM_INFINITY, RLIM_NLIMITS};
pub use process::{ArgRanges, FsContext, ProcessInfo};
pub use signals::{SignalState, UNBLOCKABLE};

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
    pub stdio: [i32; 3],
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
    pub ppid: i32,
    /// What the process's tasks share and /proc shows.
    pub process: Arc<ProcessInfo>,
    pub signals: SignalState,
    pub clear_child_tid: u64,
    /// `(head, len)` from `set_robust_list`.
    pub robust_list: (u64, u64),
    exit: std::cell::Cell<Option<ExitStatus>>,
}

impl Task {
    /// Creates the sandbox's init process on the calling thread, which will run it.
    pub fn new_init(kernel: Arc<Kernel>, spec: ProcessSpec) -> Result<Task, StartError> {
        let ctx = kernel.platform.new_context()?;
        let space = kernel.platform.new_address_space()?;
        let stack_limit = spec.limits.cur(abi::linux::RLIMIT_STACK);
        let layout = Layout::randomized(kernel.platform.max_user_address(), stack_limit);
        let mm = Arc::new(MemoryManager::new(
            space,
            kernel.memfile.clone(),
            layout,
            stack_limit,
        ));
        let ids = AuxIds {
            uid: spec.creds.uid,
            euid: spec.creds.euid,
            gid: spec.creds.gid,
            egid: spec.creds.egid,
        };
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
        let opener = TaskOpener {
            resolver,
            cwd: &cwd,
        };
        let name = spec
            .argv
            .first()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .unwrap_or_default();
        let path = search_path(&opener, &spec.envp, &name);
        let req = ExecRequest {
            path: path.clone(),
            argv: spec.argv,
            envp: spec.envp,
        };
        let image = loader::load(&mm, &opener, req, ids, &kernel.host_auxv)
            .map_err(|errno| StartError::Exec { path, errno })?;

        let mut cpu = CpuState::new(platform::cpu_state::xsave_size());
        cpu.regs.rip = image.entry;
        cpu.regs.rsp = image.stack_pointer;
        cpu.fp.reset_to_init();

        let fds = Arc::new(FdTable::default());
        for (fd, host) in spec.stdio.into_iter().enumerate() {
            let flags = crate::fs::host_fd::host_access_mode(host);
            let file =
                crate::fs::OpenFile::new(Arc::new(crate::fs::host_fd::HostFd::new(host)), flags);
            fds.install_at(fd as i32, file, false);
        }
        let mut comm = [0u8; 16];
        let base = image.exe_path.rsplit('/').next().unwrap_or("").as_bytes();
        let n = base.len().min(15);
        comm[..n].copy_from_slice(&base[..n]);
        let process = Arc::new(ProcessInfo {
            pid: 1,
            ppid: 0,
            started: std::time::Instant::now(),
            fds: fds.clone(),
            fs: Arc::new(FsContext::new(root, cwd, 0o022)),
            mm: parking_lot::Mutex::new(mm.clone()),
            comm: parking_lot::Mutex::new(comm),
            exe: parking_lot::Mutex::new(image.exe_path),
            creds: parking_lot::Mutex::new(creds),
            limits: parking_lot::Mutex::new(spec.limits),
            args: parking_lot::Mutex::new(image.args),
        });
        kernel.processes.lock().insert(1, Arc::downgrade(&process));
        Ok(Task {
            kernel,
            ctx,
            cpu,
            mm,
            fds,
            pid: 1,
            tid: 1,
            ppid: 0,
            process,
            signals: SignalState::default(),
            clear_child_tid: 0,
            robust_list: (0, 0),
            exit: std::cell::Cell::new(None),
        })
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

    /// Ends the task group with `status` once the current syscall returns.
    pub fn exit_group(&mut self, status: ExitStatus) {
        *self.exit.get_mut() = Some(status);
    }

    /// As `exit_group`, from code that only borrows the task.
    pub fn request_exit(&self, status: ExitStatus) {
        self.exit.set(Some(status));
    }

    /// Makes the task's current or next switch return early (any thread may call this).
    pub fn interrupter(&self) -> Arc<dyn Context> {
        self.ctx.clone()
    }
}
