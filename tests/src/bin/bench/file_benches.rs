//! The file-system benchmarks and where their files live.
//!
//! `stat` and `open-read` use a 4 KiB file, `seq-read` a 256 MiB one, both
//! made by the runner in the target directory: the sandboxes serve the
//! host's root, so they reach these through their gofers (the path a
//! container's image files take), and runc finds them linked into its
//! rootfs. `create-unlink` writes where a program would: `/tmp` inside each
//! runtime, a fresh directory under the host's /tmp natively.

use crate::benchmark::{Benchmark, Group, Setup};
use crate::data_files::{DataDir, LARGE_SIZE, SMALL_SIZE};
use crate::runners::{GVISOR, GVISOR_NAME, NATIVE, OURS, QUICK};
use crate::workload::Arg;
use nix::sys::statfs;
use std::fmt::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use tests::run::run_command;

pub static STAT: Benchmark = Benchmark {
    name: "stat",
    program: "stat_loop",
    unit: "stat",
    counts: "calls",
    default_count: 20_000,
    budget_per_count: Duration::from_millis(2),
    throughput: false,
    group: Group::Files,
    prepare: stat,
};

pub static OPEN_READ: Benchmark = Benchmark {
    name: "open-read",
    program: "open_read_close",
    unit: "open+read+close",
    counts: "open+read+close rounds",
    default_count: 10_000,
    budget_per_count: Duration::from_millis(5),
    throughput: false,
    group: Group::Files,
    prepare: open_read,
};

pub static SEQ_READ: Benchmark = Benchmark {
    name: "seq-read",
    program: "seq_read",
    unit: "MiB",
    counts: "passes over the 256 MiB file",
    default_count: 8,
    // 256 MiB at 10 MB/s.
    budget_per_count: Duration::from_secs(30),
    throughput: true,
    group: Group::Files,
    prepare: seq_read,
};

pub static CREATE_UNLINK: Benchmark = Benchmark {
    name: "create-unlink",
    program: "create_unlink",
    unit: "file",
    counts: "files",
    default_count: 10_000,
    budget_per_count: Duration::from_millis(5),
    throughput: false,
    group: Group::Files,
    prepare: create_unlink,
};

const SMALL_NAME: &str = "file4k";
const LARGE_NAME: &str = "file256m";

fn stat(data: &DataDir, count: u64) -> Result<Setup, String> {
    let file = data.file(SMALL_NAME, SMALL_SIZE)?;
    Ok(Setup {
        description: format!(
            "stat: {count} x stat() of a 4 KiB file in the root file system, {} \
             (runc: /{SMALL_NAME} in its rootfs)",
            file.path().display()
        ),
        args: vec![
            Arg::HostFile(file.path().to_path_buf()),
            Arg::Text(count.to_string()),
        ],
        files: vec![file],
    })
}

fn open_read(data: &DataDir, count: u64) -> Result<Setup, String> {
    let file = data.file(SMALL_NAME, SMALL_SIZE)?;
    Ok(Setup {
        description: format!(
            "open-read: {count} x open + read 4 KiB + close of a 4 KiB file in the root \
             file system, {} (runc: /{SMALL_NAME} in its rootfs)",
            file.path().display()
        ),
        args: vec![
            Arg::HostFile(file.path().to_path_buf()),
            Arg::Text(count.to_string()),
        ],
        files: vec![file],
    })
}

fn seq_read(data: &DataDir, count: u64) -> Result<Setup, String> {
    eprintln!("writing the {} MiB file", LARGE_SIZE >> 20);
    let file = data.file(LARGE_NAME, LARGE_SIZE)?;
    Ok(Setup {
        description: format!(
            "seq-read: {count} passes of sequential 1 MiB reads over a {} MiB file of \
             pattern data in the root file system, written and synced beforehand, {} \
             (runc: /{LARGE_NAME} in its rootfs); every read's first and last byte checked",
            LARGE_SIZE >> 20,
            file.path().display()
        ),
        args: vec![
            Arg::HostFile(file.path().to_path_buf()),
            Arg::Text(count.to_string()),
        ],
        files: vec![file],
    })
}

fn create_unlink(_: &DataDir, count: u64) -> Result<Setup, String> {
    Ok(Setup {
        description: format!(
            "create-unlink: {count} files created in /tmp (open O_CREAT|O_EXCL, write \
             100 bytes, close), then all unlinked; ns per file, both phases \
             (native: a fresh directory under the host's /tmp)"
        ),
        args: vec![Arg::ScratchDir, Arg::Text(count.to_string())],
        files: Vec::new(),
    })
}

/// Where each runtime's files live, for the output's header.
pub fn placement_notes(data: &Path) -> String {
    let tmp = std::env::temp_dir();
    let mut s = String::from("where the files live:\n");
    let rows = [
        (
            NATIVE,
            format!(
                "data files on the host's {}; create-unlink in a fresh directory \
                 under {} ({})",
                fs_type(data),
                tmp.display(),
                fs_type(&tmp)
            ),
        ),
        (
            "runc",
            format!(
                "a writable bundle rootfs under {} ({}), data files linked in; \
                 /tmp is a directory of that rootfs",
                tmp.display(),
                fs_type(&tmp)
            ),
        ),
        (
            GVISOR_NAME,
            format!(
                "{}, `do`: the host's / through its gofer, under its default overlay \
                 (--force-overlay=true): every write, /tmp included, stays in \
                 sandbox memory and never reaches the host",
                gvisor_version()
            ),
        ),
        (
            OURS,
            "`do`: the host's / through our gofer, under the root overlay \
             (--overlay2=root:memory): every write, /tmp included, goes to a tmpfs \
             upper layer in sentry memory"
                .to_string(),
        ),
    ];
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0) + 1;
    for (name, note) in rows {
        let _ = writeln!(s, "  {:<width$} {note}", format!("{name}:"));
    }
    s
}

/// The file system type of `path`, by name when it is a common one.
fn fs_type(path: &Path) -> String {
    let Ok(st) = statfs::statfs(path) else {
        return "unknown file system".to_string();
    };
    let t = st.filesystem_type();
    let known = [
        (statfs::EXT4_SUPER_MAGIC, "ext4"),
        (statfs::TMPFS_MAGIC, "tmpfs"),
        (statfs::BTRFS_SUPER_MAGIC, "btrfs"),
        (statfs::XFS_SUPER_MAGIC, "xfs"),
        (statfs::OVERLAYFS_SUPER_MAGIC, "overlayfs"),
    ];
    known
        .iter()
        .find(|(magic, _)| *magic == t)
        .map_or_else(|| format!("{t:?}"), |(_, name)| (*name).to_string())
}

fn gvisor_version() -> String {
    let mut cmd = Command::new(GVISOR);
    cmd.arg("--version");
    match run_command(cmd, QUICK) {
        Ok(out) => String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("runsc (unknown version)")
            .trim()
            .to_string(),
        Err(_) => format!("{GVISOR} (not runnable)"),
    }
}
