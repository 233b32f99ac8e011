//! getrandom.

use abi::linux as l;
use sentry::Errno;
use sentry::task::Task;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![(l::__NR_getrandom, Some(getrandom), Full)]
}

/// Linux returns at most this many bytes per call.
const MAX_GETRANDOM: usize = 0x1ff_ffff;

fn getrandom(t: &mut Task, a: &Args) -> SysResult {
    let flags = a.u32(2);
    let known = l::GRND_NONBLOCK | l::GRND_RANDOM | l::GRND_INSECURE;
    if flags & !known != 0
        || flags & (l::GRND_RANDOM | l::GRND_INSECURE) == (l::GRND_RANDOM | l::GRND_INSECURE)
    {
        return Err(Errno::EINVAL);
    }
    let len = a.usize(1).min(MAX_GETRANDOM);
    if len == 0 {
        return Ok(0);
    }
    t.mm.check_writable(a.ptr(0), len)?;
    let mut buf = vec![0u8; len];
    // The host pool is initialised long before a sandbox starts; never block.
    let n = sentry::host::random_bytes(&mut buf, l::GRND_NONBLOCK)?;
    t.mm.copy_out(a.ptr(0), &buf[..n])?;
    Ok(n as u64)
}
