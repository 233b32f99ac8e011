//! `runsc run` on a Debian bundle: the rootfs holds this Debian machine's own
//! dynamically linked programs, their libraries and /etc/os-release, copied
//! into the target directory (no image registry involved); Python's standard
//! library comes in through a read-only bind mount. The programs list, read,
//! write, pipe, archive and hash files as they would in a container.

use std::collections::BTreeSet;
use std::os::unix::fs::symlink;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

/// Programs the bundle gets, with the libraries `ldd` names for each.
const PROGRAMS: &[&str] = &[
    "/usr/bin/dash",
    "/usr/bin/ls",
    "/usr/bin/cat",
    "/usr/bin/find",
    "/usr/bin/wc",
    "/usr/bin/sha256sum",
    "/usr/bin/cp",
    "/usr/bin/tar",
    "/usr/bin/mkdir",
    "/usr/bin/diff",
    "/usr/bin/cut",
    "/usr/bin/rm",
    "/usr/bin/grep",
    "/usr/bin/python3.11",
];
const PYTHON_LIB: &str = "/usr/lib/python3.11";

/// Copies host path `p` into `root` at the same place, recreating the symlinks
/// met on the way (Debian's /lib -> usr/lib and the like).
fn copy_in(root: &Path, p: &Path) -> std::io::Result<()> {
    let mut host = PathBuf::from("/");
    for c in p.components() {
        let name = match c {
            Component::Normal(name) => name,
            Component::ParentDir => {
                host.pop();
                continue;
            }
            _ => continue,
        };
        host.push(name);
        let inside = root.join(host.strip_prefix("/").expect("absolute"));
        let meta = std::fs::symlink_metadata(&host)?;
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&host)?;
            if std::fs::symlink_metadata(&inside).is_err() {
                symlink(&target, &inside)?;
            }
            let resolved = host.parent().expect("has a parent").join(&target);
            copy_in(root, &resolved)?;
            host = std::fs::canonicalize(&host)?;
        } else if meta.is_dir() {
            std::fs::create_dir_all(&inside)?;
        } else if std::fs::symlink_metadata(&inside).is_err() {
            std::fs::copy(&host, &inside)?;
        }
    }
    Ok(())
}

/// The libraries (and loader) `ldd` lists for `program`.
fn libraries(program: &str) -> Vec<PathBuf> {
    let out = Command::new("ldd").arg(program).output().expect("ldd runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().find(|w| w.starts_with('/')))
        .map(PathBuf::from)
        .collect()
}

/// Why the bundle cannot be built here, if it cannot.
fn missing_prerequisite() -> Option<String> {
    let mut needed: Vec<&str> = PROGRAMS.to_vec();
    needed.extend(["/usr/bin/ldd", PYTHON_LIB, "/etc/os-release"]);
    needed
        .into_iter()
        .find(|p| !Path::new(p).exists())
        .map(|p| format!("{p} is not on this machine"))
}

fn build_rootfs(root: &Path) {
    let _ = std::fs::remove_dir_all(root);
    for dir in ["tmp", "proc", "dev", "usr/lib/python3.11"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    let mut files: BTreeSet<PathBuf> = BTreeSet::new();
    for p in PROGRAMS {
        files.insert(PathBuf::from(p));
        files.extend(libraries(p));
    }
    files.insert(PathBuf::from("/etc/os-release"));
    files.insert(PathBuf::from("/bin"));
    for f in &files {
        copy_in(root, f).unwrap_or_else(|e| panic!("copying {f:?}: {e}"));
    }
    symlink("dash", root.join("usr/bin/sh")).unwrap();
    symlink("python3.11", root.join("usr/bin/python3")).unwrap();
}

/// Entries under `dir` (not following symlinks) whose name contains ".so", as
/// `find DIR -name '*.so*'` counts them.
fn count_shared_objects(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let own = usize::from(e.file_name().to_string_lossy().contains(".so"));
            let below = match e.file_type() {
                Ok(t) if t.is_dir() => count_shared_objects(&e.path()),
                _ => 0,
            };
            own + below
        })
        .sum()
}

const SCRIPT: &str = r#"
set -e
ls -la / | grep -c 'bin -> usr/bin'
grep '^ID=' /etc/os-release
sh -c 'echo x > /tmp/f && cat /tmp/f'
find /usr/lib -name "*.so*" | wc -l
sha256sum /usr/bin/python3.11 | cut -c1-64
mkdir -p /tmp/src/a/b && echo one > /tmp/src/a/f && echo two > /tmp/src/a/b/g
cp -a /tmp/src /tmp/copy && diff -r /tmp/src /tmp/copy && echo cp-same
mkdir /tmp/dst && (cd /tmp/src && tar cf - .) | (cd /tmp/dst && tar xf -) && diff -r /tmp/src /tmp/dst && echo tar-same
python3 -c "open('/tmp/p', 'w').write('py'); print(open('/tmp/p').read(), len(open('/usr/bin/cat', 'rb').read()) > 0)"
"#;

#[test]
fn debian_programs_run_in_a_bundle() {
    if let Some(why) = missing_prerequisite() {
        eprintln!("SKIP: debian_programs_run_in_a_bundle: {why}");
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("debian-bundle");
    let root = dir.join("rootfs");
    build_rootfs(&root);
    let config = serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {
            "args": ["/bin/sh", "-c", SCRIPT],
            "cwd": "/",
            "env": ["PATH=/usr/bin:/bin"],
            "user": {"uid": 0, "gid": 0}
        },
        "root": {"path": "rootfs", "readonly": false},
        "mounts": [
            {"destination": PYTHON_LIB, "type": "bind", "source": PYTHON_LIB, "options": ["rbind", "ro"]}
        ]
    });
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_vec(&config).unwrap(),
    )
    .unwrap();
    let before = std::fs::read(root.join("usr/bin/cat")).unwrap();
    // What an earlier run wrote (the script's writes reach the rootfs).
    for name in ["tmp/f", "tmp/p"] {
        let _ = std::fs::remove_file(root.join(name));
    }
    for name in ["tmp/src", "tmp/copy", "tmp/dst"] {
        let _ = std::fs::remove_dir_all(root.join(name));
    }

    let out = Command::new(env!("CARGO_BIN_EXE_runsc"))
        .arg(format!("--root={}", dir.join("state").display()))
        .args(["run", "--bundle", dir.to_str().unwrap(), "debian"])
        .output()
        .expect("runsc runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );

    let id = std::fs::read_to_string("/etc/os-release")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("ID="))
        .unwrap()
        .to_string();
    let libs =
        count_shared_objects(&root.join("usr/lib")) + count_shared_objects(Path::new(PYTHON_LIB));
    let sha = Command::new("sha256sum")
        .arg("/usr/bin/python3.11")
        .output()
        .unwrap();
    let sha = String::from_utf8_lossy(&sha.stdout)[..64].to_string();
    let expected = format!("1\n{id}\nx\n{libs}\n{sha}\ncp-same\ntar-same\npy True\n");
    assert_eq!(stdout, expected, "stderr:\n{stderr}");
    // The container's writes are in the rootfs, as runc's (Docker sees them);
    // what it only read is unchanged.
    assert!(root.join("tmp/f").exists() && root.join("tmp/copy").exists());
    assert_eq!(std::fs::read(root.join("usr/bin/cat")).unwrap(), before);
}
