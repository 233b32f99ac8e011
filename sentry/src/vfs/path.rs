//! Paths and path resolution with Linux semantics: symlinks (at most 40 per
//! resolution), `..` (never above the resolver's root, across mounts), trailing
//! slashes, search permission on every directory walked.

use std::sync::Arc;

use abi::Errno;

use super::inode::{Inode, MagicTarget, S_IFDIR, S_IFLNK, S_IFMT};
use super::mount::{Mount, MountNamespace};
use super::perm::{MAY_EXEC, may_access};
use crate::task::Credentials;

/// Linux's MAXSYMLINKS.
const MAX_SYMLINKS: u32 = 40;
/// Linux's NAME_MAX.
pub const NAME_MAX: usize = 255;

/// A location in the namespace: the chain of names that led to it, so that `..`
/// and `getcwd` work.
#[derive(Clone)]
pub struct VfsPath(Arc<Node>);

struct Node {
    parent: Option<VfsPath>,
    name: Vec<u8>,
    mount: Arc<Mount>,
    inode: Arc<dyn Inode>,
}

impl VfsPath {
    /// The root of a mount namespace.
    pub fn root_of(ns: &MountNamespace) -> VfsPath {
        let m = ns.root().clone();
        VfsPath(Arc::new(Node {
            parent: None,
            name: Vec::new(),
            inode: m.root.clone(),
            mount: m,
        }))
    }

    pub fn inode(&self) -> &Arc<dyn Inode> {
        &self.0.inode
    }

    pub fn mount(&self) -> &Arc<Mount> {
        &self.0.mount
    }

    pub fn parent(&self) -> Option<&VfsPath> {
        self.0.parent.as_ref()
    }

    pub fn name(&self) -> &[u8] {
        &self.0.name
    }

    fn child(&self, name: &[u8], mount: Arc<Mount>, inode: Arc<dyn Inode>) -> VfsPath {
        VfsPath(Arc::new(Node {
            parent: Some(self.clone()),
            name: name.to_vec(),
            mount,
            inode,
        }))
    }

    /// Same place (same mount, same inode)?
    pub fn same(&self, other: &VfsPath) -> bool {
        self.0.mount.id == other.0.mount.id && self.0.inode.key() == other.0.inode.key()
    }

    /// The absolute path, as `getcwd` reports it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut names = Vec::new();
        let mut at = Some(self);
        while let Some(p) = at {
            if p.0.parent.is_some() {
                names.push(p.0.name.clone());
            }
            at = p.0.parent.as_ref();
        }
        if names.is_empty() {
            return b"/".to_vec();
        }
        names
            .iter()
            .rev()
            .flat_map(|n| [b"/".as_slice(), n].concat())
            .collect()
    }

    /// The path as seen from `root` (a chroot), as `getcwd` reports it; Linux
    /// prefixes "(unreachable)" when `root` is not an ancestor.
    pub fn to_bytes_within(&self, root: &VfsPath) -> Vec<u8> {
        let mut names = Vec::new();
        let mut at = Some(self);
        while let Some(p) = at {
            if p.same(root) {
                if names.is_empty() {
                    return b"/".to_vec();
                }
                return names
                    .iter()
                    .rev()
                    .flat_map(|n: &Vec<u8>| [b"/".as_slice(), n].concat())
                    .collect();
            }
            if p.0.parent.is_some() {
                names.push(p.0.name.clone());
            }
            at = p.0.parent.as_ref();
        }
        let mut out = b"(unreachable)".to_vec();
        out.extend(self.to_bytes());
        out
    }

    /// Whether the file was removed from its directory since this path led to
    /// it (/proc's fd links then read "... (deleted)").
    pub fn is_unlinked(&self) -> bool {
        let Some(parent) = &self.0.parent else {
            return false;
        };
        parent
            .0
            .inode
            .lookup(&self.0.name)
            .map_or(true, |i| i.key() != self.0.inode.key())
    }

    pub fn is_dir(&self) -> bool {
        self.0.inode.mode() & S_IFMT == S_IFDIR
    }
}

/// Resolves paths for one task: its namespace, root (chroot) and credentials.
pub struct Resolver<'a> {
    pub ns: &'a MountNamespace,
    pub root: VfsPath,
    pub creds: std::sync::Arc<Credentials>,
    /// `openat2`'s RESOLVE_* restrictions (none by default).
    pub limits: ResolveLimits,
}

/// Restrictions `openat2` may put on a resolution.
#[derive(Clone, Copy, Debug, Default)]
pub struct ResolveLimits {
    /// RESOLVE_NO_SYMLINKS: any symlink is ELOOP.
    pub no_symlinks: bool,
    /// RESOLVE_BENEATH: absolute paths and `..` above the root are EXDEV.
    pub beneath: bool,
    /// RESOLVE_NO_XDEV: crossing a mount is EXDEV.
    pub no_xdev: bool,
}

