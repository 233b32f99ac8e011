//! Process groups and sessions.

use abi::linux as l;
use sentry::task::Task;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (l::__NR_getpgid, Some(getpgid), Full),
        (l::__NR_getpgrp, Some(getpgrp), Full),
        (l::__NR_setpgid, Some(setpgid), Full),
        (l::__NR_getsid, Some(getsid), Full),
        (l::__NR_setsid, Some(setsid), Full),
    ]
}

/// The process a pid argument names (0: the caller).
fn target(t: &Task, pid: i32) -> i32 {
    if pid == 0 { t.pid } else { pid }
}

fn getpgid(t: &mut Task, a: &Args) -> SysResult {
    t.kernel.tree.pgid(target(t, a.i32(0))).map(|g| g as u64)
}

fn getpgrp(t: &mut Task, _: &Args) -> SysResult {
    t.kernel.tree.pgid(t.pid).map(|g| g as u64)
}

fn setpgid(t: &mut Task, a: &Args) -> SysResult {
    t.kernel.tree.setpgid(t.pid, a.i32(0), a.i32(1)).map(|()| 0)
}

fn getsid(t: &mut Task, a: &Args) -> SysResult {
    t.kernel.tree.sid(target(t, a.i32(0))).map(|s| s as u64)
}

/// The new session starts without a controlling terminal.
fn setsid(t: &mut Task, _: &Args) -> SysResult {
    let sid = t.kernel.tree.setsid(t.pid)?;
    *t.process.ctty.lock() = None;
    Ok(sid as u64)
}
