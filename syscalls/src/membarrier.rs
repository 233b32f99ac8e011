//! membarrier(2): ordering memory accesses of every thread of the process.

use std::sync::atomic::{Ordering, fence};

use abi::linux as l;
use sentry::Errno;
use sentry::task::Task;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![(
        l::__NR_membarrier,
        Some(membarrier),
        Partial(
            "QUERY, GLOBAL and the PRIVATE_EXPEDITED (and SYNC_CORE) commands: a full \
             barrier in the sentry; other threads running on other CPUs are not \
             interrupted as Linux's IPIs would",
        ),
    )]
}

const CMD_QUERY: u32 = 0;
const CMD_GLOBAL: u32 = 1;
const CMD_PRIVATE_EXPEDITED: u32 = 1 << 3;
const CMD_REGISTER_PRIVATE_EXPEDITED: u32 = 1 << 4;
const CMD_PRIVATE_EXPEDITED_SYNC_CORE: u32 = 1 << 5;
const CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE: u32 = 1 << 6;

const SUPPORTED: u32 = CMD_GLOBAL
    | CMD_PRIVATE_EXPEDITED
    | CMD_REGISTER_PRIVATE_EXPEDITED
    | CMD_PRIVATE_EXPEDITED_SYNC_CORE
    | CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE;

fn membarrier(t: &mut Task, a: &Args) -> SysResult {
    let (cmd, flags) = (a.u32(0), a.u32(1));
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let mut attrs = t.process.attrs.lock();
    match cmd {
        CMD_QUERY => Ok(SUPPORTED as u64),
        CMD_REGISTER_PRIVATE_EXPEDITED | CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE => {
            attrs.membarrier_registered |= cmd;
            Ok(0)
        }
        CMD_PRIVATE_EXPEDITED | CMD_PRIVATE_EXPEDITED_SYNC_CORE => {
            // Each expedited command needs its registration first (EPERM).
            if attrs.membarrier_registered & (cmd << 1) == 0 {
                return Err(Errno::EPERM);
            }
            barrier();
            Ok(0)
        }
        CMD_GLOBAL => {
            barrier();
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// Why a fence is (nearly) enough: the calling thread reached us through a
/// trap (a ptrace stop, a context switch on the host, itself a full barrier),
/// so its accesses before the call are ordered before those after it, and
/// core serialization (SYNC_CORE) comes with the return to user mode. Other
/// threads of the process pass through such a barrier each time they trap;
/// a thread running application code on another CPU at this moment is not
/// forced through one, which is where this is weaker than Linux's IPIs.
fn barrier() {
    fence(Ordering::SeqCst);
}
