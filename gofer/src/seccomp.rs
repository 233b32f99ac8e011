//! The seccomp rules of the gofer process kind: exactly the host calls
//! [`crate::serve`] makes. Anything else kills the process.
//!
//! Install after the mount root is open and before serving; nothing but
//! `serve` (and exiting) may run under it.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen as Len, SeccompCmpOp as Op,
    SeccompCondition as Cond, SeccompFilter, SeccompRule, TargetArch,
};

use crate::error::Error;

type Rules = BTreeMap<i64, Vec<SeccompRule>>;

fn allow(rules: &mut Rules, sysno: libc::c_long) {
    rules.insert(sysno, Vec::new());
}

/// Allows `sysno` only when argument `arg` has no `PROT_EXEC` bit: the gofer
/// never makes memory executable.
fn allow_no_exec(rules: &mut Rules, sysno: libc::c_long, arg: u8) -> Result<(), Error> {
    let cond = Cond::new(arg, Len::Qword, Op::MaskedEq(libc::PROT_EXEC as u64), 0)?;
    rules.insert(sysno, vec![SeccompRule::new(vec![cond])?]);
    Ok(())
}

/// The gofer's allowlist.
fn rules() -> Result<Rules, Error> {
    let mut r = Rules::new();

    // The socket to the sentry: requests in, replies and donated descriptors out.
    allow(&mut r, libc::SYS_recvmsg);
    allow(&mut r, libc::SYS_sendmsg);

    // Every lookup and open: one component, RESOLVE_BENEATH, no symlinks.
    // (Plain open/openat, which follow symlinks, stay forbidden.)
    allow(&mut r, libc::SYS_openat2);
    // Attributes of held nodes (fstatat(fd, "", AT_EMPTY_PATH)) and their
    // filesystem (statfs).
    allow(&mut r, libc::SYS_newfstatat);
    allow(&mut r, libc::SYS_fstatfs);
    // readdir: seek to the resume offset, read entries.
    allow(&mut r, libc::SYS_lseek);
    allow(&mut r, libc::SYS_getdents64);
    // readlink of a held symlink (readlinkat(fd, "")).
    allow(&mut r, libc::SYS_readlinkat);

    // Changing the tree, always relative to held directory descriptors.
    allow(&mut r, libc::SYS_mkdirat);
    allow(&mut r, libc::SYS_mknodat);
    allow(&mut r, libc::SYS_symlinkat);
    allow(&mut r, libc::SYS_linkat);
    allow(&mut r, libc::SYS_unlinkat);
    allow(&mut r, libc::SYS_renameat2);

    // setattr and the ownership of new nodes: chown/utimes on the node's own
    // O_PATH handle (AT_EMPTY_PATH), chmod through fchmodat2 (or fchmod of a
    // reopened descriptor before Linux 6.6), truncate of a reopened file.
    allow(&mut r, libc::SYS_fchownat);
    allow(&mut r, libc::SYS_fchmodat2);
    allow(&mut r, libc::SYS_fchmod);
    allow(&mut r, libc::SYS_ftruncate);
    allow(&mut r, libc::SYS_utimensat);
    allow(&mut r, libc::SYS_fsync);

    // user.* extended attributes, through reopened descriptors.
    allow(&mut r, libc::SYS_fgetxattr);
    allow(&mut r, libc::SYS_fsetxattr);
    allow(&mut r, libc::SYS_flistxattr);
    allow(&mut r, libc::SYS_fremovexattr);

    // Dropping node handles and reopened descriptors.
    allow(&mut r, libc::SYS_close);
    // fcntl(F_GETFD) only: std checks that a descriptor is open before closing
    // it when built with debug assertions.
    let getfd = Cond::new(1, Len::Dword, Op::Eq, libc::F_GETFD as u64)?;
    r.insert(libc::SYS_fcntl, vec![SeccompRule::new(vec![getfd])?]);
    // serve() clears the umask once: the sentry sends final modes.
    allow(&mut r, libc::SYS_umask);

    // The allocator: heap growth, large buffers, returning memory. Never
    // executable memory.
    allow(&mut r, libc::SYS_brk);
    allow_no_exec(&mut r, libc::SYS_mmap, 2)?;
    allow_no_exec(&mut r, libc::SYS_mprotect, 2)?;
    allow(&mut r, libc::SYS_munmap);
    allow(&mut r, libc::SYS_mremap);
    allow(&mut r, libc::SYS_madvise);
    // Lock waits inside the allocator and std.
    allow(&mut r, libc::SYS_futex);

    // Log lines (tracing) and their timestamps when the vDSO is unavailable.
    allow(&mut r, libc::SYS_write);
    allow(&mut r, libc::SYS_writev);
    allow(&mut r, libc::SYS_clock_gettime);

    // Returning from a signal handler, and std tearing down its stack-overflow
    // handler's alternate stack at exit.
    allow(&mut r, libc::SYS_rt_sigreturn);
    allow(&mut r, libc::SYS_sigaltstack);
    // Leaving: when the sentry hangs up, the gofer exits.
    allow(&mut r, libc::SYS_exit);
    allow(&mut r, libc::SYS_exit_group);
    Ok(r)
}

/// The compiled gofer filter (default action: kill the process).
pub fn build_filter() -> Result<BpfProgram, Error> {
    let filter = SeccompFilter::new(
        rules()?,
        SeccompAction::KillProcess,
        SeccompAction::Allow,
        TargetArch::x86_64,
    )?;
    Ok(filter.try_into()?)
}

/// Installs the gofer filter on every thread of the calling process (and sets
/// `no_new_privs`, which seccomp requires without `CAP_SYS_ADMIN`).
pub fn install_filter() -> Result<(), Error> {
    seccompiler::apply_filter_all_threads(&build_filter()?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn filter_compiles_and_forbids_path_walking_opens() {
        let rules = super::rules().unwrap();
        assert!(rules.contains_key(&libc::SYS_openat2));
        for forbidden in [
            libc::SYS_open,
            libc::SYS_openat,
            libc::SYS_execve,
            libc::SYS_socket,
        ] {
            assert!(!rules.contains_key(&forbidden), "{forbidden}");
        }
        assert!(!super::build_filter().unwrap().is_empty());
    }
}
