//! Creating a stub process: the host process an application address space lives in.
//!
//! The calling sentry thread forks; the child asks to be traced by it and stops.
//! Everything else is done *to* the child by injected calls from the stub page:
//! close every descriptor but the memory file, set `no_new_privs`, drop the
//! parent-death signal (tracing ties the stub's life to the sentry's), install
//! the stub seccomp filter, and unmap all of the sentry's memory but the stub
//! page. What is left is an empty address space whose only code is
//! `syscall; int3`.

use nix::errno::Errno;

use super::stub_page::StubPage;
use super::stub_seccomp::StubFilter;
use super::thread::{Stop, TracedThread};
use crate::cpu_state::Regs;
use crate::{Error, Result};

/// Highest user address on x86-64 with 4-level paging (`TASK_SIZE`).
const TASK_SIZE: u64 = 0x7fff_ffff_f000;

/// A freshly set-up stub: its one thread, stopped, traced by the calling thread.
pub(crate) struct NewStub {
    pub thread: TracedThread,
    /// Registers to start injections from.
    pub template: Regs,
}

/// Forks a stub from the calling thread, which becomes its tracer.
pub(crate) fn create(stub: &StubPage, filter: &StubFilter, memfd: i32) -> Result<NewStub> {
    let parent = std::process::id() as i32;
    // SAFETY: the child runs only async-signal-safe raw calls (prctl, getppid,
    // ptrace, sigprocmask, kill, _exit) before it stops for its tracer, and never
    // returns into Rust code: the tracer takes it over at the stub page.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(Error::Host {
            what: "fork(stub)",
            errno: Errno::last(),
        });
    }
    if pid == 0 {
        // SAFETY: see above; the child only makes these raw calls.
        unsafe { child_stop_for_tracer(parent) }
    }
    let thread = TracedThread { pid, tid: pid };
    match setup(&thread, stub, filter, memfd) {
        Ok(template) => Ok(NewStub { thread, template }),
        Err(e) => {
            kill_and_reap(pid, &[]);
            Err(e)
        }
    }
}

/// The child's whole life in Rust code: die with the tracer, be traced, stop.
///
/// # Safety
/// Must be called only in a freshly forked child.
unsafe fn child_stop_for_tracer(parent: i32) -> ! {
    // SAFETY: raw syscalls on our own process; no allocation, no locks.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::getppid() != parent {
            libc::_exit(1);
        }
        if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) != 0 {
            libc::_exit(2);
        }
        // Unblock everything: interrupts must reach the tracer as signal stops.
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        libc::kill(libc::getpid(), libc::SIGSTOP);
        libc::_exit(3)
    }
}

fn setup(thread: &TracedThread, stub: &StubPage, filter: &StubFilter, memfd: i32) -> Result<Regs> {
    loop {
        match thread.wait()? {
            Stop::Signal(libc::SIGSTOP) => break,
            // A signal from outside before the stub's own stop: dropped.
            Stop::Signal(sig) if !super::thread::is_fault_signal(sig) => thread.cont()?,
            other => {
                return Err(Error::Unsupported(format!(
                    "stub did not stop as expected: {other:?}"
                )));
            }
        }
    }
    thread.set_options(nix::sys::ptrace::Options::empty())?;
    let template = thread.get_regs()?;
    let call = |nr: i64, args: [u64; 6], what: &'static str| -> Result<()> {
        let (ret, _) = thread.inject(stub, &template, nr, args)?;
        if ret < 0 {
            return Err(Error::Host {
                what,
                errno: Errno::from_raw(-ret as i32),
            });
        }
        Ok(())
    };
    let memfd = memfd as u64;
    if memfd > 0 {
        call(
            libc::SYS_close_range,
            [0, memfd - 1, 0, 0, 0, 0],
            "close_range(stub)",
        )?;
    }
    call(
        libc::SYS_close_range,
        [memfd + 1, u32::MAX as u64, 0, 0, 0, 0],
        "close_range(stub)",
    )?;
    unregister_rseq(thread, stub, &template)?;
    call(
        libc::SYS_prctl,
        [libc::PR_SET_NO_NEW_PRIVS as u64, 1, 0, 0, 0, 0],
        "prctl(stub)",
    )?;
    // The death signal follows the forking *thread*, which may end (releasing its
    // stub thread) while other sentry threads still run this stub. From here on
    // every stub thread is traced with PTRACE_O_EXITKILL, which covers the sentry's
    // death instead.
    call(
        libc::SYS_prctl,
        [libc::PR_SET_PDEATHSIG as u64, 0, 0, 0, 0, 0],
        "prctl(stub)",
    )?;
    call(
        libc::SYS_seccomp,
        [
            libc::SECCOMP_SET_MODE_FILTER as u64,
            0,
            filter.fprog_addr(),
            0,
            0,
            0,
        ],
        "seccomp(stub)",
    )?;
    // From here on only the stub filter's calls work. Drop the sentry's memory.
    call(
        libc::SYS_munmap,
        [0, stub.start(), 0, 0, 0, 0],
        "munmap(stub)",
    )?;
    call(
        libc::SYS_munmap,
        [stub.end(), TASK_SIZE - stub.end(), 0, 0, 0, 0],
        "munmap(stub)",
    )?;
    Ok(template)
}

unsafe extern "C" {
    /// glibc (2.35+): offset of the thread's rseq area from the thread pointer.
    static __rseq_offset: isize;
    /// glibc (2.35+): size of the registered rseq area, 0 when rseq is not in use.
    static __rseq_size: u32;
}

/// glibc's rseq signature on x86.
const RSEQ_SIG: u64 = 0x5305_3053;
const RSEQ_FLAG_UNREGISTER: u64 = 1;

/// The stub inherits the forking thread's rseq registration, whose area is about
/// to be unmapped; the kernel would then fault (SIGSEGV) updating it on the way
/// back to user mode. Unregister it, trying the lengths glibc registers with.
fn unregister_rseq(thread: &TracedThread, stub: &StubPage, template: &Regs) -> Result<()> {
    // SAFETY: plain reads of two integers glibc initialises before main.
    let (offset, size) = unsafe { (__rseq_offset, __rseq_size) };
    if size == 0 {
        return Ok(());
    }
    let area = template.fs_base.wrapping_add(offset as u64);
    let mut last = 0;
    for len in [32u64, size as u64] {
        let (ret, _) = thread.inject(
            stub,
            template,
            libc::SYS_rseq,
            [area, len, RSEQ_FLAG_UNREGISTER, RSEQ_SIG, 0, 0],
        )?;
        if ret == 0 {
            return Ok(());
        }
        last = ret;
    }
    Err(Error::Host {
        what: "rseq(unregister, stub)",
        errno: Errno::from_raw(-last as i32),
    })
}

/// Kills a stub and reaps it: first `threads` (its threads other than the
/// leader that sentry threads still trace), then the process. Any thread of the
/// sentry may do it: a process waits for its threads' tracees and children alike.
pub(crate) fn kill_and_reap(pid: i32, threads: &[i32]) {
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    for &tid in threads.iter().chain([&pid]) {
        let mut status = 0;
        // SAFETY: reaping our own child or tracee with a valid status pointer; one
        // that is already gone is ECHILD, which ends the loop.
        while unsafe { libc::waitpid(tid, &mut status, libc::__WALL) } < 0
            && Errno::last() == Errno::EINTR
        {}
    }
}
