//! HOME for a container process whose environment has none: the home
//! directory of its user in the container's /etc/passwd, else "/" (as runc).

use std::sync::Arc;

use sentry::task::Credentials;
use sentry::vfs::{MountNamespace, Resolver, VfsPath};

/// The home directory of `uid` in passwd `text` (`name:pw:uid:gid:gecos:home:shell`).
pub fn home_of(text: &str, uid: u32) -> Option<String> {
    text.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        match fields.as_slice() {
            [_, _, u, _, _, home, ..] if u.parse() == Ok(uid) && !home.is_empty() => {
                Some(home.to_string())
            }
            _ => None,
        }
    })
}

/// Reads the container's /etc/passwd through the sandbox's own file system
/// (never the host's: it may be a link out of the root).
fn read_passwd(ns: &MountNamespace) -> Option<String> {
    let root = VfsPath::root_of(ns);
    let resolver = Resolver {
        ns,
        root: root.clone(),
        creds: Arc::new(Credentials::new(0, 0, Vec::new())),
        limits: Default::default(),
    };
    let file = resolver
        .resolve(&root, b"/etc/passwd", true)
        .ok()?
        .inode()
        .open(libc::O_RDONLY as u32)
        .ok()?;
    let mut text = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while text.len() < (1 << 20) {
        match file.read(text.len() as u64, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => text.extend_from_slice(&buf[..n]),
        }
    }
    Some(String::from_utf8_lossy(&text).into_owned())
}

/// `env` with HOME added when it has none.
pub fn with_home(ns: &MountNamespace, mut env: Vec<String>, uid: u32) -> Vec<String> {
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        let home = read_passwd(ns)
            .and_then(|t| home_of(&t, uid))
            .unwrap_or_else(|| "/".into());
        env.push(format!("HOME={home}"));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::home_of;

    #[test]
    fn finds_the_users_home() {
        let text = "root:x:0:0:root:/root:/bin/sh\nbad line\nnobody:x:65534:65534::/nonexistent:/bin/false\nempty:x:5:5:::/bin/sh\n";
        assert_eq!(home_of(text, 0).as_deref(), Some("/root"));
        assert_eq!(home_of(text, 65534).as_deref(), Some("/nonexistent"));
        assert_eq!(home_of(text, 5), None);
        assert_eq!(home_of(text, 1000), None);
    }
}
