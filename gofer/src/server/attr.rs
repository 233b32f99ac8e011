//! Changing attributes of a node itself: owner, mode, size, times. Nothing here
//! follows a symlink.

use std::os::fd::AsFd;

use abi::Errno;

use super::Server;
use super::open::reopen;
use super::table::Node;
use crate::protocol::Response;
use crate::sys;
use crate::types::{Attr, Fid, SetAttr, TimeSet};

impl Server {
    pub(super) fn setattr(&self, fid: Fid, set: &SetAttr) -> Result<Response, Errno> {
        let node = self.nodes.get(fid)?;
        self.writable()?;
        if set.uid.is_some() || set.gid.is_some() {
            // u32::MAX (-1) leaves that id alone.
            sys::fchown(
                node.fd(),
                set.uid.unwrap_or(u32::MAX),
                set.gid.unwrap_or(u32::MAX),
            )?;
        }
        if let Some(mode) = set.mode {
            chmod(node, mode & 0o7777)?;
        }
        if let Some(size) = set.size {
            truncate(node, size)?;
        }
        if set.atime != TimeSet::Omit || set.mtime != TimeSet::Omit {
            sys::utimens(node.fd(), &[timespec(set.atime)?, timespec(set.mtime)?])?;
        }
        Ok(Response::Ok)
    }
}

/// Gives a node just made (with attributes `attr`, asked-for permissions
/// `perm`) to `uid`:`gid`; returns its attributes after.
pub(super) fn give(node: &Node, attr: Attr, perm: u32, uid: u32, gid: u32) -> Result<Attr, Errno> {
    if (attr.uid, attr.gid) == (uid, gid) {
        return Ok(attr);
    }
    sys::fchown(node.fd(), uid, gid)?;
    // chown clears the set-id bits of non-directories; the creator asked for them.
    if perm & (libc::S_ISUID | libc::S_ISGID) != 0 && node.kind != libc::S_IFLNK {
        chmod(node, perm)?;
    }
    node.attr()
}

/// Changes the mode of the node itself. Symlinks have no mode of their own on
/// Linux: `EOPNOTSUPP`, as `fchmodat(AT_SYMLINK_NOFOLLOW)` says.
fn chmod(node: &Node, mode: u32) -> Result<(), Errno> {
    if node.kind == libc::S_IFLNK {
        return Err(Errno::EOPNOTSUPP);
    }
    match sys::fchmod_path_fd(node.fd(), mode) {
        Err(Errno::ENOSYS) => chmod_reopened(node, mode),
        r => r,
    }
}

/// `chmod` for kernels before 6.6 (no `fchmodat2`): `fchmod` needs a real
/// descriptor, so reopen the node. Sockets cannot be opened: `EOPNOTSUPP`.
fn chmod_reopened(node: &Node, mode: u32) -> Result<(), Errno> {
    if node.kind == libc::S_IFSOCK {
        return Err(Errno::EOPNOTSUPP);
    }
    let fd = reopen(node, libc::O_RDONLY)?;
    sys::fchmod(fd.as_fd(), mode)
}

/// Truncates a regular file; `EISDIR` for a directory, `EINVAL` for anything
/// else (as `truncate(2)` says).
fn truncate(node: &Node, size: u64) -> Result<(), Errno> {
    match node.kind {
        libc::S_IFREG => {
            let fd = reopen(node, libc::O_WRONLY)?;
            sys::ftruncate(fd.as_fd(), size)
        }
        libc::S_IFDIR => Err(Errno::EISDIR),
        _ => Err(Errno::EINVAL),
    }
}

fn timespec(t: TimeSet) -> Result<libc::timespec, Errno> {
    let (tv_sec, tv_nsec) = match t {
        TimeSet::Omit => (0, libc::UTIME_OMIT),
        TimeSet::Now => (0, libc::UTIME_NOW),
        TimeSet::At { nsec, .. } if nsec >= 1_000_000_000 => return Err(Errno::EINVAL),
        TimeSet::At { sec, nsec } => (sec, nsec as i64),
    };
    Ok(libc::timespec { tv_sec, tv_nsec })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::TempDir;

    /// The pre-6.6 path must give the same result as `fchmodat2`.
    #[test]
    fn chmod_fallback_reopens() {
        let tmp = TempDir::new("chmod-fallback");
        std::fs::write(tmp.path().join("f"), b"x").unwrap();
        std::fs::create_dir(tmp.path().join("d")).unwrap();
        let root = std::fs::File::open(tmp.path()).unwrap();
        for name in [c"f", c"d"] {
            let fd = crate::confine::lookup(root.as_fd(), name).unwrap();
            let link = super::super::table::Link {
                dir: std::rc::Rc::new(root.try_clone().unwrap().into()),
                dir_id: (0, 0),
                name: name.to_owned(),
            };
            let (node, _) = Node::new(fd, Some(link)).unwrap();
            chmod_reopened(&node, 0o640).unwrap();
            assert_eq!(node.attr().unwrap().mode & 0o7777, 0o640);
        }
    }

    #[test]
    fn times() {
        assert_eq!(timespec(TimeSet::Omit).unwrap().tv_nsec, libc::UTIME_OMIT);
        assert_eq!(timespec(TimeSet::Now).unwrap().tv_nsec, libc::UTIME_NOW);
        let t = timespec(TimeSet::At { sec: 5, nsec: 7 }).unwrap();
        assert_eq!((t.tv_sec, t.tv_nsec), (5, 7));
        assert_eq!(
            timespec(TimeSet::At {
                sec: 5,
                nsec: 1_000_000_000
            })
            .unwrap_err(),
            Errno::EINVAL
        );
    }
}
