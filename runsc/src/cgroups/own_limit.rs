//! The memory limit of the cgroup this process is in (and of its
//! ancestors): what a sandbox started from here may use, when no spec says
//! (`runsc do`). The sandbox keeps below it, so that the host's OOM killer
//! never has to choose the sentry.

use std::path::{Path, PathBuf};

const ROOT: &str = "/sys/fs/cgroup";

/// The smallest memory limit on the way from this process's cgroup up to
/// the root, v2 (`memory.max`) or v1 (`memory.limit_in_bytes`); None when
/// there is none or it cannot be read.
pub fn own_memory_limit() -> Option<u64> {
    let table = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    limit_in(Path::new(ROOT), &table)
}

/// `own_memory_limit` for a cgroup mount at `root` and a /proc/PID/cgroup
/// `table`.
fn limit_in(root: &Path, table: &str) -> Option<u64> {
    let mut best: Option<u64> = None;
    for line in table.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let (dir, file) = if controllers.is_empty() {
            (root.to_path_buf(), "memory.max")
        } else if controllers.split(',').any(|c| c == "memory") {
            (root.join("memory"), "memory.limit_in_bytes")
        } else {
            continue;
        };
        let mut at: PathBuf = dir.join(path.trim_start_matches('/'));
        loop {
            let value = std::fs::read_to_string(at.join(file)).ok();
            if let Some(n) = value.and_then(|v| v.trim().parse::<u64>().ok()) {
                best = Some(best.map_or(n, |b| b.min(n)));
            }
            if at == dir || !at.pop() {
                break;
            }
        }
    }
    // v1 says "no limit" with a huge number.
    best.filter(|&n| n < 1 << 62)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_limit_up_the_tree_counts() {
        let root = std::env::temp_dir().join(format!("own-limit-{}", std::process::id()));
        let v1 = root.join("memory/a/b");
        std::fs::create_dir_all(&v1).unwrap();
        std::fs::write(root.join("memory/a/memory.limit_in_bytes"), "1048576\n").unwrap();
        std::fs::write(v1.join("memory.limit_in_bytes"), "9223372036854771712\n").unwrap();
        assert_eq!(limit_in(&root, "4:memory:/a/b\n3:cpu:/x\n"), Some(1 << 20));
        let v2 = root.join("c/d");
        std::fs::create_dir_all(&v2).unwrap();
        std::fs::write(root.join("c/memory.max"), "max\n").unwrap();
        std::fs::write(v2.join("memory.max"), "4096\n").unwrap();
        assert_eq!(limit_in(&root, "0::/c/d\n"), Some(4096));
        assert_eq!(limit_in(&root, "0::/nowhere\n"), None);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
