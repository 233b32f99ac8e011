//! fork, vfork and clone: every new task runs on a sentry thread of its own. A
//! child process gets a copy-on-write copy of its parent's memory; a thread
//! (CLONE_THREAD) shares it, through a stub thread of its own in the same
//! platform address space.

use std::sync::Arc;
use std::sync::mpsc;

use abi::Errno;
use abi::linux as l;

use super::{
    Completion, FsContext, ProcessInfo, ProcessParts, SignalState, Task, TaskParts, ThreadInfo,
    tree,
};
use crate::fs::FdTable;
use crate::mm::{MemoryManager, MmSnapshot};
use crate::task::workers::Job;

/// What clone, clone3, fork and vfork ask for.
#[derive(Clone, Copy, Debug, Default)]
pub struct CloneRequest {
    pub flags: u64,
    /// Signal sent to the parent when the child exits (SIGCHLD for fork).
    pub exit_signal: i32,
    /// New stack pointer for the child (0: the parent's).
    pub stack: u64,
    pub tls: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
}

const fn bits(flags: &[u32]) -> u64 {
    let mut b = 0;
    let mut i = 0;
    while i < flags.len() {
        b |= flags[i] as u64;
        i += 1;
    }
    b
}

/// Flags a process clone may carry.
const PROCESS_FLAGS: u64 = bits(&[
    l::CLONE_VM,
    l::CLONE_FS,
    l::CLONE_FILES,
    l::CLONE_VFORK,
    l::CLONE_PARENT,
    l::CLONE_SETTLS,
    l::CLONE_PARENT_SETTID,
    l::CLONE_CHILD_SETTID,
    l::CLONE_CHILD_CLEARTID,
    l::CLONE_SYSVSEM,
    l::CLONE_DETACHED,
    l::CLONE_UNTRACED,
    l::CLONE_IO,
]);

impl Task {
    /// Makes a child process; returns its pid. With CLONE_VM (vfork,
    /// posix_spawn) the child shares our memory; with CLONE_VFORK we wait until
    /// it execs or exits.
    pub fn clone_process(&mut self, req: CloneRequest) -> Result<i32, Errno> {
        let has = |f: u32| req.flags & f as u64 != 0;
        if has(l::CLONE_THREAD) && !has(l::CLONE_SIGHAND)
            || has(l::CLONE_SIGHAND) && !has(l::CLONE_VM)
        {
            return Err(Errno::EINVAL);
        }
        self.check_nproc()?;
        // Linux's copy_thread: a TLS base outside the user range is EPERM (the
        // host would refuse it later, when the child first runs).
        if has(l::CLONE_SETTLS) && req.tls >= crate::mm::TASK_SIZE_MAX {
            return Err(Errno::EPERM);
        }
        if has(l::CLONE_THREAD) {
            return self.clone_thread(req);
        }
        if has(l::CLONE_SIGHAND) {
            tracing::warn!(
                "clone({:#x}): processes sharing signal handlers are not implemented",
                req.flags
            );
            return Err(Errno::ENOSYS);
        }
        if req.flags & !PROCESS_FLAGS != 0 {
            tracing::warn!("clone({:#x}): unsupported flags", req.flags);
            return Err(Errno::EINVAL);
        }
        if has(l::CLONE_PARENT) && self.pid == tree::INIT_PID {
            return Err(Errno::EINVAL);
        }

        let pid = self.kernel.tree.add_child(self.pid, has(l::CLONE_PARENT))?;
        let memory = if has(l::CLONE_VM) {
            // The same memory: the child runs on a stub thread of our own
            // address space, as a thread would.
            self.mm
                .address_space()
                .new_thread()
                .map(|handover| ChildMemory::Shared(self.mm.clone(), handover))
                .map_err(|e| {
                    tracing::error!("no stub thread for process {pid}: {e}");
                    Errno::EAGAIN
                })
        } else {
            self.mm.fork().map(ChildMemory::Copy)
        };
        let memory = match memory {
            Ok(m) => m,
            Err(e) => {
                self.kernel.tree.remove(pid);
                return Err(e);
            }
        };
        let Some(cpu) = self.child_cpu(&req) else {
            self.kernel.tree.remove(pid);
            return Err(Errno::EAGAIN);
        };
        let vfork_done = has(l::CLONE_VFORK).then(|| Arc::new(Completion::default()));
        let parent = &self.process;
        let seed = ChildSeed {
            kernel: self.kernel.clone(),
            pid,
            memory,
            cpu,
            fds: if has(l::CLONE_FILES) {
                self.fds.clone()
            } else {
                Arc::new(self.fds.fork_copy())
            },
            fs: if has(l::CLONE_FS) {
                parent.fs.clone()
            } else {
                Arc::new(parent.fs.fork_copy())
            },
            process: parent.clone(),
            signals: SignalState {
                saved_mask: None,
                ..self.signals.clone()
            },
            child_tid: req.child_tid,
            set_child_tid: has(l::CLONE_CHILD_SETTID),
            clear_child_tid: if has(l::CLONE_CHILD_CLEARTID) {
                req.child_tid
            } else {
                0
            },
            vfork_done: vfork_done.clone(),
        };
        if let Err(e) = seed.start() {
            tracing::error!("starting process {pid}: {e}");
            self.kernel.tree.remove(pid);
            return Err(Errno::EAGAIN);
        }
        if has(l::CLONE_PARENT_SETTID) {
            // Linux writes it before the child runs; a bad pointer is ignored.
            let _ = self.mm.write_obj(req.parent_tid, &pid);
        }
        if let Some(done) = vfork_done {
            // Only a signal that kills ends the wait: the child may be using
            // our memory and stack.
            let _ = done.wait(&Killable(self));
        }
        Ok(pid)
    }
}

