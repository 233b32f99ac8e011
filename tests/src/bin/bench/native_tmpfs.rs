//! The native side of the tmpfs benchmarks: a private tmpfs with a size
//! limit, mounted on a fresh directory for one run and unmounted after, so
//! that native writes go to the same kind of file system as the sandboxes'
//! `/tmp` without touching the host's (its /tmp is a disk here, its
//! /dev/shm an unbounded tmpfs). Without the right to mount, a fresh
//! directory in /dev/shm is the fallback, bounded only by what the program
//! writes; the output's header says which one is used.

use crate::tempdir::TempDir;
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The tmpfs `size=` option, natively and in runc's container: room for
/// the 256 MiB file with margin, and a cap on a runaway.
pub const SIZE: &str = "512m";

const SHM: &str = "/dev/shm";

pub struct NativeTmpfs {
    dir: TempDir,
    mounted: bool,
}

impl NativeTmpfs {
    /// Mounts a fresh tmpfs, or falls back to a directory in /dev/shm.
    pub fn create() -> Result<NativeTmpfs, String> {
        static N: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "bench-tmpfs-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let dir = TempDir::create(std::env::temp_dir().join(&name))?;
        let options = format!("size={SIZE},mode=1777");
        let mounted = mount(
            Some("tmpfs"),
            dir.path(),
            Some("tmpfs"),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
            Some(options.as_str()),
        );
        match mounted {
            Ok(()) => Ok(NativeTmpfs { dir, mounted: true }),
            Err(_) => {
                drop(dir);
                let dir = TempDir::create(PathBuf::from(SHM).join(name))?;
                Ok(NativeTmpfs {
                    dir,
                    mounted: false,
                })
            }
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// What a run gets here, for the output's header.
    pub fn describe() -> String {
        match NativeTmpfs::create() {
            Ok(t) if t.mounted => format!(
                "a private tmpfs (size={SIZE}) mounted on a fresh directory under {} \
                 for each run",
                std::env::temp_dir().display()
            ),
            Ok(_) => format!(
                "a fresh directory in {SHM} (the host's tmpfs; mounting a private one \
                 was refused)"
            ),
            Err(e) => format!("none: {e}"),
        }
    }
}

impl Drop for NativeTmpfs {
    fn drop(&mut self) {
        if self.mounted {
            // Lazily: a leftover process holding a file must not keep it.
            let _ = umount2(self.dir.path(), MntFlags::MNT_DETACH);
        }
        // The TempDir then removes the (now empty) directory.
    }
}
