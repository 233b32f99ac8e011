//! /proc files about the whole system.

use std::sync::Arc;

use abi::Errno;

use super::node::ProcNode;
use crate::kernel::{KERNEL_RELEASE, KERNEL_VERSION, Kernel};
use crate::vfs::Inode;

fn meminfo() -> Result<Vec<u8>, Errno> {
    let si = crate::host::sysinfo();
    let kb = |v: libc::c_ulong| v * si.mem_unit as u64 / 1024;
    let text = format!(
        "MemTotal:       {:8} kB\nMemFree:        {:8} kB\nMemAvailable:   {:8} kB\nBuffers:               0 kB\n\
         Cached:                0 kB\nSwapCached:            0 kB\nSwapTotal:      {:8} kB\nSwapFree:       {:8} kB\n\
         Shmem:          {:8} kB\n",
        kb(si.totalram),
        kb(si.freeram),
        kb(si.freeram + si.bufferram),
        kb(si.totalswap),
        kb(si.freeswap),
        kb(si.sharedram),
    );
    Ok(text.into_bytes())
}

fn uptime(kernel: &Kernel) -> Vec<u8> {
    let up = kernel.started.elapsed().as_secs_f64();
    format!("{up:.2} {up:.2}\n").into_bytes()
}

fn stat(kernel: &Kernel) -> Vec<u8> {
    let cpus = kernel.cpus;
    let idle = (kernel.started.elapsed().as_millis() / 10) as u64;
    let mut out = format!("cpu  0 0 0 {} 0 0 0 0 0 0\n", idle * cpus as u64);
    for c in 0..cpus {
        out += &format!("cpu{c} 0 0 0 {idle} 0 0 0 0 0 0\n");
    }
    let boot = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        .saturating_sub(kernel.started.elapsed().as_secs());
    let procs = kernel.processes.lock().len();
    out += &format!(
        "intr 0\nctxt 0\nbtime {boot}\nprocesses {procs}\nprocs_running 1\nprocs_blocked 0\n"
    );
    out.into_bytes()
}

fn uuid() -> Result<Vec<u8>, Errno> {
    let mut b = [0u8; 16];
    crate::host::random_bytes(&mut b, 0)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}\n",
        h[..4].concat(),
        h[4..6].concat(),
        h[6..8].concat(),
        h[8..10].concat(),
        h[10..].concat()
    )
    .into_bytes())
}

/// Fixed entries of /proc (the pid directories and `self` are added by the root).
pub fn entries(kernel: &Arc<Kernel>) -> Vec<(&'static str, Arc<dyn Inode>)> {
    // The CPUs the application runs on, as the host describes them.
    let cpuinfo = crate::host::cpuinfo().to_vec();
    let (k1, k2, k3) = (
        Arc::downgrade(kernel),
        Arc::downgrade(kernel),
        Arc::downgrade(kernel),
    );
    let hostname = kernel.hostname.clone();
    let sys = ProcNode::fixed_dir(vec![
        (
            "kernel",
            ProcNode::fixed_dir(vec![
                ("hostname", ProcNode::text(format!("{hostname}\n"))),
                ("osrelease", ProcNode::text(format!("{KERNEL_RELEASE}\n"))),
                ("ostype", ProcNode::text("Linux\n")),
                ("version", ProcNode::text(format!("{KERNEL_VERSION}\n"))),
                ("pid_max", ProcNode::text("4194304\n")),
                ("ngroups_max", ProcNode::text("65536\n")),
                (
                    "random",
                    ProcNode::fixed_dir(vec![
                        ("uuid", ProcNode::file(uuid)),
                        ("boot_id", ProcNode::file(uuid)),
                    ]),
                ),
            ]),
        ),
        (
            "vm",
            ProcNode::fixed_dir(vec![
                ("overcommit_memory", ProcNode::text("0\n")),
                ("max_map_count", ProcNode::text("65530\n")),
                ("mmap_min_addr", ProcNode::text("65536\n")),
            ]),
        ),
        (
            "fs",
            ProcNode::fixed_dir(vec![
                ("nr_open", ProcNode::text("1048576\n")),
                ("pipe-max-size", ProcNode::text("1048576\n")),
            ]),
        ),
    ]);
    vec![
        ("cpuinfo", ProcNode::file(move || Ok(cpuinfo.clone()))),
        ("meminfo", ProcNode::file(meminfo)),
        (
            "stat",
            ProcNode::file(move || Ok(stat(&*k1.upgrade().ok_or(Errno::ESRCH)?))),
        ),
        (
            "uptime",
            ProcNode::file(move || Ok(uptime(&*k2.upgrade().ok_or(Errno::ESRCH)?))),
        ),
        ("loadavg", ProcNode::text("0.00 0.00 0.00 1/1 1\n")),
        (
            "version",
            ProcNode::text(format!(
                "Linux version {KERNEL_RELEASE} (runsc) {KERNEL_VERSION}\n"
            )),
        ),
        (
            "filesystems",
            ProcNode::text(
                "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\toverlay\nnodev\t9p\nnodev\tpipefs\n",
            ),
        ),
        (
            "mounts",
            ProcNode::file(move || Ok(super::pid::mounts(&*k3.upgrade().ok_or(Errno::ESRCH)?))),
        ),
        ("sys", sys),
    ]
}
