//! Compiling and installing the sentry's seccomp filter (rules in
//! `sentry_rules.rs`), and listing it (`runsc seccomp`).

use std::collections::BTreeMap;

use anyhow::Context;
use seccompiler::{BpfProgram, SeccompAction, SeccompFilter, SeccompRule, TargetArch, sock_filter};

use super::sentry_rules::{Action, Facts, Rule, rules};

/// What a call outside the allowlist does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Kill the whole sandbox.
    Enforce,
    /// Allow it and log it to the kernel's audit log (`dmesg`): for finding
    /// the calls a change to the sentry needs.
    Log,
}

/// The compiled filter: the refused calls first, then seccompiler's program
/// for the allowed ones.
pub fn build(facts: &Facts, mode: Mode) -> anyhow::Result<BpfProgram> {
    let mut allowed: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    let mut refused = Vec::new();
    for rule in rules(facts) {
        match rule.action {
            Action::Allow(sets) => {
                let mut alternatives = Vec::new();
                for set in sets {
                    alternatives.push(SeccompRule::new(set).context("a seccomp rule")?);
                }
                allowed.insert(rule.sysno, alternatives);
            }
            Action::Refuse(errno) => refused.push((rule.sysno, errno)),
        }
    }
    let mismatch = match mode {
        Mode::Enforce => SeccompAction::KillProcess,
        Mode::Log => SeccompAction::Log,
    };
    let filter = SeccompFilter::new(allowed, mismatch, SeccompAction::Allow, TargetArch::x86_64)
        .context("the sentry's seccomp filter")?;
    let program: BpfProgram = filter.try_into().context("compiling the seccomp filter")?;
    // Stubs inherit this filter: the host's emulation of a vsyscall passes it,
    // for the stub's own filter to trap it.
    let mut out = platform::ptrace::vsyscall_passthrough();
    out.extend(refusals(&refused));
    out.extend(program);
    Ok(out)
}

/// `if nr == N return ERRNO(e)` for each refused call. It runs before the
/// architecture check of the allowlist: the numbers refused mean the same
/// call, or none, in the other x86 ABIs, and ERRNO is harmless either way.
fn refusals(refused: &[(i64, u32)]) -> Vec<sock_filter> {
    const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
    let ins = |code, jt, jf, k| sock_filter { code, jt, jf, k };
    let mut out = Vec::new();
    for &(nr, errno) in refused {
        // Offset 0 of struct seccomp_data: the syscall number.
        out.push(ins(LD_W_ABS, 0, 0, 0));
        out.push(ins(JEQ_K, 0, 1, nr as u32));
        out.push(ins(RET_K, 0, 0, libc::SECCOMP_RET_ERRNO | (errno & 0xffff)));
    }
    out
}

/// Installs the filter on every thread of the process (TSYNC). Needs
/// `no_new_privs` (or CAP_SYS_ADMIN).
pub fn install(facts: &Facts, mode: Mode) -> anyhow::Result<()> {
    let program = build(facts, mode)?;
    seccompiler::apply_filter_all_threads(&program).context("installing the seccomp filter")
}

/// The name of system call `nr`.
pub fn name(nr: i64) -> &'static str {
    abi::sysno::SYSCALL_NAMES
        .iter()
        .find(|(n, _)| *n as i64 == nr)
        .map(|(_, name)| *name)
        .unwrap_or("?")
}

/// The rules as text: one line per call (number, name, argument filter, why).
pub fn listing(facts: &Facts) -> String {
    let mut rules: Vec<Rule> = rules(facts);
    rules.sort_by_key(|r| r.sysno);
    let mut out = String::new();
    let allowed = rules
        .iter()
        .filter(|r| matches!(r.action, Action::Allow(_)))
        .count();
    out.push_str(&format!(
        "# The sentry's seccomp filter: {allowed} host system calls allowed, anything else kills the sandbox.\n"
    ));
    for r in &rules {
        let verdict = match r.action {
            Action::Allow(_) if r.args.is_empty() => "allow".to_string(),
            Action::Allow(_) => format!("allow if {}", r.args),
            Action::Refuse(errno) => format!(
                "refuse with {}",
                abi::Errno(errno as u16).name().unwrap_or("?")
            ),
        };
        out.push_str(&format!(
            "{:3} {:<18} {verdict}\n    {}\n",
            r.sysno,
            name(r.sysno),
            r.why
        ));
    }
    out
}

