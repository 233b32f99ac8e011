//! What runsc remembers about a container between commands (`state.json`),
//! and the OCI state it reports.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::HostProcess;

/// The OCI lifecycle states.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Creating,
    Created,
    Running,
    Paused,
    Stopped,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = serde_json::to_value(self).map_err(|_| std::fmt::Error)?;
        f.write_str(s.as_str().unwrap_or_default())
    }
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Record {
    pub id: String,
    pub bundle: PathBuf,
    pub rootfs: PathBuf,
    /// RFC 3339, as runc prints it.
    pub created: String,
    pub owner: String,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// The last state a command set; `Stopped` is also whenever the sandbox
    /// is gone.
    pub status: Status,
    /// The sandbox process (`runsc boot`), whose pid the OCI state reports.
    pub sandbox: Option<HostProcess>,
    #[serde(default)]
    pub gofers: Vec<HostProcess>,
    /// The cgroup the sandbox was placed in, if any.
    #[serde(default)]
    pub cgroup: Option<String>,
    /// The config's hooks, kept for `start` and `delete` (the bundle may be
    /// gone by then).
    #[serde(default)]
    pub hooks: Option<oci_spec::runtime::Hooks>,
}

/// The state an OCI runtime reports (`runc state`).
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct OciState {
    pub oci_version: String,
    pub id: String,
    pub pid: i32,
    pub status: Status,
    pub bundle: PathBuf,
    pub rootfs: PathBuf,
    pub created: String,
    pub owner: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub annotations: BTreeMap<String, String>,
}

impl Record {
    pub fn load(path: &Path) -> anyhow::Result<Record> {
        let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// Writes the record atomically: a reader sees the old one or the new one.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let tmp = path.with_extension("json.tmp");
        let mut f =
            std::fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
        f.write_all(&serde_json::to_vec_pretty(self)?)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
    }

    /// The state as it is now: a sandbox that is gone means stopped, whatever
    /// was recorded.
    pub fn current_status(&self) -> Status {
        match self.sandbox {
            Some(s) if s.alive() => self.status,
            _ if self.status == Status::Creating => Status::Creating,
            _ => Status::Stopped,
        }
    }

    pub fn oci_state(&self) -> OciState {
        let status = self.current_status();
        OciState {
            oci_version: oci_spec::runtime::VERSION.to_string(),
            id: self.id.clone(),
            pid: match (status, self.sandbox) {
                (Status::Stopped, _) | (_, None) => 0,
                (_, Some(s)) => s.pid,
            },
            status,
            bundle: self.bundle.clone(),
            rootfs: self.rootfs.clone(),
            created: self.created.clone(),
            owner: self.owner.clone(),
            annotations: self.annotations.clone(),
        }
    }
}
