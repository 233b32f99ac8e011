//! fork, vfork, clone and clone3: new processes (threads come later).

use abi::linux as l;
use abi::signal::SIGCHLD;
use sentry::Errno;
use sentry::task::{CloneRequest, Task};

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const CLONE: &str = "CLONE_SIGHAND without CLONE_THREAD and threads without CLONE_FILES/CLONE_FS are ENOSYS; namespaces and CLONE_PIDFD are EINVAL";
    vec![
        (l::__NR_fork, Some(fork), Full),
        (
            l::__NR_vfork,
            Some(vfork),
            Partial(
                "the child gets a copy of the memory; the parent waits until it execs or exits",
            ),
        ),
        (l::__NR_clone, Some(clone), Partial(CLONE)),
        (l::__NR_clone3, Some(clone3), Partial(CLONE)),
    ]
}

fn fork(t: &mut Task, _: &Args) -> SysResult {
    spawn(
        t,
        CloneRequest {
            exit_signal: SIGCHLD,
            ..Default::default()
        },
    )
}

fn vfork(t: &mut Task, _: &Args) -> SysResult {
    spawn(
        t,
        CloneRequest {
            flags: (l::CLONE_VM | l::CLONE_VFORK) as u64,
            exit_signal: SIGCHLD,
            ..Default::default()
        },
    )
}

/// clone(flags, stack, parent_tid, child_tid, tls) on x86-64.
fn clone(t: &mut Task, a: &Args) -> SysResult {
    let flags = a.u64(0);
    spawn(
        t,
        CloneRequest {
            flags: flags & !0xff,
            exit_signal: (flags & 0xff) as i32,
            stack: a.ptr(1),
            parent_tid: a.ptr(2),
            child_tid: a.ptr(3),
            tls: a.u64(4),
        },
    )
}

/// `struct clone_args` fields of version 0 (64 bytes): flags, pidfd, child_tid,
/// parent_tid, exit_signal, stack, stack_size, tls.
fn clone3(t: &mut Task, a: &Args) -> SysResult {
    let size = a.usize(1);
    if size < l::CLONE_ARGS_SIZE_VER0 as usize || size > 4096 {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; size];
    t.mm.copy_in(a.ptr(0), &mut raw)?;
    // Fields this kernel does not know must be zero, as Linux requires.
    let known = (l::CLONE_ARGS_SIZE_VER0 as usize).min(size);
    if raw[known..].iter().any(|&b| b != 0) {
        return Err(Errno::E2BIG);
    }
    let field = |i: usize| u64::from_le_bytes(raw[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    let (flags, exit_signal, stack, stack_size) = (field(0), field(4), field(5), field(6));
    if exit_signal > abi::signal::SIGRTMAX as u64 || (stack == 0) != (stack_size == 0) {
        return Err(Errno::EINVAL);
    }
    spawn(
        t,
        CloneRequest {
            flags,
            exit_signal: exit_signal as i32,
            // The stack grows down from the top of the given area.
            stack: stack.wrapping_add(stack_size),
            child_tid: field(2),
            parent_tid: field(3),
            tls: field(7),
        },
    )
}

fn spawn(t: &mut Task, req: CloneRequest) -> SysResult {
    if req.flags & l::CLONE_PIDFD as u64 != 0 {
        return Err(Errno::EINVAL);
    }
    t.clone_process(req).map(|pid| pid as u64)
}