/// A path split into its parent and final component.
pub struct ParentAndName {
    pub parent: VfsPath,
    pub name: Vec<u8>,
    /// The path ended in '/' (the final component must be a directory).
    pub trailing_slash: bool,
}

impl Resolver<'_> {
    /// Resolves `path` from `start`; `follow` says whether a final symlink is followed.
    pub fn resolve(&self, start: &VfsPath, path: &[u8], follow: bool) -> Result<VfsPath, Errno> {
        let mut links = 0;
        self.walk(start, path, follow, &mut links)
    }

    /// Resolves all but the last component of `path`.
    pub fn resolve_parent(&self, start: &VfsPath, path: &[u8]) -> Result<ParentAndName, Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        let trailing_slash = path.ends_with(b"/");
        let trimmed = trim_trailing_slashes(path);
        let (dir, name) = match trimmed.iter().rposition(|&b| b == b'/') {
            Some(i) => (
                if i == 0 { &b"/"[..] } else { &trimmed[..i] },
                &trimmed[i + 1..],
            ),
            None => (&b"."[..], trimmed),
        };
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let parent = self.resolve(start, dir, true)?;
        if !parent.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        Ok(ParentAndName {
            parent,
            name: name.to_vec(),
            trailing_slash,
        })
    }

    fn walk(
        &self,
        start: &VfsPath,
        path: &[u8],
        follow: bool,
        links: &mut u32,
    ) -> Result<VfsPath, Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        if path[0] == b'/' && self.limits.beneath {
            return Err(Errno::EXDEV);
        }
        let mut cur = if path[0] == b'/' {
            self.root.clone()
        } else {
            start.clone()
        };
        let trailing_slash = path.ends_with(b"/");
        let parts: Vec<&[u8]> = path
            .split(|&b| b == b'/')
            .filter(|p| !p.is_empty())
            .collect();
        for (i, &name) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            if !cur.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            if !may_access(&self.creds, &cur.inode().stat()?, MAY_EXEC) {
                return Err(Errno::EACCES);
            }
            match name {
                b"." => continue,
                b".." => {
                    if cur.same(&self.root) {
                        if self.limits.beneath {
                            return Err(Errno::EXDEV);
                        }
                    } else {
                        let up = cur.parent().cloned().unwrap_or(cur.clone());
                        if self.limits.no_xdev && up.mount().id != cur.mount().id {
                            return Err(Errno::EXDEV);
                        }
                        cur = up;
                    }
                    continue;
                }
                _ if name.len() > NAME_MAX => return Err(Errno::ENAMETOOLONG),
                _ => {}
            }
            let inode = cur.inode().lookup(name)?;
            let mut next = cur.child(name, cur.mount().clone(), inode);
            while let Some(m) = self.ns.mounted_at(next.mount().id, next.inode().key()) {
                if self.limits.no_xdev {
                    return Err(Errno::EXDEV);
                }
                next = cur.child(name, m.clone(), m.root.clone());
            }
            let is_link = next.inode().mode() & S_IFMT == S_IFLNK;
            if is_link && self.limits.no_symlinks && (!last || follow || trailing_slash) {
                return Err(Errno::ELOOP);
            }
            if is_link
                && (!last || follow || trailing_slash)
                && let Some(target) = next.inode().magic_link()
            {
                *links += 1;
                if *links > MAX_SYMLINKS {
                    return Err(Errno::ELOOP);
                }
                let target = match target {
                    MagicTarget::Path(p) => p,
                    MagicTarget::Inode(inode) => cur.child(name, cur.mount().clone(), inode),
                };
                if last {
                    cur = target;
                    continue;
                }
                // The rest of the path continues from wherever the link leads.
                let mut rest = parts[i + 1..].join(&b'/');
                if trailing_slash {
                    rest.push(b'/');
                }
                return self.walk(&target, &rest, follow, links);
            }
            if is_link && (!last || follow || trailing_slash) {
                *links += 1;
                if *links > MAX_SYMLINKS {
                    return Err(Errno::ELOOP);
                }
                let mut target = next.inode().readlink()?;
                // The rest of the path continues from wherever the link leads.
                for rest in &parts[i + 1..] {
                    target.push(b'/');
                    target.extend_from_slice(rest);
                }
                if trailing_slash {
                    target.push(b'/');
                }
                return self.walk(&cur, &target, follow, links);
            }
            cur = next;
        }
        if trailing_slash && !cur.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        Ok(cur)
    }
}

fn trim_trailing_slashes(path: &[u8]) -> &[u8] {
    let mut end = path.len();
    while end > 1 && path[end - 1] == b'/' {
        end -= 1;
    }
    &path[..end]
}
