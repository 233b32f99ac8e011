//! Tasks: one application thread each, run by one sentry thread.

mod creds;
mod exec_opener;
mod limits;
mod run;
mod signals;

use std::sync::Arc;

use abi::Errno;
use platform::{Context, CpuState};

pub use creds::Credentials;
pub use limits::{Limits, RLIM_INFINITY, RLIM_NLIMITS};
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
    pub fds: FdTable,
    pub pid: i32,
    pub tid: i32,
    pub ppid: i32,
    pub creds: Credentials,
    pub limits: Limits,
    pub signals: SignalState,
    /// The thread's name (`PR_SET_NAME`), NUL-padded.
    pub comm: [u8; 16],
    pub clear_child_tid: u64,
    /// `(head, len)` from `set_robust_list`.
    pub robust_list: (u64, u64),
    /// The task's root (chroot) and working directory.
    pub root: VfsPath,
    pub cwd: VfsPath,
    pub umask: u32,
    pub exe_path: String,
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
        let root = VfsPath::root_of(&kernel.mounts);
        let resolver = Resolver {
            ns: &kernel.mounts,
            root: &root,
            creds: &spec.creds,
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

        let mut fds = FdTable::default();
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
        Ok(Task {
            kernel,
            ctx,
            cpu,
            mm,
            fds,
            pid: 1,
            tid: 1,
            ppid: 0,
            creds: spec.creds,
            limits: spec.limits,
            signals: SignalState::default(),
            comm,
            clear_child_tid: 0,
            robust_list: (0, 0),
            root,
            cwd,
            umask: 0o022,
            exe_path: image.exe_path,
            exit: std::cell::Cell::new(None),
        })
    }

    /// Resolves paths as this task sees the filesystem.
    pub fn resolver(&self) -> Resolver<'_> {
        Resolver {
            ns: &self.kernel.mounts,
            root: &self.root,
            creds: &self.creds,
        }
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
