//! /sys, minimal: what programs read to size themselves (the CPUs) and the
//! cgroup mount point. Built from procfs's synthetic nodes.

use std::sync::Arc;

use super::proc::ProcNode;
use crate::vfs::Inode;

/// The root of a sysfs showing `cpus` CPUs.
pub fn new_root(cpus: usize) -> Arc<dyn Inode> {
    let range = if cpus <= 1 {
        "0\n".to_string()
    } else {
        format!("0-{}\n", cpus - 1)
    };
    let mut cpu_entries: Vec<(&'static str, Arc<dyn Inode>)> = vec![
        ("online", ProcNode::text(range.clone())),
        ("possible", ProcNode::text(range.clone())),
        ("present", ProcNode::text(range)),
    ];
    // cpu0, cpu1...: the names are leaked once per sandbox, a handful of bytes.
    for c in 0..cpus {
        let name: &'static str = Box::leak(format!("cpu{c}").into_boxed_str());
        cpu_entries.push((name, ProcNode::fixed_dir(vec![])));
    }
    ProcNode::fixed_dir(vec![
        (
            "devices",
            ProcNode::fixed_dir(vec![(
                "system",
                ProcNode::fixed_dir(vec![("cpu", ProcNode::fixed_dir(cpu_entries))]),
            )]),
        ),
        (
            "fs",
            ProcNode::fixed_dir(vec![("cgroup", ProcNode::fixed_dir(vec![]))]),
        ),
        ("kernel", ProcNode::fixed_dir(vec![])),
        ("class", ProcNode::fixed_dir(vec![])),
    ])
}