impl Task {
    /// A new task's registers: ours, FP state included, returning 0 from clone,
    /// on the requested stack and TLS. None when the FP state cannot be read.
    fn child_cpu(&mut self, req: &CloneRequest) -> Option<platform::CpuState> {
        self.ctx
            .load_fp(self.mm.address_space(), &mut self.cpu)
            .ok()?;
        let mut cpu = self.cpu.clone();
        cpu.fp.bytes_mut();
        cpu.regs.rax = 0;
        if req.stack != 0 {
            cpu.regs.rsp = req.stack;
        }
        if req.flags & l::CLONE_SETTLS as u64 != 0 {
            cpu.regs.fs_base = req.tls;
        }
        Some(cpu)
    }
}

/// A child's memory: a copy-on-write copy of ours, or ours (CLONE_VM), which
/// it runs on a stub thread made for it in our address space.
enum ChildMemory {
    Copy(MmSnapshot),
    Shared(Arc<MemoryManager>, platform::NewThread),
}

/// A vfork parent's wait: only what kills the parent ends it.
struct Killable<'a>(&'a Task);

impl crate::waiter::Blocker for Killable<'_> {
    fn waker(&self) -> Arc<crate::waiter::Waker> {
        self.0.thread.waker.clone()
    }
    fn block(&self, deadline: Option<std::time::Instant>) -> Result<(), Errno> {
        if self.0.fatal_signal_pending() {
            return Err(Errno::EINTR);
        }
        let woken = self.0.thread.waker.sleep(deadline);
        if self.0.fatal_signal_pending() {
            return Err(Errno::EINTR);
        }
        if woken { Ok(()) } else { Err(Errno::ETIMEDOUT) }
    }
}

/// Everything a child task is made from, moved to its thread.
struct ChildSeed {
    kernel: Arc<crate::kernel::Kernel>,
    pid: i32,
    memory: ChildMemory,
    cpu: platform::CpuState,
    fds: Arc<FdTable>,
    fs: Arc<FsContext>,
    /// The parent's process, to copy from.
    process: Arc<ProcessInfo>,
    signals: SignalState,
    child_tid: u64,
    set_child_tid: bool,
    clear_child_tid: u64,
    vfork_done: Option<Arc<Completion>>,
}

