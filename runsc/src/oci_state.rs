//! The state of a container as the OCI runtime spec defines it: what `runsc
//! state` prints and what hooks read on their standard input.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Lifecycle status; `paused` is runc's addition to the spec's four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Creating,
    Created,
    Running,
    Paused,
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciState {
    pub oci_version: String,
    pub id: String,
    pub status: Status,
    /// The container's process on the host (the sandbox); absent once stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    /// Absolute path of the bundle.
    pub bundle: PathBuf,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl OciState {
    /// A state of the runtime-spec version runsc implements.
    pub fn new(id: &str, status: Status, pid: Option<i32>, bundle: PathBuf) -> OciState {
        OciState {
            oci_version: oci_spec::runtime::VERSION.to_string(),
            id: id.to_string(),
            status,
            pid,
            bundle,
            annotations: BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_json_has_the_spec_field_names() {
        let mut s = OciState::new("c1", Status::Created, Some(42), "/b".into());
        s.annotations.insert("k".into(), "v".into());
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"ociVersion": oci_spec::runtime::VERSION, "id": "c1",
                "status": "created", "pid": 42, "bundle": "/b", "annotations": {"k": "v"}})
        );
        let stopped = OciState::new("c1", Status::Stopped, None, "/b".into());
        let v = serde_json::to_value(&stopped).unwrap();
        assert!(v.get("pid").is_none() && v.get("annotations").is_none());
        assert_eq!(serde_json::from_value::<OciState>(v).unwrap(), stopped);
    }
}
