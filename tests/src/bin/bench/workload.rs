//! What a runtime runs: a static program and its arguments, some of which
//! name places that each runtime sees differently.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub enum Arg {
    /// Passed as is.
    Text(String),
    /// A file on the host. Native runs and both `runsc do`s (which serve
    /// the host's root) get this path; runc gets the file linked into its
    /// bundle's rootfs as `/<file name>`.
    HostFile(PathBuf),
    /// A writable directory: a fresh directory under the host's /tmp for
    /// native runs, `/tmp` inside runc's container and the sandboxes.
    ScratchDir,
    /// A writable directory on a tmpfs: `/tmp` inside the sandboxes (their
    /// memory file systems) and inside runc's container (a tmpfs mounted
    /// there), natively a private tmpfs mount (`native_tmpfs`).
    TmpfsDir,
}

pub struct Workload {
    /// The static binary on the host.
    pub program: PathBuf,
    pub args: Vec<Arg>,
    pub timeout: Duration,
}

impl Workload {
    pub fn needs_scratch(&self) -> bool {
        self.args.iter().any(|a| matches!(a, Arg::ScratchDir))
    }

    pub fn needs_tmpfs(&self) -> bool {
        self.args.iter().any(|a| matches!(a, Arg::TmpfsDir))
    }

    /// The arguments as one runtime sees them.
    pub fn resolve(
        &self,
        mut host_file: impl FnMut(&Path) -> Result<OsString, String>,
        scratch: &Path,
        tmpfs: &Path,
    ) -> Result<Vec<OsString>, String> {
        self.args
            .iter()
            .map(|arg| match arg {
                Arg::Text(s) => Ok(s.into()),
                Arg::HostFile(p) => host_file(p),
                Arg::ScratchDir => Ok(scratch.into()),
                Arg::TmpfsDir => Ok(tmpfs.into()),
            })
            .collect()
    }
}
