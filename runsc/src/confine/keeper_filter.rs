//! The keeper's seccomp filter. Once the keeper has written the sandbox's maps
//! and dropped its descriptors it is host root doing four things: waiting for
//! the sandbox, passing signals on to it, re-raising the sandbox's fatal
//! signal on itself, and exiting. The filter allows exactly that, and only
//! towards the sandbox and itself; any other call kills the keeper (and with
//! it the sandbox, whose parent-death signal is SIGKILL).
//!
//! The two pids are not known when the filter is compiled (before the fork:
//! the keeper may not allocate), so the program is compiled with marks in
//! their place and `KeeperFilter::arm` writes the pids over them in the keeper.

use anyhow::Context;
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen as Len, SeccompCmpOp as Op,
    SeccompCondition as Cond, SeccompFilter, SeccompRule, TargetArch,
};

/// Stand-ins for the pids: above any pid Linux hands out (PID_MAX_LIMIT is
/// 2^22), so they match no real process if one were left in.
const SANDBOX_MARK: u32 = 0x7fff_0001;
const KEEPER_MARK: u32 = 0x7fff_0002;

/// The compiled filter, waiting for its pids.
pub struct KeeperFilter {
    program: Vec<libc::sock_filter>,
}

fn pid_is(arg: u8, mark: u32) -> anyhow::Result<Cond> {
    Cond::new(arg, Len::Dword, Op::Eq, mark as u64).context("a keeper seccomp condition")
}

fn rule(conds: Vec<Cond>) -> anyhow::Result<SeccompRule> {
    SeccompRule::new(conds).context("a keeper seccomp rule")
}

impl KeeperFilter {
    /// Compiles the filter (before the fork).
    pub fn build() -> anyhow::Result<KeeperFilter> {
        let rules = vec![
            // waitpid(sandbox): the keeper's whole job.
            (libc::SYS_wait4, vec![rule(vec![pid_is(0, SANDBOX_MARK)?])?]),
            // A forwarded signal to the sandbox; the sandbox's fatal signal
            // re-raised on the keeper itself.
            (
                libc::SYS_kill,
                vec![
                    rule(vec![pid_is(0, SANDBOX_MARK)?])?,
                    rule(vec![pid_is(0, KEEPER_MARK)?])?,
                ],
            ),
            // Returning from the forwarding handler.
            (libc::SYS_rt_sigreturn, vec![]),
            // Before the re-raise: setrlimit(RLIMIT_CORE) (glibc's
            // prlimit64 on the caller), signal(SIG_DFL), unblocking it, and
            // getpid for kill.
            (
                libc::SYS_prlimit64,
                vec![rule(vec![
                    Cond::new(0, Len::Dword, Op::Eq, 0)?,
                    Cond::new(1, Len::Dword, Op::Eq, libc::RLIMIT_CORE as u64)?,
                ])?],
            ),
            (libc::SYS_rt_sigaction, vec![]),
            (libc::SYS_rt_sigprocmask, vec![]),
            (libc::SYS_getpid, vec![]),
            (libc::SYS_exit_group, vec![]),
            (libc::SYS_exit, vec![]),
        ];
        let filter = SeccompFilter::new(
            rules.into_iter().collect(),
            SeccompAction::KillProcess,
            SeccompAction::Allow,
            TargetArch::x86_64,
        )
        .context("the keeper's seccomp filter")?;
        let program: BpfProgram = filter.try_into().context("compiling the keeper's filter")?;
        let program = platform::ptrace::kernel_program(program);
        let marked = |mark| program.iter().filter(|i| i.k == mark).count();
        anyhow::ensure!(
            marked(SANDBOX_MARK) == 2 && marked(KEEPER_MARK) == 1,
            "the keeper's filter lost its pid marks"
        );
        Ok(KeeperFilter { program })
    }

    /// Writes the pids over their marks and installs the filter on the
    /// calling thread, with `no_new_privs`. Returns whether it is in place.
    ///
    /// # Safety
    /// Only in the single-threaded forked keeper: raw calls, no allocation.
    pub unsafe fn arm(&mut self, sandbox: libc::pid_t) -> bool {
        // SAFETY: getpid has no arguments.
        let keeper = unsafe { libc::getpid() };
        for i in self.program.iter_mut() {
            if i.k == SANDBOX_MARK {
                i.k = sandbox as u32;
            } else if i.k == KEEPER_MARK {
                i.k = keeper as u32;
            }
        }
        let fprog = libc::sock_fprog {
            len: self.program.len() as u16,
            filter: self.program.as_mut_ptr(),
        };
        // SAFETY: prctl takes no pointers; seccomp reads the program, alive
        // for the call.
        unsafe {
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
                && libc::syscall(
                    libc::SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER,
                    0,
                    &fprog as *const libc::sock_fprog,
                ) == 0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Forks a keeper-like child with a sleeping "sandbox" child of its own;
    /// it arms the filter and runs `then(sandbox)`. Returns the child's wait
    /// status.
    fn keeper_running(then: fn(libc::pid_t) -> i32) -> i32 {
        let mut filter = KeeperFilter::build().unwrap();
        // SAFETY: both children make raw calls only, on memory prepared here.
        let keeper = unsafe { libc::fork() };
        assert!(keeper >= 0);
        if keeper == 0 {
            // SAFETY: see above.
            unsafe {
                let sandbox = libc::fork();
                if sandbox == 0 {
                    libc::pause();
                    libc::_exit(0);
                }
                if !filter.arm(sandbox) {
                    libc::_exit(100);
                }
                libc::_exit(then(sandbox));
            }
        }
        let mut status = 0;
        // SAFETY: waits for our own child.
        assert_eq!(unsafe { libc::waitpid(keeper, &mut status, 0) }, keeper);
        status
    }

    #[test]
    fn the_keeper_signals_and_waits_for_its_sandbox() {
        let status = keeper_running(|sandbox| {
            let mut st = 0;
            // SAFETY: raw calls on the keeper's own child.
            unsafe {
                if libc::kill(sandbox, libc::SIGTERM) != 0 {
                    return 1;
                }
                if libc::waitpid(sandbox, &mut st, 0) != sandbox {
                    return 2;
                }
            }
            if libc::WIFSIGNALED(st) && libc::WTERMSIG(st) == libc::SIGTERM {
                7
            } else {
                3
            }
        });
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 7,
            "status {status:#x}"
        );
    }

    #[test]
    fn the_keeper_may_not_signal_others_or_open_files() {
        let status = keeper_running(|sandbox| {
            // SAFETY: raw calls; the first is refused by the filter.
            unsafe {
                libc::kill(sandbox, libc::SIGKILL);
                libc::kill(1, 0);
            }
            0
        });
        assert!(
            libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGSYS,
            "status {status:#x}"
        );
        let status = keeper_running(|sandbox| {
            // SAFETY: raw calls; open is refused by the filter.
            unsafe {
                libc::kill(sandbox, libc::SIGKILL);
                libc::open(c"/etc/hostname".as_ptr(), libc::O_RDONLY);
            }
            0
        });
        assert!(
            libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGSYS,
            "status {status:#x}"
        );
    }
}
