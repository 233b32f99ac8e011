//! The seccomp rules of the stub process kind.
//!
//! Application syscalls never reach these rules: `PTRACE_SYSEMU` stops them before
//! seccomp runs and the host never executes them. The filter is the second wall:
//! only the calls the sentry injects may run, only from the stub page's `syscall`
//! instruction, and only with the arguments the sentry uses. Anything else kills
//! the stub.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen as Len, SeccompCmpOp as Op,
    SeccompCondition as Cond, SeccompFilter, SeccompRule, TargetArch, sock_filter,
};

use super::stub_threads::CLONE_FLAGS;
use crate::{Error, Result};

/// The compiled filter plus the `sock_fprog` that points at it. Both live on the
/// sentry's heap before the stub is forked, so the stub's copy of the sentry's
/// memory holds them at the same addresses when the sentry injects `seccomp()`.
pub(crate) struct StubFilter {
    _program: Vec<libc::sock_filter>,
    fprog: Box<libc::sock_fprog>,
}

// SAFETY: the raw pointer inside `fprog` points into `_program`, which is owned by
// the same struct and never mutated after construction.
unsafe impl Send for StubFilter {}
// SAFETY: as above; shared access is read-only.
unsafe impl Sync for StubFilter {}

impl StubFilter {
    /// Address of the `sock_fprog` (valid in the sentry and in freshly forked stubs).
    pub fn fprog_addr(&self) -> u64 {
        &*self.fprog as *const libc::sock_fprog as u64
    }
}

fn cond(arg: u8, value: u64) -> Result<Cond> {
    Cond::new(arg, Len::Qword, Op::Eq, value)
        .map_err(|e| Error::Unsupported(format!("seccomp rule: {e}")))
}

/// Builds the stub filter for a memory file at descriptor `memfd` and a stub whose
/// `syscall` instruction returns to `syscall_return_addr`.
pub(crate) fn build(memfd: i32, syscall_return_addr: u64) -> Result<StubFilter> {
    let bad =
        |e: seccompiler::BackendError| Error::Unsupported(format!("stub seccomp filter: {e}"));
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();

    // mmap: map a range of the memory file into the application's address space,
    // always MAP_SHARED|MAP_FIXED of the memory file descriptor.
    let map_flags = (libc::MAP_SHARED | libc::MAP_FIXED) as u64;
    rules.insert(
        libc::SYS_mmap,
        vec![SeccompRule::new(vec![cond(3, map_flags)?, cond(4, memfd as u64)?]).map_err(bad)?],
    );
    // munmap: remove application mappings (munmap, mprotect by remapping, exit).
    rules.insert(libc::SYS_munmap, vec![]);
    // clone: a new stub thread for a new application thread (`stub_threads.rs`);
    // exactly the thread flags and no stack (the child runs only the stub page).
    rules.insert(
        libc::SYS_clone,
        vec![SeccompRule::new(vec![cond(0, CLONE_FLAGS)?, cond(1, 0)?]).map_err(bad)?],
    );
    // pause: a new stub thread sleeps in it, untraced, until its own tracer
    // seizes it.
    rules.insert(libc::SYS_pause, vec![]);
    // exit: an application thread ends; only its stub thread exits, with status 0.
    rules.insert(
        libc::SYS_exit,
        vec![SeccompRule::new(vec![cond(0, 0)?]).map_err(bad)?],
    );

    let filter = SeccompFilter::new(
        rules,
        SeccompAction::KillProcess,
        SeccompAction::Allow,
        TargetArch::x86_64,
    )
    .map_err(bad)?;
    let syscall_rules: BpfProgram = filter.try_into().map_err(bad)?;

    // Prefix: the instruction pointer must be the stub's, else kill.
    let mut program = instruction_pointer_check(syscall_return_addr);
    program.extend(syscall_rules);
    let program = kernel_program(program);
    let fprog = Box::new(libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_ptr() as *mut _,
    });
    Ok(StubFilter {
        _program: program,
        fprog,
    })
}

/// `seccomp_data.instruction_pointer` must equal `ip` (both 32-bit halves).
fn instruction_pointer_check(ip: u64) -> Vec<sock_filter> {
    const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
    // Offsets in struct seccomp_data: nr 0, arch 4, instruction_pointer 8.
    let ins = |code, jt, jf, k| sock_filter { code, jt, jf, k };
    vec![
        ins(LD_W_ABS, 0, 0, 8),
        ins(JEQ_K, 0, 2, ip as u32), // low half differs: to the kill
        ins(LD_W_ABS, 0, 0, 12),
        ins(JEQ_K, 1, 0, (ip >> 32) as u32), // both match: past the kill
        ins(RET_K, 0, 0, libc::SECCOMP_RET_KILL_PROCESS),
    ]
}

/// A seccompiler program as the kernel's `sock_filter`s, ready for
/// `seccomp(SECCOMP_SET_MODE_FILTER)` in a child that may not allocate.
pub fn kernel_program(program: BpfProgram) -> Vec<libc::sock_filter> {
    program
        .into_iter()
        .map(|i| libc::sock_filter {
            code: i.code,
            jt: i.jt,
            jf: i.jf,
            k: i.k,
        })
        .collect()
}
