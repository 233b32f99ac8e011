//! execve: a new program replaces the process's old one.

use abi::Errno;

use super::exec_opener::TaskOpener;
use std::sync::Arc;

use super::{Leaving, LoadError, Loaded, Task, ThreadInfo, comm_of, initial_cpu, load_program};
use crate::loader::ExecRequest;
use crate::vfs::VfsPath;

impl Task {
    /// Loads `path` (relative to `dir` unless absolute) with `argv` and `envp`. On
    /// failure the old program is untouched; on success the task runs the new one
    /// from its first instruction once the syscall returns.
    pub fn execve(
        &mut self,
        dir: &VfsPath,
        path: &str,
        argv: Vec<Vec<u8>>,
        envp: Vec<Vec<u8>>,
    ) -> Result<(), Errno> {
        let creds = self.creds();
        let opener = TaskOpener::new(self.resolver(), dir);
        // The command name is the name the program was run by (a link's, not
        // its target's), as Linux takes it from the path given to execve.
        let comm = comm_of(path);
        let req = ExecRequest {
            path: path.to_string(),
            argv,
            envp,
        };
        let stack_limit = self.limit(abi::linux::RLIMIT_STACK);
        let Loaded { mm, image } = load_program(&self.kernel, &opener, req, &creds, stack_limit)
            .map_err(|e| match e {
                LoadError::Exec(errno) => errno,
                LoadError::Platform(e) => {
                    tracing::error!("execve: no address space: {e}");
                    Errno::ENOMEM
                }
            })?;
        let exe_deny = opener.keep_denied(&image.exe_path);
        drop(opener);

        // Past the point of no return: the other threads go, the old image is
        // dropped with its memory.
        self.leave_alone();
        // Our stub thread leaves the old address space when a vfork parent
        // still uses it (we and our process hold two references; a sole
        // owner's address space just goes).
        if Arc::strong_count(&self.mm) > 2
            && let Err(e) = self.mm.address_space().release_thread()
        {
            tracing::debug!("execve: releasing the old stub thread: {e}");
        }
        self.mm = mm.clone();
        *self.process.mm.lock() = mm;
        self.cpu = initial_cpu(&image);
        self.fds.close_on_exec();
        self.process.signals.reset_handlers();
        self.process.timers.delete_posix();
        self.signals.altstack = abi::types::StackT {
            flags: super::SS_DISABLE,
            ..Default::default()
        };
        // Capabilities are recomputed for the new program; it may be dumped again.
        let new_creds = Arc::new(self.creds().for_exec());
        *self.process.creds.lock() = new_creds;
        {
            let mut attrs = self.process.attrs.lock();
            attrs.dumpable = 1;
            attrs.membarrier_registered = 0;
        }
        *self.process.comm.lock() = comm;
        *self.process.exe_deny.lock() = exe_deny;
        *self.process.exe.lock() = image.exe_path;
        *self.process.args.lock() = image.args;
        self.clear_child_tid = 0;
        self.robust_list = (0, 0);
        self.kernel.tree.mark_execed(self.pid);
        if let Some(done) = self.vfork_done.take() {
            done.complete();
        }
        Ok(())
    }

    /// execve in a multi-threaded process: every other thread exits, and this
    /// one becomes the process's first thread (its tid becomes the pid).
    fn leave_alone(&mut self) {
        if self.process.threads.lock().len() > 1 {
            *self.process.leaving.lock() = Leaving::AllBut(self.tid);
            self.process.interrupt_threads();
            while self.process.threads.lock().len() > 1 {
                std::thread::sleep(std::time::Duration::from_millis(1));
                self.process.interrupt_threads();
            }
            *self.process.leaving.lock() = Leaving::No;
        }
        if self.tid != self.pid {
            let old = self.tid;
            self.tid = self.pid;
            self.thread = Arc::new(ThreadInfo::new(self.pid, self.ctx.clone()));
            self.thread.set_blocked(self.signals.mask);
            super::current::set(&self.kernel, &self.process, &self.thread);
            let mut threads = self.process.threads.lock();
            threads.remove(&old);
            threads.insert(self.pid, self.thread.clone());
            drop(threads);
            self.process.signals.forget_thread(old);
            self.kernel.tree.remove_thread(old);
        }
    }
}
