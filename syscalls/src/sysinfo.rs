//! sysinfo(2): the sandbox's uptime and process count, the host's memory.

use abi::linux as l;
use abi::types::Sysinfo;
use sentry::task::Task;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![(
        l::__NR_sysinfo,
        Some(sysinfo),
        Partial("memory figures are the host's; load averages are 0"),
    )]
}

fn sysinfo(t: &mut Task, a: &Args) -> SysResult {
    let host = sentry::host::sysinfo();
    let info = Sysinfo {
        uptime: t.kernel.started.elapsed().as_secs() as i64,
        loads: [0; 3],
        totalram: host.totalram,
        freeram: host.freeram,
        sharedram: host.sharedram,
        bufferram: host.bufferram,
        totalswap: host.totalswap,
        freeswap: host.freeswap,
        procs: t.kernel.processes.lock().len().min(u16::MAX as usize) as u16,
        mem_unit: host.mem_unit,
        ..Default::default()
    };
    t.mm.write_obj(a.ptr(0), &info).map(|_| 0)
}
