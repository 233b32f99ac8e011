//! The seccomp rules of the sentry process kind (`runsc boot` once set up):
//! every host system call the sentry, the ptrace platform, Rust's std and
//! glibc make after confinement, each with why, and with argument filters
//! where the arguments say what is safe.
//!
//! Stub processes are forked from the sentry after the filter is installed and
//! inherit it (their own filter, `platform/src/ptrace/stub_seccomp.rs`, comes
//! on top), so the calls the platform injects into stubs must pass here too.
//! Application system calls never reach either filter: `PTRACE_SYSEMU` stops
//! them before seccomp runs.
//!
//! A call that is not listed kills the whole sandbox (`SECCOMP_RET_KILL_PROCESS`).

use seccompiler::{SeccompCmpArgLen as Len, SeccompCmpOp as Op, SeccompCondition as Cond};

/// What the rules depend on in this sandbox.
pub struct Facts {
    /// The memory file's descriptor: stubs map only it.
    pub memfd: i32,
}

/// What happens to a listed call.
pub enum Action {
    /// Allowed when any one of these condition sets holds (all conditions of a
    /// set at once); an empty list allows any arguments.
    Allow(Vec<Vec<Cond>>),
    /// Fails with this errno without reaching the host.
    Refuse(u32),
}

/// One rule of the allowlist.
pub struct Rule {
    pub sysno: i64,
    /// The argument filter in words ("" for any arguments).
    pub args: &'static str,
    pub why: &'static str,
    pub action: Action,
}

fn any(sysno: i64, why: &'static str) -> Rule {
    Rule {
        sysno,
        args: "",
        why,
        action: Action::Allow(Vec::new()),
    }
}

fn when(sysno: i64, args: &'static str, why: &'static str, sets: Vec<Vec<Cond>>) -> Rule {
    Rule {
        sysno,
        args,
        why,
        action: Action::Allow(sets),
    }
}

fn refuse(sysno: i64, errno: i32, why: &'static str) -> Rule {
    Rule {
        sysno,
        args: "",
        why,
        action: Action::Refuse(errno as u32),
    }
}

/// Argument `arg` equals `value` (compared as 64 bits).
fn eq(arg: u8, value: u64) -> Cond {
    Cond::new(arg, Len::Qword, Op::Eq, value).expect("argument index below 6")
}

/// Argument `arg`, as a 32-bit int, equals `value`.
fn eq32(arg: u8, value: u32) -> Cond {
    Cond::new(arg, Len::Dword, Op::Eq, value as u64).expect("argument index below 6")
}

/// Argument `arg` has none of the bits of `mask`.
fn none_of(arg: u8, mask: u64) -> Cond {
    Cond::new(arg, Len::Qword, Op::MaskedEq(mask), 0).expect("argument index below 6")
}

/// One condition set per value: argument `arg` (32 bits) is one of `values`.
fn one_of(arg: u8, values: &[i64]) -> Vec<Vec<Cond>> {
    values.iter().map(|&v| vec![eq32(arg, v as u32)]).collect()
}

/// glibc's `pthread_create` (through `clone` once `clone3` says ENOSYS).
const THREAD_CLONE: i32 = libc::CLONE_VM
    | libc::CLONE_FS
    | libc::CLONE_FILES
    | libc::CLONE_SIGHAND
    | libc::CLONE_THREAD
    | libc::CLONE_SYSVSEM
    | libc::CLONE_SETTLS
    | libc::CLONE_PARENT_SETTID
    | libc::CLONE_CHILD_CLEARTID;

/// glibc's `fork()`.
const FORK_CLONE: i32 = libc::CLONE_CHILD_SETTID | libc::CLONE_CHILD_CLEARTID | libc::SIGCHLD;

