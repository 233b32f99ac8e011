//! capget/capset: the effective, permitted and inheritable capability sets,
//! in the 32-bit halves of the user ABI.

use std::sync::Arc;

use abi::linux as l;
use abi::types::{CapData, CapHeader};
use sentry::Errno;
use sentry::task::{CAP_FULL, Task};

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (l::__NR_capget, Some(capget), Full),
        (
            l::__NR_capset,
            Some(capset),
            Partial("per process, not per thread; no file capabilities at exec"),
        ),
    ]
}

/// Checks the header's version; returns how many `CapData` it implies. An
/// unknown version is answered with the preferred one written back and EINVAL.
fn version(t: &Task, hdr_addr: u64) -> Result<(CapHeader, usize), Errno> {
    let hdr: CapHeader = t.mm.read_obj(hdr_addr)?;
    match hdr.version {
        v if v == l::_LINUX_CAPABILITY_VERSION_1 => Ok((hdr, 1)),
        // Version 2 is deprecated but still accepted as version 3.
        v if v == l::_LINUX_CAPABILITY_VERSION_2 || v == l::_LINUX_CAPABILITY_VERSION_3 => {
            Ok((hdr, 2))
        }
        _ => {
            t.mm.write_obj(hdr_addr, &l::_LINUX_CAPABILITY_VERSION_3)?;
            Err(Errno::EINVAL)
        }
    }
}

fn capget(t: &mut Task, a: &Args) -> SysResult {
    let data = a.ptr(1);
    let (hdr, n) = match version(t, a.ptr(0)) {
        // A null data pointer probes for the version.
        Err(Errno::EINVAL) if data == 0 => return Ok(0),
        r => r?,
    };
    if data == 0 {
        return Ok(0);
    }
    if hdr.pid < 0 {
        return Err(Errno::EINVAL);
    }
    let creds = if hdr.pid == 0 || hdr.pid == t.pid || hdr.pid == t.tid {
        t.creds()
    } else {
        let pid = t.kernel.tree.process_of(hdr.pid).ok_or(Errno::ESRCH)?;
        t.kernel.process(pid).ok_or(Errno::ESRCH)?.creds()
    };
    let c = creds.caps;
    let half = |v: u64, i: usize| (v >> (32 * i)) as u32;
    let out: Vec<CapData> = (0..n)
        .map(|i| CapData {
            effective: half(c.effective, i),
            permitted: half(c.permitted, i),
            inheritable: half(c.inheritable, i),
        })
        .collect();
    t.mm.write_obj(data, out.as_slice())?;
    Ok(0)
}

fn capset(t: &mut Task, a: &Args) -> SysResult {
    let (hdr, n) = version(t, a.ptr(0))?;
    // Only the caller's own sets may change.
    if hdr.pid != 0 && hdr.pid != t.pid && hdr.pid != t.tid {
        return Err(Errno::EPERM);
    }
    let mut sets = [0u64; 3];
    for i in 0..n {
        let d: CapData =
            t.mm.read_obj(a.ptr(1) + (i * size_of::<CapData>()) as u64)?;
        for (s, v) in sets
            .iter_mut()
            .zip([d.effective, d.permitted, d.inheritable])
        {
            *s |= (v as u64) << (32 * i);
        }
    }
    let [e, p, i] = sets.map(|s| s & CAP_FULL);
    let mut creds = t.process.creds.lock();
    let new = creds.capset(e, p, i)?;
    *creds = Arc::new(new);
    Ok(0)
}
