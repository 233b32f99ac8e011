//! The server's node handles: what each `Fid` refers to.

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::rc::Rc;

use abi::Errno;

use crate::sys;
use crate::types::{Attr, Fid, Timespec};

/// Identity of an inode on the host.
pub(super) type InodeId = (u64, u64);

/// Where a node was reached: its directory (held open) and its name there. The
/// node is reopened for I/O through this link, so it must track renames the
/// server performs.
#[derive(Clone)]
pub(super) struct Link {
    pub dir: Rc<OwnedFd>,
    pub dir_id: InodeId,
    pub name: CString,
}

/// One node handle.
pub(super) struct Node {
    /// `O_PATH | O_NOFOLLOW` handle of the node itself (for the mount root, the
    /// directory `serve` was given).
    pub fd: Rc<OwnedFd>,
    pub id: InodeId,
    /// `S_IFMT` bits: an inode never changes type.
    pub kind: u32,
    /// `None` for a directory mount root, which reopens through `fd`.
    pub link: Option<Link>,
}

impl Node {
    /// A node for the handle `fd`, returning it with its attributes.
    pub fn new(fd: OwnedFd, link: Option<Link>) -> Result<(Node, Attr), Errno> {
        Node::with_shared(Rc::new(fd), link)
    }

    pub fn with_shared(fd: Rc<OwnedFd>, link: Option<Link>) -> Result<(Node, Attr), Errno> {
        let st = sys::fstat(fd.as_fd())?;
        let attr = attr_of(&st);
        let node = Node {
            fd,
            id: (attr.dev, attr.ino),
            kind: attr.file_type(),
            link,
        };
        Ok((node, attr))
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub fn is_dir(&self) -> bool {
        self.kind == libc::S_IFDIR
    }

    /// A link to `name` inside this node (a directory).
    pub fn child_link(&self, name: &CStr) -> Link {
        self.as_dir().child_link(name)
    }

    /// This node as a directory others are linked from.
    pub fn as_dir(&self) -> DirRef {
        DirRef {
            fd: self.fd.clone(),
            id: self.id,
        }
    }

    pub fn attr(&self) -> Result<Attr, Errno> {
        sys::fstat(self.fd()).map(|st| attr_of(&st))
    }
}

/// Converts the host's `struct stat`.
pub(super) fn attr_of(st: &libc::stat) -> Attr {
    let ts = |sec: i64, nsec: i64| Timespec {
        sec,
        nsec: nsec as u32,
    };
    Attr {
        ino: st.st_ino,
        dev: st.st_dev,
        mode: st.st_mode,
        nlink: st.st_nlink,
        uid: st.st_uid,
        gid: st.st_gid,
        rdev: st.st_rdev,
        size: st.st_size as u64,
        blksize: st.st_blksize as u64,
        blocks: st.st_blocks as u64,
        atime: ts(st.st_atime, st.st_atime_nsec),
        mtime: ts(st.st_mtime, st.st_mtime_nsec),
        ctime: ts(st.st_ctime, st.st_ctime_nsec),
    }
}

/// A directory node, held apart from the table.
pub(super) struct DirRef {
    fd: Rc<OwnedFd>,
    id: InodeId,
}

impl DirRef {
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub fn child_link(&self, name: &CStr) -> Link {
        Link {
            dir: self.fd.clone(),
            dir_id: self.id,
            name: name.to_owned(),
        }
    }
}

/// `Fid` → node.
#[derive(Default)]
pub(super) struct Table {
    nodes: BTreeMap<u64, Node>,
    next: u64,
}

impl Table {
    pub fn insert(&mut self, node: Node) -> Fid {
        self.next += 1;
        self.nodes.insert(self.next, node);
        Fid(self.next)
    }

    /// The node of `fid`; `EBADF` for a handle the server never gave out.
    pub fn get(&self, fid: Fid) -> Result<&Node, Errno> {
        self.nodes.get(&fid.0).ok_or(Errno::EBADF)
    }

    pub fn remove(&mut self, fid: Fid) -> Result<(), Errno> {
        self.nodes.remove(&fid.0).map(drop).ok_or(Errno::EBADF)
    }

    /// Records that `old_name` in directory `old` is now `new_name` in `new`
    /// (and, when `exchange`, the other way round too).
    pub fn renamed(
        &mut self,
        old: &DirRef,
        old_name: &CStr,
        new: &DirRef,
        new_name: &CStr,
        exchange: bool,
    ) {
        // Decide every move against the state before the rename, then apply.
        let mut moves = Vec::new();
        for (&fid, node) in &self.nodes {
            let Some(link) = &node.link else { continue };
            if link.dir_id == old.id && link.name.as_c_str() == old_name {
                moves.push((fid, new.child_link(new_name)));
            } else if exchange && link.dir_id == new.id && link.name.as_c_str() == new_name {
                moves.push((fid, old.child_link(old_name)));
            }
        }
        for (fid, link) in moves {
            if let Some(node) = self.nodes.get_mut(&fid) {
                node.link = Some(link);
            }
        }
    }
}
