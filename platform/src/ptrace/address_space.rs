//! A ptrace address space: one stub process, mapped into by injected `mmap`s,
//! with one stub thread per application thread.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use nix::errno::Errno;

use super::shared::Shared;
use super::stub_process;
use super::stub_threads::{self, Orphan};
use super::thread::TracedThread;
use crate::cpu_state::Regs;
use crate::{AddressSpace, Error, NewThread, Prot, Result};

/// One stub thread and what its tracer knows about it.
pub(crate) struct StubThread {
    pub thread: TracedThread,
    /// Registers to start injections from.
    pub template: Regs,
    /// The registers the host thread holds now, when known (an injection clobbers them).
    pub host_regs: Option<Regs>,
    /// An interrupt arrived while injecting; the next switch reports it.
    pub pending_interrupt: bool,
}

pub(crate) struct PtraceAddressSpace {
    shared: Arc<Shared>,
    pid: i32,
    /// Stub threads by the sentry thread (tid) that traces them.
    threads: Mutex<HashMap<i32, Arc<Mutex<StubThread>>>>,
}

/// The calling thread's tid (cached: it is asked on every switch).
pub(crate) fn current_tid() -> i32 {
    thread_local! {
        static TID: i32 = nix::unistd::gettid().as_raw();
    }
    TID.with(|t| *t)
}

impl PtraceAddressSpace {
    /// Forks a new stub traced by the calling thread.
    pub fn new(shared: Arc<Shared>) -> Result<PtraceAddressSpace> {
        let stub = stub_process::create(shared.stub, &shared.filter, shared.memfd)?;
        super::affinity::follow_current_thread(stub.thread.tid);
        let pid = stub.thread.pid;
        let slot = StubThread {
            thread: stub.thread,
            template: stub.template,
            host_regs: None,
            pending_interrupt: false,
        };
        let threads = HashMap::from([(current_tid(), Arc::new(Mutex::new(slot)))]);
        Ok(PtraceAddressSpace {
            shared,
            pid,
            threads: Mutex::new(threads),
        })
    }

    /// The stub thread traced by the calling thread.
    pub fn current_thread(&self) -> Result<Arc<Mutex<StubThread>>> {
        let threads = self.threads.lock().unwrap_or_else(|e| e.into_inner());
        threads.get(&current_tid()).cloned().ok_or_else(|| {
            Error::Unsupported("this sentry thread has no stub thread in the address space".into())
        })
    }

    fn inject(&self, nr: i64, args: [u64; 6], what: &'static str) -> Result<()> {
        let slot = self.current_thread()?;
        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        slot.host_regs = None;
        let (ret, interrupted) = slot
            .thread
            .inject(self.shared.stub, &slot.template, nr, args)?;
        slot.pending_interrupt |= interrupted;
        if ret < 0 {
            return Err(Error::Host {
                what,
                errno: Errno::from_raw(-ret as i32),
            });
        }
        Ok(())
    }
}

impl AddressSpace for PtraceAddressSpace {
    fn map(&self, addr: u64, len: u64, memfile_offset: u64, prot: Prot) -> Result<()> {
        // Nothing of the application goes at or above the stub page.
        if len == 0 {
            return Ok(());
        }
        if addr
            .checked_add(len)
            .is_none_or(|end| end > self.shared.stub.start())
        {
            return Err(Error::Unsupported(format!(
                "mapping {addr:#x}+{len:#x}: outside the application's range"
            )));
        }
        let flags = (libc::MAP_SHARED | libc::MAP_FIXED) as u64;
        let args = [
            addr,
            len,
            prot.bits(),
            flags,
            self.shared.memfd as u64,
            memfile_offset,
        ];
        self.inject(libc::SYS_mmap, args, "mmap(stub)")
    }

    fn unmap(&self, addr: u64, len: u64) -> Result<()> {
        // Clipped below the stub page, which must survive whatever the
        // application unmaps; an empty range is nothing to do.
        let end = addr.saturating_add(len).min(self.shared.stub.start());
        if end <= addr {
            return Ok(());
        }
        let len = end - addr;
        self.inject(libc::SYS_munmap, [addr, len, 0, 0, 0, 0], "munmap(stub)")
    }

    fn cpu_time(&self) -> Option<std::time::Duration> {
        // MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED): the stub's CPU-time clock, which
        // counts only application code (the sentry runs in other processes' time).
        let clock = nix::time::ClockId::from_raw(((!self.pid) << 3) | 2);
        let ts = nix::time::clock_gettime(clock).ok()?;
        Some(std::time::Duration::new(
            ts.tv_sec() as u64,
            ts.tv_nsec() as u32,
        ))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn new_thread(&self) -> Result<NewThread> {
        let slot = self.current_thread()?;
        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        slot.host_regs = None;
        let (orphan, interrupted) =
            stub_threads::clone(&slot.thread, self.shared.stub, &slot.template)?;
        slot.pending_interrupt |= interrupted;
        Ok(NewThread::new(orphan))
    }

    fn adopt_thread(&self, thread: NewThread) -> Result<()> {
        let orphan: Orphan = thread.downcast()?;
        if orphan.thread.pid != self.pid {
            return Err(Error::Unsupported(
                "a thread of another address space".into(),
            ));
        }
        let tid = current_tid();
        if self
            .threads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&tid)
        {
            return Err(Error::Unsupported(
                "this sentry thread already runs a thread of the address space".into(),
            ));
        }
        stub_threads::adopt(&orphan, self.shared.stub)?;
        super::affinity::follow_current_thread(orphan.thread.tid);
        let slot = StubThread {
            thread: orphan.thread,
            template: orphan.template,
            host_regs: None,
            pending_interrupt: false,
        };
        self.threads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(tid, Arc::new(Mutex::new(slot)));
        Ok(())
    }

    fn release_thread(&self) -> Result<()> {
        let slot = self
            .threads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&current_tid())
            .ok_or_else(|| {
                Error::Unsupported(
                    "this sentry thread has no stub thread in the address space".into(),
                )
            })?;
        let slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        stub_threads::exit(&slot.thread, self.shared.stub, &slot.template)
    }
}

impl Drop for PtraceAddressSpace {
    fn drop(&mut self) {
        // Threads other than the leader, still traced, stay zombies until reaped
        // (and the leader with them), so they are reaped first.
        let threads = self.threads.get_mut().unwrap_or_else(|e| e.into_inner());
        let others: Vec<i32> = threads
            .values()
            .map(|slot| slot.lock().unwrap_or_else(|e| e.into_inner()).thread.tid)
            .filter(|&tid| tid != self.pid)
            .collect();
        stub_process::kill_and_reap(self.pid, &others);
    }
}
