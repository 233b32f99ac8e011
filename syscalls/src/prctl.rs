//! prctl(2): the options the sandbox implements; others are EINVAL, as Linux
//! answers options it does not know.

use std::sync::Arc;

use abi::linux as l;
use abi::prctl as pr;
use sentry::Errno;
use sentry::task::{CAP_LAST_CAP, Credentials, Task};

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![(
        l::__NR_prctl,
        Some(prctl),
        Partial(
            "NAME, PDEATHSIG, DUMPABLE, NO_NEW_PRIVS, CHILD_SUBREAPER, KEEPCAPS, \
             CAPBSET_READ/DROP and CAP_AMBIENT; other options EINVAL",
        ),
    )]
}

fn prctl(t: &mut Task, a: &Args) -> SysResult {
    let (arg2, arg3, arg4, arg5) = (a.u64(1), a.u64(2), a.u64(3), a.u64(4));
    match a.u32(0) {
        pr::PR_SET_NAME => set_name(t, a.ptr(1)),
        pr::PR_GET_NAME => t.mm.copy_out(a.ptr(1), &*t.process.comm.lock()).map(|_| 0),
        pr::PR_SET_PDEATHSIG => {
            if arg2 > abi::signal::SIGRTMAX as u64 {
                return Err(Errno::EINVAL);
            }
            t.process.attrs.lock().pdeathsig = arg2 as i32;
            Ok(0)
        }
        pr::PR_GET_PDEATHSIG => {
            let sig = t.process.attrs.lock().pdeathsig;
            t.mm.write_obj(a.ptr(1), &sig).map(|_| 0)
        }
        pr::PR_GET_DUMPABLE => Ok(t.process.attrs.lock().dumpable as u64),
        pr::PR_SET_DUMPABLE => {
            if arg2 > 1 {
                return Err(Errno::EINVAL);
            }
            t.process.attrs.lock().dumpable = arg2 as u32;
            Ok(0)
        }
        pr::PR_SET_NO_NEW_PRIVS => {
            if arg2 != 1 || arg3 != 0 || arg4 != 0 || arg5 != 0 {
                return Err(Errno::EINVAL);
            }
            t.process.attrs.lock().no_new_privs = true;
            Ok(0)
        }
        pr::PR_GET_NO_NEW_PRIVS => {
            if arg2 != 0 || arg3 != 0 || arg4 != 0 || arg5 != 0 {
                return Err(Errno::EINVAL);
            }
            Ok(t.process.attrs.lock().no_new_privs as u64)
        }
        pr::PR_SET_CHILD_SUBREAPER => {
            t.kernel.tree.set_subreaper(t.pid, arg2 != 0);
            Ok(0)
        }
        pr::PR_GET_CHILD_SUBREAPER => {
            let on = t.kernel.tree.is_subreaper(t.pid) as i32;
            t.mm.write_obj(a.ptr(1), &on).map(|_| 0)
        }
        pr::PR_GET_KEEPCAPS => Ok(t.creds().keep_caps as u64),
        pr::PR_SET_KEEPCAPS => {
            if arg2 > 1 {
                return Err(Errno::EINVAL);
            }
            change(t, |c| {
                c.keep_caps = arg2 == 1;
                Ok(())
            })
        }
        pr::PR_CAPBSET_READ => {
            let cap = valid_cap(arg2)?;
            Ok((t.creds().caps.bounding >> cap) & 1)
        }
        pr::PR_CAPBSET_DROP => {
            if !t.creds().has_cap(l::CAP_SETPCAP) {
                return Err(Errno::EPERM);
            }
            let cap = valid_cap(arg2)?;
            change(t, |c| {
                c.caps.bounding &= !(1 << cap);
                Ok(())
            })
        }
        pr::PR_CAP_AMBIENT => ambient(t, arg2, arg3, arg4 | arg5),
        _ => Err(Errno::EINVAL),
    }
}

/// Linux copies at most 15 bytes and always terminates the name.
fn set_name(t: &mut Task, addr: u64) -> SysResult {
    let mut name = [0u8; 16];
    match t.mm.read_cstring(addr, 15) {
        Ok(s) => name[..s.len()].copy_from_slice(&s),
        Err(Errno::ENAMETOOLONG) => t.mm.copy_in(addr, &mut name[..15])?,
        Err(e) => return Err(e),
    }
    *t.process.comm.lock() = name;
    Ok(0)
}

fn valid_cap(cap: u64) -> Result<u32, Errno> {
    if cap > CAP_LAST_CAP as u64 {
        Err(Errno::EINVAL)
    } else {
        Ok(cap as u32)
    }
}

/// Applies `f` to a copy of the credentials and installs it.
fn change(t: &Task, f: impl FnOnce(&mut Credentials) -> Result<(), Errno>) -> SysResult {
    let mut creds = t.process.creds.lock();
    let mut new = (**creds).clone();
    f(&mut new)?;
    *creds = Arc::new(new);
    Ok(0)
}

/// PR_CAP_AMBIENT: a capability may be raised in the ambient set only while
/// it is permitted and inheritable.
fn ambient(t: &Task, op: u64, cap: u64, rest: u64) -> SysResult {
    if op == pr::PR_CAP_AMBIENT_CLEAR_ALL as u64 {
        if cap != 0 || rest != 0 {
            return Err(Errno::EINVAL);
        }
        return change(t, |c| {
            c.caps.ambient = 0;
            Ok(())
        });
    }
    if rest != 0 {
        return Err(Errno::EINVAL);
    }
    let bit = 1u64 << valid_cap(cap)?;
    match op as u32 {
        pr::PR_CAP_AMBIENT_IS_SET => Ok((t.creds().caps.ambient & bit != 0) as u64),
        pr::PR_CAP_AMBIENT_RAISE => change(t, |c| {
            if c.caps.permitted & c.caps.inheritable & bit == 0 {
                return Err(Errno::EPERM);
            }
            c.caps.ambient |= bit;
            Ok(())
        }),
        pr::PR_CAP_AMBIENT_LOWER => change(t, |c| {
            c.caps.ambient &= !bit;
            Ok(())
        }),
        _ => Err(Errno::EINVAL),
    }
}