/// The rules as JSON: `[{nr, name, action, args, why}]`.
pub fn listing_json(facts: &Facts) -> serde_json::Value {
    let mut rules: Vec<Rule> = rules(facts);
    rules.sort_by_key(|r| r.sysno);
    serde_json::Value::Array(
        rules
            .iter()
            .map(|r| {
                let action = match r.action {
                    Action::Allow(_) => "allow".to_string(),
                    Action::Refuse(errno) => format!("errno {errno}"),
                };
                serde_json::json!({
                    "nr": r.sysno,
                    "name": name(r.sysno),
                    "action": action,
                    "args": r.args,
                    "why": r.why,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What became of a child that installed the enforcing filter and then ran `call`.
    #[derive(Debug, PartialEq, Eq)]
    enum Fate {
        Exited(i32),
        Killed(i32),
    }

    /// Forks; the child installs the enforcing filter (built here, before the
    /// fork: the child may not allocate) and exits with `call`'s result.
    fn under_filter(call: fn() -> i32) -> Fate {
        let program =
            platform::ptrace::kernel_program(build(&Facts { memfd: 1000 }, Mode::Enforce).unwrap());
        let fprog = libc::sock_fprog {
            len: program.len() as u16,
            filter: program.as_ptr() as *mut _,
        };
        // SAFETY: the child makes raw system calls only (prctl, seccomp, the
        // call under test, _exit) on memory prepared before the fork.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork");
        if pid == 0 {
            // SAFETY: see above.
            unsafe {
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                    || libc::syscall(
                        libc::SYS_seccomp,
                        libc::SECCOMP_SET_MODE_FILTER,
                        0,
                        &fprog as *const libc::sock_fprog,
                    ) != 0
                {
                    libc::_exit(100);
                }
                libc::_exit(call())
            }
        }
        let mut status = 0;
        // SAFETY: waits for our own child.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        if libc::WIFSIGNALED(status) {
            Fate::Killed(libc::WTERMSIG(status))
        } else {
            Fate::Exited(libc::WEXITSTATUS(status))
        }
    }

    /// The negated errno of a raw call's result (0 on success).
    fn errno_of(r: libc::c_long) -> i32 {
        if r < 0 {
            // SAFETY: reads this thread's errno.
            unsafe { *libc::__errno_location() }
        } else {
            0
        }
    }

    #[test]
    fn allowed_calls_run() {
        // SAFETY: getpid takes no arguments.
        let getpid = || unsafe { (libc::syscall(libc::SYS_getpid) <= 0) as i32 };
        assert_eq!(under_filter(getpid), Fate::Exited(0));
        // A fcntl command on the list.
        // SAFETY: F_GETFD takes no pointer.
        let getfd = || unsafe { (libc::fcntl(0, libc::F_GETFD) < -1) as i32 };
        assert_eq!(under_filter(getfd), Fate::Exited(0));
    }

    #[test]
    fn calls_off_the_list_kill_the_process() {
        // SAFETY: raw calls; the process is killed before any could matter.
        let socket = || unsafe {
            libc::syscall(libc::SYS_socket, libc::AF_INET, libc::SOCK_STREAM, 0) as i32
        };
        assert_eq!(under_filter(socket), Fate::Killed(libc::SIGSYS));
        // SAFETY: as above.
        let execve =
            || unsafe { libc::syscall(libc::SYS_execve, c"/bin/true".as_ptr(), 0, 0) as i32 };
        assert_eq!(under_filter(execve), Fate::Killed(libc::SIGSYS));
    }

    #[test]
    fn argument_filters_kill_what_the_rules_do_not_name() {
        // Executable memory that is not the memory file.
        // SAFETY: a raw mmap; killed before it returns.
        let exec_mmap = || unsafe {
            libc::syscall(
                libc::SYS_mmap,
                0,
                4096,
                libc::PROT_READ | libc::PROT_EXEC,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            ) as i32
        };
        assert_eq!(under_filter(exec_mmap), Fate::Killed(libc::SIGSYS));
        // An ioctl that is not a read-only terminal query (TIOCSTI pushes input).
        // SAFETY: a raw ioctl; killed before it runs.
        let tiocsti =
            || unsafe { libc::syscall(libc::SYS_ioctl, 0, libc::TIOCSTI, c"x".as_ptr()) as i32 };
        assert_eq!(under_filter(tiocsti), Fate::Killed(libc::SIGSYS));
        // A signal other than SIGKILL/SIGSTOP (to a pid that cannot exist, in
        // case the filter failed).
        // SAFETY: a raw kill; killed before it runs.
        let kill_term = || unsafe { libc::syscall(libc::SYS_kill, i32::MAX, libc::SIGTERM) as i32 };
        assert_eq!(under_filter(kill_term), Fate::Killed(libc::SIGSYS));
    }

    #[test]
    fn refused_calls_fail_with_their_errno() {
        // SAFETY: clone3 with a null argument: refused before the kernel reads it.
        let clone3 = || errno_of(unsafe { libc::syscall(libc::SYS_clone3, 0, 0) });
        assert_eq!(under_filter(clone3), Fate::Exited(libc::ENOSYS));
        // openat of a constant path: refused before the kernel reads it.
        let openat = || {
            // SAFETY: as above.
            let r = unsafe {
                libc::syscall(libc::SYS_openat, libc::AT_FDCWD, c"/etc/passwd".as_ptr(), 0)
            };
            errno_of(r)
        };
        assert_eq!(under_filter(openat), Fate::Exited(libc::ENOENT));
    }

    #[test]
    fn listing_names_every_rule() {
        let facts = Facts { memfd: 3 };
        let text = listing(&facts);
        for rule in rules(&facts) {
            assert!(text.contains(name(rule.sysno)), "{}", rule.sysno);
        }
        assert!(
            !text.contains(" ? "),
            "a rule for an unknown syscall number"
        );
    }
}