/// Starts a sentry thread that makes a task with `make` and runs it until it is
/// gone; returns once the task exists (or could not be made).
fn spawn_task(
    tid: i32,
    make: impl FnOnce() -> Result<Task, String> + Send + 'static,
) -> Result<(), String> {
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(format!("task-{tid}"))
        .spawn(move || match make() {
            Ok(task) => {
                let _ = ready_tx.send(Ok(()));
                task.run_until_gone();
            }
            Err(e) => {
                let _ = ready_tx.send(Err(e));
            }
        })
        .map_err(|e| e.to_string())?;
    ready_rx
        .recv()
        .map_err(|_| "the task thread ended early".to_string())?
}

impl ChildSeed {
    fn start(self) -> Result<(), String> {
        spawn_task(self.pid, move || self.into_task())
    }

    /// Runs on the child's thread: its platform context and address space are made
    /// here, because the thread that makes them is the one that runs them.
    fn into_task(self) -> Result<Task, String> {
        let kernel = self.kernel;
        let ctx = kernel.platform.new_context().map_err(|e| e.to_string())?;
        let mm = match self.memory {
            ChildMemory::Copy(snapshot) => {
                let space = kernel
                    .platform
                    .new_address_space()
                    .map_err(|e| e.to_string())?;
                Arc::new(MemoryManager::from_fork(space, snapshot))
            }
            ChildMemory::Shared(mm, handover) => {
                mm.address_space()
                    .adopt_thread(handover)
                    .map_err(|e| e.to_string())?;
                mm
            }
        };
        if self.set_child_tid {
            // As on Linux, a bad pointer is ignored.
            let _ = mm.write_obj(self.child_tid, &self.pid);
        }
        let parent = &self.process;
        let thread = Arc::new(ThreadInfo::new(self.pid, ctx.clone()));
        let process = ProcessInfo::new(ProcessParts {
            pid: self.pid,
            fds: self.fds.clone(),
            fs: self.fs,
            mm: mm.clone(),
            comm: *parent.comm.lock(),
            exe: parent.exe.lock().clone(),
            creds: parent.creds(),
            limits: parent.limits.lock().clone(),
            attrs: parent.attrs.lock().fork(),
            args: *parent.args.lock(),
            signals: parent.signals.fork(),
            thread: thread.clone(),
        });
        *process.ctty.lock() = parent.ctty.lock().clone();
        *process.exe_deny.lock() = parent.exe_deny.lock().clone();
        kernel
            .processes
            .lock()
            .insert(self.pid, Arc::downgrade(&process));
        Ok(Task::new(TaskParts {
            kernel,
            ctx,
            cpu: self.cpu,
            mm,
            fds: self.fds,
            pid: self.pid,
            tid: self.pid,
            process,
            thread,
            signals: self.signals,
            clear_child_tid: self.clear_child_tid,
            vfork_done: self.vfork_done,
        }))
    }
}

