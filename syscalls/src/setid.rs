//! Changing user and group IDs and supplementary groups. The rules are
//! `Credentials`'s; here are the arguments and the swap.

use std::sync::Arc;

use abi::linux as l;
use sentry::Errno;
use sentry::task::{Credentials, Task};
use zerocopy::IntoBytes;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    const PER_PROCESS: &str =
        "credentials are per process, not per thread (glibc applies set*id to every thread anyway)";
    vec![
        (l::__NR_setuid, Some(setuid), Partial(PER_PROCESS)),
        (l::__NR_setgid, Some(setgid), Partial(PER_PROCESS)),
        (l::__NR_setreuid, Some(setreuid), Partial(PER_PROCESS)),
        (l::__NR_setregid, Some(setregid), Partial(PER_PROCESS)),
        (l::__NR_setresuid, Some(setresuid), Partial(PER_PROCESS)),
        (l::__NR_setresgid, Some(setresgid), Partial(PER_PROCESS)),
        (l::__NR_getresuid, Some(getresuid), Full),
        (l::__NR_getresgid, Some(getresgid), Full),
        (l::__NR_setfsuid, Some(setfsuid), Partial(PER_PROCESS)),
        (l::__NR_setfsgid, Some(setfsgid), Partial(PER_PROCESS)),
        (l::__NR_setgroups, Some(setgroups), Partial(PER_PROCESS)),
        (l::__NR_getgroups, Some(getgroups), Full),
    ]
}

/// Replaces the process's credentials with what `f` makes of them.
fn change(t: &Task, f: impl FnOnce(&Credentials) -> Result<Credentials, Errno>) -> SysResult {
    let mut creds = t.process.creds.lock();
    let new = f(&creds)?;
    *creds = Arc::new(new);
    Ok(0)
}

fn setuid(t: &mut Task, a: &Args) -> SysResult {
    change(t, |c| c.setuid(a.u32(0)))
}
fn setgid(t: &mut Task, a: &Args) -> SysResult {
    change(t, |c| c.setgid(a.u32(0)))
}
fn setreuid(t: &mut Task, a: &Args) -> SysResult {
    change(t, |c| c.setreuid(a.u32(0), a.u32(1)))
}
fn setregid(t: &mut Task, a: &Args) -> SysResult {
    change(t, |c| c.setregid(a.u32(0), a.u32(1)))
}
fn setresuid(t: &mut Task, a: &Args) -> SysResult {
    change(t, |c| c.setresuid(a.u32(0), a.u32(1), a.u32(2)))
}
fn setresgid(t: &mut Task, a: &Args) -> SysResult {
    change(t, |c| c.setresgid(a.u32(0), a.u32(1), a.u32(2)))
}

/// Writes three IDs to three user pointers.
fn write_three(t: &Task, a: &Args, ids: [u32; 3]) -> SysResult {
    for (i, id) in ids.iter().enumerate() {
        t.mm.write_obj(a.ptr(i), id)?;
    }
    Ok(0)
}

fn getresuid(t: &mut Task, a: &Args) -> SysResult {
    let c = t.creds();
    write_three(t, a, [c.uid, c.euid, c.suid])
}
fn getresgid(t: &mut Task, a: &Args) -> SysResult {
    let c = t.creds();
    write_three(t, a, [c.gid, c.egid, c.sgid])
}

fn setfsuid(t: &mut Task, a: &Args) -> SysResult {
    let mut creds = t.process.creds.lock();
    let (new, old) = creds.setfsuid(a.u32(0));
    *creds = Arc::new(new);
    Ok(old as u64)
}
fn setfsgid(t: &mut Task, a: &Args) -> SysResult {
    let mut creds = t.process.creds.lock();
    let (new, old) = creds.setfsgid(a.u32(0));
    *creds = Arc::new(new);
    Ok(old as u64)
}

fn setgroups(t: &mut Task, a: &Args) -> SysResult {
    let n = a.i32(0);
    if n < 0 || n as u32 > l::NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    let n = n as usize;
    let mut groups = vec![0u32; n];
    if n > 0 {
        t.mm.copy_in(a.ptr(1), groups.as_mut_slice().as_mut_bytes())?;
    }
    change(t, |c| c.setgroups(groups))
}

fn getgroups(t: &mut Task, a: &Args) -> SysResult {
    let size = a.i32(0);
    let groups = t.creds().groups.clone();
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    if size == 0 {
        return Ok(groups.len() as u64);
    }
    if (size as usize) < groups.len() {
        return Err(Errno::EINVAL);
    }
    t.mm.copy_out(a.ptr(1), groups.as_slice().as_bytes())?;
    Ok(groups.len() as u64)
}
