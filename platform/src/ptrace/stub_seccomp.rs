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

/// The vsyscall page (`0xffffffffff600000`): old static binaries call
/// `gettimeofday`, `time` and `getcpu` at its three entries. The host kernel
/// emulates such a call (whether its page is execute-only or readable) and
/// runs it through seccomp with the entry as the instruction pointer; in
/// `vsyscall=none` mode the call is a plain fault instead.
pub const VSYSCALL_ADDR: u64 = 0xffff_ffff_ff60_0000;
/// The entries of the vsyscall page, 1 KiB apart, and the call each makes.
pub const VSYSCALL_ENTRIES: [(u64, i64); 3] = [
    (VSYSCALL_ADDR, libc::SYS_gettimeofday),
    (VSYSCALL_ADDR + 0x400, libc::SYS_time),
    (VSYSCALL_ADDR + 0x800, libc::SYS_getcpu),
];
/// `si_errno` of the SIGSYS the stub filter raises for a vsyscall (`SECCOMP_RET_DATA`).
pub const VSYSCALL_TRAP_DATA: u32 = 0x7653;

const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
/// `SECCOMP_RET_TRAP`: SIGSYS to the thread, the call not made.
const SECCOMP_RET_TRAP: u32 = 0x0003_0000;

fn ins(code: u16, jt: u8, jf: u8, k: u32) -> sock_filter {
    sock_filter { code, jt, jf, k }
}

/// The instruction-pointer checks that open the stub filter (offsets in
/// struct seccomp_data: instruction_pointer 8, low half first):
/// - a call from one of the vsyscall entries is trapped (SIGSYS, which the
///   tracer sees and serves as the application's vsyscall, see `context.rs`);
/// - any other call must come from `ip`, the stub's `syscall`, or the stub dies.
fn instruction_pointer_check(ip: u64) -> Vec<sock_filter> {
    let [(e0, _), (e1, _), (e2, _)] = VSYSCALL_ENTRIES;
    vec![
        ins(LD_W_ABS, 0, 0, 12),                                 // 0: high half
        ins(JEQ_K, 0, 5, (VSYSCALL_ADDR >> 32) as u32),          // 1: -> 2, else 7
        ins(LD_W_ABS, 0, 0, 8),                                  // 2: low half
        ins(JEQ_K, 2, 0, e0 as u32),                             // 3: -> 6, else 4
        ins(JEQ_K, 1, 0, e1 as u32),                             // 4: -> 6, else 5
        ins(JEQ_K, 0, 4, e2 as u32),                             // 5: -> 6, else 10
        ins(RET_K, 0, 0, SECCOMP_RET_TRAP | VSYSCALL_TRAP_DATA), // 6
        ins(JEQ_K, 0, 2, (ip >> 32) as u32),                     // 7: -> 8, else 10
        ins(LD_W_ABS, 0, 0, 8),                                  // 8: low half
        ins(JEQ_K, 1, 0, ip as u32),                             // 9: -> 11 (the rules), else 10
        ins(RET_K, 0, 0, libc::SECCOMP_RET_KILL_PROCESS),        // 10
    ]
}

/// A prefix for the sentry's own filter, which stubs inherit: the calls the
/// host makes for a vsyscall entry pass it (the stub's filter, which comes
/// after it, traps them; the most restrictive verdict wins). Only those three
/// calls ever have such an instruction pointer.
pub fn vsyscall_passthrough() -> Vec<sock_filter> {
    let [(e0, _), (e1, _), (e2, _)] = VSYSCALL_ENTRIES;
    vec![
        ins(LD_W_ABS, 0, 0, 12),                        // 0: high half
        ins(JEQ_K, 0, 5, (VSYSCALL_ADDR >> 32) as u32), // 1: -> 2, else past the prefix
        ins(LD_W_ABS, 0, 0, 8),                         // 2: low half
        ins(JEQ_K, 2, 0, e0 as u32),                    // 3: -> 6, else 4
        ins(JEQ_K, 1, 0, e1 as u32),                    // 4: -> 6, else 5
        ins(JEQ_K, 0, 1, e2 as u32),                    // 5: -> 6, else past the prefix
        ins(RET_K, 0, 0, libc::SECCOMP_RET_ALLOW),      // 6
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
