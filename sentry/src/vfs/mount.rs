//! Mounts and mount namespaces.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use abi::Errno;
use parking_lot::RwLock;

use super::inode::{Inode, InodeKey};
use super::path::VfsPath;

/// What a mount forbids besides writes (MS_NOSUID, MS_NODEV, MS_NOEXEC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MountFlags {
    /// Set-user-ID bits do not count (the sandbox does not honour them
    /// anywhere yet: shown for what the mount asked).
    pub nosuid: bool,
    /// Device nodes do not open (none can be made in the sandbox).
    pub nodev: bool,
    /// Nothing executes from here: execve is EACCES, mmap with PROT_EXEC
    /// EPERM.
    pub noexec: bool,
}

impl MountFlags {
    /// The flags as /proc/mounts lists them after rw/ro (",nosuid,noexec").
    pub fn options(&self) -> String {
        let mut out = String::new();
        for (set, name) in [
            (self.nosuid, "nosuid"),
            (self.nodev, "nodev"),
            (self.noexec, "noexec"),
        ] {
            if set {
                out.push(',');
                out.push_str(name);
            }
        }
        out
    }
}

/// A filesystem instance attached somewhere in a namespace.
pub struct Mount {
    pub id: u64,
    pub root: Arc<dyn Inode>,
    pub readonly: bool,
    pub flags: MountFlags,
    /// Filesystem type (`tmpfs`, `9p`...) and source, for /proc/mounts.
    pub fs_type: &'static str,
    pub source: String,
    /// Where it is mounted ("/" for the root) and the id of the mount it covers.
    pub path: String,
    pub parent: u64,
}

pub struct MountNamespace {
    root: Arc<Mount>,
    /// Mounts by where they sit: (parent mount id, key of the covered inode).
    mounts: RwLock<HashMap<(u64, InodeKey), Arc<Mount>>>,
    next_id: AtomicU64,
}

impl MountNamespace {
    pub fn new(
        root: Arc<dyn Inode>,
        readonly: bool,
        fs_type: &'static str,
        source: String,
    ) -> MountNamespace {
        let root = Arc::new(Mount {
            id: 1,
            root,
            readonly,
            flags: MountFlags::default(),
            fs_type,
            source,
            path: "/".into(),
            parent: 1,
        });
        MountNamespace {
            root,
            mounts: RwLock::new(HashMap::new()),
            next_id: AtomicU64::new(2),
        }
    }

    pub fn root(&self) -> &Arc<Mount> {
        &self.root
    }

    /// Attaches `fs_root` over `point`.
    pub fn mount(
        &self,
        point: &VfsPath,
        fs_root: Arc<dyn Inode>,
        readonly: bool,
        fs_type: &'static str,
        source: String,
    ) -> Result<Arc<Mount>, Errno> {
        self.mount_with_flags(
            point,
            fs_root,
            readonly,
            MountFlags::default(),
            fs_type,
            source,
        )
    }

    /// `mount`, with what the mount forbids besides writes.
    pub fn mount_with_flags(
        &self,
        point: &VfsPath,
        fs_root: Arc<dyn Inode>,
        readonly: bool,
        flags: MountFlags,
        fs_type: &'static str,
        source: String,
    ) -> Result<Arc<Mount>, Errno> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let path = String::from_utf8_lossy(&point.to_bytes()).into_owned();
        let mount = Arc::new(Mount {
            id,
            root: fs_root,
            readonly,
            flags,
            fs_type,
            source,
            path,
            parent: point.mount().id,
        });
        // Mounting over a mount point stacks: the new mount covers the old one's root.
        let mut mounts = self.mounts.write();
        let mut key = (point.mount().id, point.inode().key());
        while let Some(top) = mounts.get(&key) {
            key = (top.id, top.root.key());
        }
        mounts.insert(key, mount.clone());
        Ok(mount)
    }

    /// Detaches mount `id` and every mount below it (`umount2`).
    pub fn unmount(&self, id: u64) -> Result<(), Errno> {
        if id == self.root.id {
            return Err(Errno::EINVAL);
        }
        let mut mounts = self.mounts.write();
        let mut doomed = vec![id];
        let mut i = 0;
        while i < doomed.len() {
            let parent = doomed[i];
            doomed.extend(
                mounts
                    .iter()
                    .filter(|(k, _)| k.0 == parent)
                    .map(|(_, m)| m.id),
            );
            i += 1;
        }
        let before = mounts.len();
        mounts.retain(|_, m| !doomed.contains(&m.id));
        if mounts.len() == before {
            Err(Errno::EINVAL)
        } else {
            Ok(())
        }
    }

    /// The mount covering inode `key` of mount `parent`, if any.
    pub fn mounted_at(&self, parent: u64, key: InodeKey) -> Option<Arc<Mount>> {
        self.mounts.read().get(&(parent, key)).cloned()
    }

    /// Every mount, the root first, for /proc/mounts (device files, which are
    /// mounts only inside the sandbox's devfs, are left out).
    pub fn all(&self) -> Vec<Arc<Mount>> {
        let mut v = vec![self.root.clone()];
        let mut rest: Vec<_> = self
            .mounts
            .read()
            .values()
            .filter(|m| m.fs_type != "devnode")
            .cloned()
            .collect();
        rest.sort_by_key(|m| m.id);
        v.extend(rest);
        v
    }
}
