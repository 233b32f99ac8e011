//! Sparse in-memory files cost the sentry nothing: a container that makes
//! files of 100 TiB in the overlay, in /dev/shm and as a memfd leaves the
//! sandbox process (`runsc boot`) with a small resident set.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The sentry's resident set may not pass this. It is ~10 MiB at rest; a
/// file's data allocated as one buffer would make it its size.
const RSS_BOUND_KIB: u64 = 64 << 10;

/// The script makes sparse files everywhere, writes a byte far out in each,
/// then says "ready" and waits for its stdin to close.
const SCRIPT: &str = "
truncate -s 100T /tmp/huge || exit 1
truncate -s 100T /dev/shm/huge || exit 1
dd if=/dev/zero of=/tmp/huge bs=1 count=1 seek=99T conv=notrunc 2>/dev/null || exit 1
dd if=/dev/zero of=/dev/shm/far bs=1 count=1 seek=50T 2>/dev/null || exit 1
python3 -c 'import os; f = os.memfd_create(\"m\"); os.ftruncate(f, 100 << 40); os.pwrite(f, b\"x\", 90 << 40)' || exit 1
ls -ls /tmp/huge /dev/shm/huge /dev/shm/far
echo ready
read _ || true
";

#[test]
fn sparse_files_leave_the_sentry_small() {
    if Command::new("python3").arg("-V").output().is_err() {
        tests::skip::report("sparse_files_leave_the_sentry_small: no python3");
        return;
    }
    let mut child = Command::new(tests::paths::runsc())
        .args(["do", "--", "/bin/sh", "-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut listing = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line == "ready" {
            break;
        }
        listing.push_str(&line);
        listing.push('\n');
        assert!(Instant::now() < deadline, "no ready line: {listing}");
    }
    let boot = tests::procs::sandbox_of(child.id()).expect("runsc boot is running");
    let rss = tests::procs::status_kib(boot, "VmHWM:").expect("boot's VmHWM");
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Each file is huge, and holds one block or none.
    for name in ["/tmp/huge", "/dev/shm/huge", "/dev/shm/far"] {
        let line = listing
            .lines()
            .find(|l| l.ends_with(name))
            .unwrap_or_else(|| panic!("{name} in {listing}"));
        let blocks: u64 = line.split_whitespace().next().unwrap().parse().unwrap();
        assert!(blocks <= 4, "{line}");
    }
    assert!(
        rss < RSS_BOUND_KIB,
        "the sentry's peak resident set is {rss} KiB (bound {RSS_BOUND_KIB} KiB)"
    );
}
