//! Process and user identity getters.

use abi::linux as l;
use sentry::task::Task;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (l::__NR_getpid, Some(getpid), Full),
        (l::__NR_gettid, Some(gettid), Full),
        (l::__NR_getppid, Some(getppid), Full),
        (l::__NR_getuid, Some(getuid), Full),
        (l::__NR_geteuid, Some(geteuid), Full),
        (l::__NR_getgid, Some(getgid), Full),
        (l::__NR_getegid, Some(getegid), Full),
    ]
}

fn getpid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.pid as u64)
}
fn gettid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.tid as u64)
}
fn getppid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.ppid() as u64)
}
fn getuid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.creds().uid as u64)
}
fn geteuid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.creds().euid as u64)
}
fn getgid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.creds().gid as u64)
}
fn getegid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.creds().egid as u64)
}
