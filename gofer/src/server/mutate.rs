//! Changing the tree: mkdir, mknod, symlink, link, unlink, rename, and the
//! handle-out of a node just made.

use std::ffi::CStr;
use std::os::fd::AsFd;

use abi::Errno;

use super::table::{InodeId, Node};
use super::{ESTALE, Server, attr};
use crate::confine;
use crate::protocol::Response;
use crate::sys;
use crate::types::{Attr, Fid};

/// Longest symlink target (`PATH_MAX` including the NUL).
const TARGET_MAX: usize = libc::PATH_MAX as usize - 1;

impl Server {
    pub(super) fn mkdir(
        &mut self,
        dir: Fid,
        name: &[u8],
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<Response, Errno> {
        let name = confine::component(name)?;
        let dir_node = self.dir(dir)?;
        self.writable()?;
        let perm = mode & 0o7777;
        sys::mkdirat(dir_node.fd(), &name, perm)?;
        self.adopt(dir, &name, None, perm, uid, gid)
            .map(node_response)
    }

    /// Makes a FIFO, socket or empty regular file; device nodes are `EPERM`.
    pub(super) fn mknod(
        &mut self,
        dir: Fid,
        name: &[u8],
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<Response, Errno> {
        let name = confine::component(name)?;
        let kind = match mode & libc::S_IFMT {
            0 | libc::S_IFREG => libc::S_IFREG,
            libc::S_IFIFO => libc::S_IFIFO,
            libc::S_IFSOCK => libc::S_IFSOCK,
            libc::S_IFCHR | libc::S_IFBLK => return Err(Errno::EPERM),
            _ => return Err(Errno::EINVAL),
        };
        let dir_node = self.dir(dir)?;
        self.writable()?;
        let perm = mode & 0o7777;
        sys::mknodat(dir_node.fd(), &name, kind | perm)?;
        self.adopt(dir, &name, None, perm, uid, gid)
            .map(node_response)
    }

    /// Makes a symlink. The target is only data here: it is never resolved by
    /// the gofer, so it may name anything.
    pub(super) fn symlink(
        &mut self,
        dir: Fid,
        name: &[u8],
        target: &[u8],
        uid: u32,
        gid: u32,
    ) -> Result<Response, Errno> {
        let name = confine::component(name)?;
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() > TARGET_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let target = std::ffi::CString::new(target).map_err(|_| Errno::EINVAL)?;
        let dir_node = self.dir(dir)?;
        self.writable()?;
        sys::symlinkat(&target, dir_node.fd(), &name)?;
        self.adopt(dir, &name, None, 0o777, uid, gid)
            .map(node_response)
    }

    /// Makes `name` in `dir` a hard link of the node `target`.
    pub(super) fn link(&mut self, dir: Fid, name: &[u8], target: Fid) -> Result<Response, Errno> {
        let name = confine::component(name)?;
        let dir_node = self.dir(dir)?;
        let target = self.nodes.get(target)?;
        self.writable()?;
        if target.is_dir() {
            return Err(Errno::EPERM);
        }
        // Linking by descriptor (AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH in the
        // initial namespace; link by name instead and check what got linked.
        let from = target.link.as_ref().ok_or(ESTALE)?;
        sys::linkat(from.dir.as_fd(), &from.name, dir_node.fd(), &name)?;
        let fd = confine::lookup(dir_node.fd(), &name)?;
        let (node, attr) = Node::new(fd, Some(dir_node.child_link(&name)))?;
        if node.id != target.id {
            // The source name was replaced meanwhile: undo, the caller asked for
            // a link of a different inode.
            let _ = sys::unlinkat(dir_node.fd(), &name, 0);
            return Err(ESTALE);
        }
        Ok(self.add(node, attr))
    }

    /// `unlinkat(dir, name, flags)` with `flags` 0 or `AT_REMOVEDIR`.
    pub(super) fn unlink(&mut self, dir: Fid, name: &[u8], flags: u32) -> Result<Response, Errno> {
        let name = confine::component(name)?;
        let flags = flags as i32;
        if flags != 0 && flags != libc::AT_REMOVEDIR {
            return Err(Errno::EINVAL);
        }
        let dir = self.dir(dir)?;
        self.writable()?;
        sys::unlinkat(dir.fd(), &name, flags)?;
        Ok(Response::Ok)
    }

    /// `renameat2` with flags 0, `RENAME_NOREPLACE` or `RENAME_EXCHANGE`.
    pub(super) fn rename(
        &mut self,
        old_dir: Fid,
        old_name: &[u8],
        new_dir: Fid,
        new_name: &[u8],
        flags: u32,
    ) -> Result<Response, Errno> {
        let old_name = confine::component(old_name)?;
        let new_name = confine::component(new_name)?;
        if !matches!(flags, 0 | libc::RENAME_NOREPLACE | libc::RENAME_EXCHANGE) {
            return Err(Errno::EINVAL);
        }
        let old = self.dir(old_dir)?.as_dir();
        let new = self.dir(new_dir)?.as_dir();
        self.writable()?;
        sys::renameat2(old.fd(), &old_name, new.fd(), &new_name, flags)?;
        let exchange = flags == libc::RENAME_EXCHANGE;
        self.nodes
            .renamed(&old, &old_name, &new, &new_name, exchange);
        Ok(Response::Ok)
    }

    /// Hands out a handle for `name` in `dir`, just made (as inode `made` if
    /// known) with permissions `perm`, after giving it to `uid`:`gid`. If the
    /// ownership cannot be set, the node is removed again.
    pub(super) fn adopt(
        &mut self,
        dir: Fid,
        name: &CStr,
        made: Option<InodeId>,
        perm: u32,
        uid: u32,
        gid: u32,
    ) -> Result<(Fid, Attr), Errno> {
        let dir_node = self.dir(dir)?;
        let fd = confine::lookup(dir_node.fd(), name)?;
        let (node, attr) = Node::new(fd, Some(dir_node.child_link(name)))?;
        if made.is_some_and(|id| id != node.id) {
            return Err(ESTALE);
        }
        match attr::give(&node, attr, perm, uid, gid) {
            Ok(attr) => Ok((self.nodes.insert(node), attr)),
            Err(e) => {
                let flags = if node.is_dir() { libc::AT_REMOVEDIR } else { 0 };
                let _ = sys::unlinkat(dir_node.fd(), name, flags);
                Err(e)
            }
        }
    }
}

fn node_response((fid, attr): (Fid, Attr)) -> Response {
    Response::Node { fid, attr }
}