/// The sentry's allowlist.
pub fn rules(facts: &Facts) -> Vec<Rule> {
    let memfd = facts.memfd as u64;
    vec![
        // --- Memory ---
        when(
            libc::SYS_mmap,
            "no PROT_EXEC; or MAP_SHARED|MAP_FIXED of the memory file (stubs)",
            "the allocator, thread stacks and the memory file's view in the sentry; \
             injected into stubs to map application memory (any protection)",
            vec![
                vec![none_of(2, libc::PROT_EXEC as u64)],
                vec![
                    eq(3, (libc::MAP_SHARED | libc::MAP_FIXED) as u64),
                    eq(4, memfd),
                ],
            ],
        ),
        when(
            libc::SYS_mprotect,
            "no PROT_EXEC",
            "guard pages of thread stacks; the sentry never makes memory executable",
            vec![vec![none_of(2, libc::PROT_EXEC as u64)]],
        ),
        any(
            libc::SYS_munmap,
            "the allocator; injected into stubs to unmap application memory",
        ),
        any(libc::SYS_mremap, "the allocator growing large buffers"),
        any(libc::SYS_brk, "the allocator's heap"),
        when(
            libc::SYS_madvise,
            "MADV_DONTNEED, MADV_FREE",
            "the allocator and glibc returning freed memory and dead thread stacks",
            one_of(2, &[libc::MADV_DONTNEED as i64, libc::MADV_FREE as i64]),
        ),
        any(
            libc::SYS_mincore,
            "mincore: which memory-file pages the application really touched",
        ),
        any(
            libc::SYS_fallocate,
            "freeing memory-file ranges (punching holes); fallocate on gofer files",
        ),
        any(
            libc::SYS_ftruncate,
            "growing the memory file; truncating gofer files",
        ),
        // --- Descriptors the sentry holds: stdio, gofer files, the memory file ---
        any(libc::SYS_read, "host stdio, gofer files"),
        any(libc::SYS_write, "host stdio, gofer files, log lines"),
        any(libc::SYS_pread64, "gofer files (read)"),
        any(libc::SYS_pwrite64, "gofer files (write)"),
        any(libc::SYS_writev, "host stdio (vectored writes), log lines"),
        any(
            libc::SYS_close,
            "gofer files and node handles being dropped",
        ),
        refuse(
            libc::SYS_openat,
            libc::ENOENT,
            "ENOENT (harmless): the root is empty, so that is the answer anyway; \
             refused so that no path is opened below a directory the gofer donated",
        ),
        refuse(libc::SYS_open, libc::ENOENT, "ENOENT (harmless), as openat"),
        any(libc::SYS_fstat, "attributes of gofer files and host stdio"),
        when(
            libc::SYS_newfstatat,
            "AT_EMPTY_PATH",
            "glibc's fstat: attributes of a descriptor (fstatat(fd, \"\", AT_EMPTY_PATH))",
            vec![vec![eq32(3, libc::AT_EMPTY_PATH as u32)]],
        ),
        any(libc::SYS_fsync, "fsync of gofer files"),
        any(libc::SYS_lseek, "gofer directory reads"),
        when(
            libc::SYS_fcntl,
            "F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC",
            "descriptor and status flags of host stdio and gofer files; a host \
             terminal keeps its own duplicate of the descriptor",
            one_of(
                1,
                &[
                    libc::F_GETFD as i64,
                    libc::F_SETFD as i64,
                    libc::F_GETFL as i64,
                    libc::F_SETFL as i64,
                    libc::F_DUPFD_CLOEXEC as i64,
                ],
            ),
        ),
        when(
            libc::SYS_ioctl,
            "TCGETS, TCGETS2, TCSETS2, TCFLSH, TCXONC, TIOCGWINSZ, TIOCSWINSZ, \
             FIONREAD, TIOCOUTQ",
            "isatty, and the settings, window size, queue and flow requests the \
             sandbox's terminal layer forwards to a host terminal given as stdio \
             (its sessions and foreground groups stay sandbox state)",
            one_of(
                1,
                &[
                    abi::ioctl::TCGETS as i64,
                    abi::ioctl::TCGETS2 as i64,
                    abi::ioctl::TCSETS2 as i64,
                    abi::ioctl::TCFLSH as i64,
                    abi::ioctl::TCXONC as i64,
                    abi::ioctl::TIOCGWINSZ as i64,
                    abi::ioctl::TIOCSWINSZ as i64,
                    abi::ioctl::FIONREAD as i64,
                    abi::ioctl::TIOCOUTQ as i64,
                ],
            ),
        ),
        any(
            libc::SYS_close_range,
            "injected into a new stub: close every descriptor but the memory file",
        ),
        any(
            libc::SYS_sendmsg,
            "requests to the gofers; answers on the control socket",
        ),
        any(
            libc::SYS_accept4,
            "connections on the control socket (inherited, already listening)",
        ),
        any(
            libc::SYS_recvmsg,
            "replies from the gofers, with donated descriptors; control requests, \
             with an exec'd process's stdio",
        ),
        // --- Waiting on host descriptors (the host-FD notifier) ---
        any(
            libc::SYS_poll,
            "readiness of host stdio right now (zero timeout)",
        ),
        any(libc::SYS_epoll_create1, "the host-FD notifier's epoll"),
        any(libc::SYS_epoll_ctl, "watching host stdio"),
        any(libc::SYS_epoll_wait, "the host-FD notifier thread"),
        // --- Threads, locks, signals ---
        when(
            libc::SYS_clone,
            "a thread (glibc's flags), a fork (glibc's), or a stub thread (stack 0)",
            "sentry threads (one per task, timers, notifier); forking a stub; injected \
             into stubs to make a stub thread",
            vec![
                vec![eq(0, THREAD_CLONE as u64)],
                vec![eq(0, FORK_CLONE as u64)],
                vec![eq(0, platform::ptrace::STUB_THREAD_CLONE_FLAGS), eq(1, 0)],
            ],
        ),
        refuse(
            libc::SYS_clone3,
            libc::ENOSYS,
            "ENOSYS (harmless): its flags are behind a pointer seccomp cannot read, \
             so glibc falls back to clone, whose flags are checked above",
        ),
        any(libc::SYS_futex, "locks, condition variables, thread joins"),
        any(
            libc::SYS_set_robust_list,
            "glibc registering each new thread",
        ),
        any(
            libc::SYS_rseq,
            "glibc registering each new thread; injected into stubs to unregister",
        ),
        any(
            libc::SYS_exit,
            "a sentry thread ends; injected into a stub thread that ends",
        ),
        any(libc::SYS_exit_group, "the sandbox ends"),
        any(libc::SYS_gettid, "thread ids for tracing and CPU pinning"),
        any(
            libc::SYS_getpid,
            "std and glibc; a new stub stopping itself",
        ),
        any(
            libc::SYS_getppid,
            "a new stub checking its parent is the sentry",
        ),
        any(libc::SYS_sched_getaffinity, "the CPUs the sentry may use"),
        any(
            libc::SYS_sched_setaffinity,
            "pinning a sentry thread and its stub thread to one CPU",
        ),
        any(libc::SYS_sched_yield, "spin loops in locks"),
        any(
            libc::SYS_rt_sigprocmask,
            "signal masks of threads and new stubs",
        ),
        any(libc::SYS_rt_sigaction, "std's handlers at thread start"),
        any(libc::SYS_rt_sigreturn, "returning from a signal handler"),
        any(
            libc::SYS_rt_sigtimedwait,
            "the signal-forwarding thread taking host signals (sigwait)",
        ),
        any(
            libc::SYS_sigaltstack,
            "std's stack-overflow handler of each thread",
        ),
        when(
            libc::SYS_kill,
            "SIGKILL, SIGSTOP",
            "a new stub stops itself for its tracer; killing a stub",
            one_of(1, &[libc::SIGKILL as i64, libc::SIGSTOP as i64]),
        ),
        when(
            libc::SYS_tgkill,
            "SIGCHLD (the platform's interrupt), SIGABRT",
            "interrupting a running stub thread; abort()",
            one_of(2, &[libc::SIGCHLD as i64, libc::SIGABRT as i64]),
        ),
        // --- Running application code (the ptrace platform) ---
        when(
            libc::SYS_ptrace,
            "TRACEME, SEIZE, INTERRUPT, CONT, SYSEMU, DETACH, SETOPTIONS, GETREGS, SETREGS, \
             GETREGSET, SETREGSET, POKEUSER, GETSIGINFO",
            "tracing stubs: switching to application code, its registers and FP state",
            one_of(
                0,
                &[
                    libc::PTRACE_TRACEME as i64,
                    libc::PTRACE_SEIZE as i64,
                    libc::PTRACE_INTERRUPT as i64,
                    libc::PTRACE_CONT as i64,
                    libc::PTRACE_SYSEMU as i64,
                    libc::PTRACE_DETACH as i64,
                    libc::PTRACE_SETOPTIONS as i64,
                    libc::PTRACE_GETREGS as i64,
                    libc::PTRACE_SETREGS as i64,
                    libc::PTRACE_GETREGSET as i64,
                    libc::PTRACE_SETREGSET as i64,
                    libc::PTRACE_POKEUSER as i64,
                    libc::PTRACE_GETSIGINFO as i64,
                ],
            ),
        ),
        any(libc::SYS_wait4, "stops and exits of traced stub threads"),
        when(
            libc::SYS_prctl,
            "PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_NAME",
            "a new stub's setup (injected); std naming threads",
            one_of(
                0,
                &[
                    libc::PR_SET_PDEATHSIG as i64,
                    libc::PR_SET_NO_NEW_PRIVS as i64,
                    libc::PR_SET_NAME as i64,
                ],
            ),
        ),
        when(
            libc::SYS_seccomp,
            "SECCOMP_SET_MODE_FILTER",
            "injected into a new stub: its own filter (a filter only ever narrows)",
            vec![vec![eq32(0, libc::SECCOMP_SET_MODE_FILTER)]],
        ),
        any(
            libc::SYS_pause,
            "injected into a new stub thread, which waits in it for its tracer",
        ),
        // --- Time, randomness, host facts ---
        any(
            libc::SYS_clock_gettime,
            "CPU-time clocks of stubs (the vDSO serves the others)",
        ),
        any(
            libc::SYS_clock_nanosleep,
            "the timer thread and std's sleeps",
        ),
        any(
            libc::SYS_getcpu,
            "sched_getcpu when the vDSO cannot answer (getcpu of a pinned thread)",
        ),
        any(
            libc::SYS_getrandom,
            "ASLR, AT_RANDOM, getrandom, hash seeds",
        ),
        any(libc::SYS_sysinfo, "/proc/meminfo, sysinfo, statfs of tmpfs"),
        any(libc::SYS_prlimit64, "the sentry's own limits (getrlimit)"),
    ]
}
