//! Where a container's cgroup goes: the spec's `linux.cgroupsPath`, or a default.

use std::path::{Component, Path, PathBuf};

use anyhow::bail;

/// The cgroup path for container `id`, relative to a hierarchy's root when it
/// starts with '/', else to the caller's own cgroup (as runc reads it).
///
/// Without `systemd`, an empty path means `/runsc/ID`. With `systemd`, the path
/// is systemd's `slice:prefix:name` (empty: `system.slice:runsc:ID`), turned into
/// the directory systemd would give that unit; there is no systemd to ask here.
pub fn from_spec(cgroups_path: Option<&str>, id: &str, systemd: bool) -> anyhow::Result<PathBuf> {
    let given = cgroups_path.unwrap_or_default();
    if systemd {
        let (slice, prefix, name) = if given.is_empty() {
            ("system.slice", "runsc", id)
        } else {
            let parts: Vec<&str> = given.split(':').collect();
            let [slice, prefix, name] = parts[..] else {
                bail!(
                    "expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, got {given:?} instead"
                );
            };
            (slice, prefix, name)
        };
        let slice = if slice.is_empty() {
            "system.slice"
        } else {
            slice
        };
        if name.is_empty() || name.contains('/') || prefix.contains('/') {
            bail!("invalid systemd unit name in cgroupsPath {given:?}");
        }
        let unit = if name.ends_with(".slice") {
            name.to_string()
        } else if prefix.is_empty() {
            format!("{name}.scope")
        } else {
            format!("{prefix}-{name}.scope")
        };
        return Ok(expand_slice(slice)?.join(unit));
    }
    if given.is_empty() {
        return Ok(Path::new("/runsc").join(id));
    }
    let path = PathBuf::from(given);
    if path
        .components()
        .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
    {
        bail!("cgroupsPath {given:?} must not contain '.' or '..' components");
    }
    Ok(path)
}

/// `a-b.slice` lives at `/a.slice/a-b.slice` (systemd.slice(5)); `-.slice` is the root.
fn expand_slice(slice: &str) -> anyhow::Result<PathBuf> {
    let invalid = || anyhow::anyhow!("invalid slice name: {slice}");
    let stem = slice.strip_suffix(".slice").ok_or_else(invalid)?;
    if stem.is_empty() || slice.contains('/') {
        return Err(invalid());
    }
    let mut path = PathBuf::from("/");
    if stem == "-" {
        return Ok(path);
    }
    let mut prefix = String::new();
    for part in stem.split('-') {
        if part.is_empty() {
            return Err(invalid());
        }
        path.push(format!("{prefix}{part}.slice"));
        prefix.push_str(part);
        prefix.push('-');
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_path_is_runsc_slash_id() {
        assert_eq!(
            from_spec(None, "c1", false).unwrap(),
            Path::new("/runsc/c1")
        );
        assert_eq!(
            from_spec(Some(""), "c1", false).unwrap(),
            Path::new("/runsc/c1")
        );
    }

    #[test]
    fn given_paths_are_kept_and_dotdot_refused() {
        assert_eq!(
            from_spec(Some("/docker/abc"), "c", false).unwrap(),
            Path::new("/docker/abc")
        );
        assert_eq!(
            from_spec(Some("mine/abc"), "c", false).unwrap(),
            Path::new("mine/abc")
        );
        assert!(from_spec(Some("/a/../../etc"), "c", false).is_err());
    }

    #[test]
    fn systemd_form_becomes_the_unit_directory() {
        let p = |s| from_spec(Some(s), "id", true);
        assert_eq!(
            p("system.slice:docker:abc").unwrap(),
            Path::new("/system.slice/docker-abc.scope")
        );
        assert_eq!(
            p("user-1000.slice:runsc:x").unwrap(),
            Path::new("/user.slice/user-1000.slice/runsc-x.scope")
        );
        assert_eq!(p("-.slice:p:n").unwrap(), Path::new("/p-n.scope"));
        assert_eq!(p(":p:n").unwrap(), Path::new("/system.slice/p-n.scope"));
        assert_eq!(
            p("machine.slice::my.slice").unwrap(),
            Path::new("/machine.slice/my.slice")
        );
        assert_eq!(
            from_spec(None, "id", true).unwrap(),
            Path::new("/system.slice/runsc-id.scope")
        );
        let err = p("/docker/abc").unwrap_err().to_string();
        assert!(err.contains("slice:prefix:name"), "{err}");
        assert!(p("a--b.slice:p:n").is_err());
        assert!(p("notaslice:p:n").is_err());
    }
}