impl Task {
    /// clone(CLONE_THREAD): a new thread of this process, sharing its memory,
    /// descriptors, filesystem context and signal handlers.
    fn clone_thread(&mut self, req: CloneRequest) -> Result<i32, Errno> {
        let has = |f: u32| req.flags & f as u64 != 0;
        if !has(l::CLONE_VM) || !has(l::CLONE_FILES) || !has(l::CLONE_FS) {
            tracing::warn!(
                "clone({:#x}): threads with their own descriptors or filesystem context are not implemented",
                req.flags
            );
            return Err(Errno::ENOSYS);
        }
        if req.flags & !(PROCESS_FLAGS | (l::CLONE_THREAD | l::CLONE_SIGHAND) as u64) != 0 {
            tracing::warn!("clone({:#x}): unsupported flags", req.flags);
            return Err(Errno::EINVAL);
        }
        if self.process.must_leave(self.tid) {
            return Err(Errno::EAGAIN);
        }
        let tid = self.kernel.tree.add_thread(self.pid)?;
        let fail = |t: &Task, e: String| {
            tracing::error!("starting thread {tid}: {e}");
            t.kernel.tree.remove_thread(tid);
            Errno::EAGAIN
        };
        // An idle sentry thread of this address space brings its own stub
        // thread (`workers.rs`); otherwise one is made for the new thread.
        let worker = self.mm.idle_workers.take();
        let handover = match worker {
            Some(_) => None,
            None => match self.mm.address_space().new_thread() {
                Ok(h) => Some(h),
                Err(e) => return Err(fail(self, e.to_string())),
            },
        };
        let Some(cpu) = self.child_cpu(&req) else {
            return Err(fail(self, "the FP state could not be read".into()));
        };
        if has(l::CLONE_CHILD_SETTID) {
            let _ = self.mm.write_obj(req.child_tid, &tid);
        }
        if has(l::CLONE_PARENT_SETTID) {
            let _ = self.mm.write_obj(req.parent_tid, &tid);
        }
        let seed = ThreadSeed {
            kernel: self.kernel.clone(),
            tid,
            pid: self.pid,
            cpu,
            mm: self.mm.clone(),
            fds: self.fds.clone(),
            process: self.process.clone(),
            // A new thread starts without an alternate signal stack.
            signals: SignalState {
                mask: self.signals.mask,
                ..Default::default()
            },
            clear_child_tid: if has(l::CLONE_CHILD_CLEARTID) {
                req.child_tid
            } else {
                0
            },
            handover,
        };
        let started = match worker {
            Some(worker) => start_on(worker, seed),
            None => spawn_task(tid, move || seed.into_task()),
        };
        started.map_err(|e| fail(self, e))?;
        Ok(tid)
    }
}

/// Hands `seed` to an idle sentry thread; returns once the task exists (or
/// could not be made).
fn start_on(worker: mpsc::Sender<Job>, seed: ThreadSeed) -> Result<(), String> {
    let (ready, ready_rx) = mpsc::channel();
    worker
        .send(Job { seed, ready })
        .map_err(|_| "the idle task thread is gone".to_string())?;
    ready_rx
        .recv()
        .map_err(|_| "the idle task thread ended early".to_string())?
}

/// Everything a new thread is made from, moved to its sentry thread.
pub(crate) struct ThreadSeed {
    kernel: Arc<crate::kernel::Kernel>,
    tid: i32,
    pid: i32,
    cpu: platform::CpuState,
    mm: Arc<MemoryManager>,
    fds: Arc<FdTable>,
    process: Arc<ProcessInfo>,
    signals: SignalState,
    clear_child_tid: u64,
    /// The stub thread made for it; None on an idle sentry thread, which
    /// has one.
    handover: Option<platform::NewThread>,
}

impl ThreadSeed {
    /// Runs on the new sentry thread, which adopts the stub thread made for it.
    fn into_task(mut self) -> Result<Task, String> {
        let ctx = self
            .kernel
            .platform
            .new_context()
            .map_err(|e| e.to_string())?;
        let handover = self
            .handover
            .take()
            .ok_or("no stub thread for the new thread")?;
        self.mm
            .address_space()
            .adopt_thread(handover)
            .map_err(|e| e.to_string())?;
        self.into_task_on(ctx)
    }

    /// Runs on the sentry thread that runs `ctx` and already traces a stub
    /// thread of the address space (a new one that adopted it, or an idle one).
    pub(crate) fn into_task_on(self, ctx: Arc<dyn platform::Context>) -> Result<Task, String> {
        let thread = Arc::new(ThreadInfo::new(self.tid, ctx.clone()));
        thread.set_blocked(self.signals.mask);
        self.process.threads.lock().insert(self.tid, thread.clone());
        Ok(Task::new(TaskParts {
            kernel: self.kernel,
            ctx,
            cpu: self.cpu,
            mm: self.mm,
            fds: self.fds,
            pid: self.pid,
            tid: self.tid,
            process: self.process,
            thread,
            signals: self.signals,
            clear_child_tid: self.clear_child_tid,
            vfork_done: None,
        }))
    }
}
