//! The tmpfs write benchmarks (`benches/c/tmpfs_write.c`): a 256 MiB file
//! written sequentially to a tmpfs in 4 KiB writes, and `dd`-like in 1 MiB
//! blocks read from /dev/zero. Each pass starts from a fresh file, so the
//! file system allocates as it goes, as it does for a program's scratch
//! files.

use crate::benchmark::{Benchmark, Group, Setup};
use crate::data_files::DataDir;
use crate::native_tmpfs::{self, NativeTmpfs};
use crate::runners::{GVISOR_NAME, NATIVE, OURS};
use crate::workload::Arg;
use std::fmt::Write;
use std::time::Duration;

const FILE_MIB: u64 = 256;

pub static TMPFS_WRITE: Benchmark = Benchmark {
    name: "tmpfs-write",
    program: "tmpfs_write",
    unit: "MiB",
    counts: "passes writing the 256 MiB file",
    default_count: 4,
    // 256 MiB at 5 MB/s.
    budget_per_count: Duration::from_secs(60),
    throughput: true,
    group: Group::Tmpfs,
    prepare: write_4k,
};

pub static TMPFS_DD: Benchmark = Benchmark {
    name: "tmpfs-dd",
    program: "tmpfs_write",
    unit: "MiB",
    counts: "passes writing the 256 MiB file",
    default_count: 4,
    budget_per_count: Duration::from_secs(60),
    throughput: true,
    group: Group::Tmpfs,
    prepare: dd_1m,
};

fn write_4k(_: &DataDir, count: u64) -> Result<Setup, String> {
    Ok(setup(
        format!(
            "tmpfs-write: {count} passes, each writing a fresh {FILE_MIB} MiB file in \
             /tmp with sequential 4 KiB writes (create, write, fstat, close, unlink)"
        ),
        4096,
        "pattern",
        count,
    ))
}

fn dd_1m(_: &DataDir, count: u64) -> Result<Setup, String> {
    Ok(setup(
        format!(
            "tmpfs-dd: {count} passes of `dd if=/dev/zero of=/tmp/f bs=1M \
             count={FILE_MIB}` (read 1 MiB from /dev/zero, write it; create to unlink)"
        ),
        1 << 20,
        "/dev/zero",
        count,
    ))
}

fn setup(description: String, block: u64, source: &str, count: u64) -> Setup {
    Setup {
        description,
        args: vec![
            Arg::TmpfsDir,
            Arg::Text(block.to_string()),
            Arg::Text(FILE_MIB.to_string()),
            Arg::Text(count.to_string()),
            Arg::Text(source.to_string()),
        ],
        files: Vec::new(),
    }
}

/// Which tmpfs each runtime writes to, for the output's header.
pub fn placement_notes() -> String {
    let mut s = String::from("where the tmpfs benchmarks write:\n");
    let rows = [
        (NATIVE, NativeTmpfs::describe()),
        (
            "runc",
            format!(
                "/tmp, a tmpfs (size={}) added to its container's mounts",
                native_tmpfs::SIZE
            ),
        ),
        (
            GVISOR_NAME,
            "/tmp of `do`: its root overlay's memory upper layer (--force-overlay)".into(),
        ),
        (
            OURS,
            "/tmp of `do`: the root overlay's tmpfs upper layer, in sentry memory".into(),
        ),
    ];
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0) + 1;
    for (name, note) in rows {
        let _ = writeln!(s, "  {:<width$} {note}", format!("{name}:"));
    }
    s
}
