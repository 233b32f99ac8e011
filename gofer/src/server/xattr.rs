//! Extended attributes. Only the `user.` namespace is served: `trusted.` and
//! `security.` attributes (file capabilities, LSM labels) mean something to the
//! host and the sandbox must not set or read them.

use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};

use abi::Errno;

use super::Server;
use super::open::reopen;
use super::table::Node;
use crate::protocol::Response;
use crate::sys::{self, XATTR_SIZE_MAX};
use crate::types::Fid;

const USER_PREFIX: &[u8] = b"user.";

/// `XATTR_NAME_MAX`.
const NAME_MAX: usize = 255;

/// Checks an xattr name: Linux says `ERANGE` for an empty or too long one; a
/// namespace other than `user.` is `EOPNOTSUPP` (not supported here).
fn xattr_name(name: &[u8]) -> Result<CString, Errno> {
    if name.is_empty() || name.len() > NAME_MAX {
        return Err(Errno::ERANGE);
    }
    if !name.starts_with(USER_PREFIX) {
        return Err(Errno::EOPNOTSUPP);
    }
    CString::new(name).map_err(|_| Errno::EINVAL)
}

/// A descriptor to read or change the node's xattrs through (the `f*xattr`
/// calls refuse `O_PATH` descriptors), or `None` for node types that cannot
/// carry `user.` attributes (Linux allows them on regular files and
/// directories only).
fn xattr_fd(node: &Node) -> Result<Option<OwnedFd>, Errno> {
    match node.kind {
        libc::S_IFREG | libc::S_IFDIR => reopen(node, libc::O_RDONLY).map(Some),
        _ => Ok(None),
    }
}

impl Server {
    pub(super) fn getxattr(&self, fid: Fid, name: &[u8]) -> Result<Response, Errno> {
        let node = self.nodes.get(fid)?;
        let name = xattr_name(name)?;
        match xattr_fd(node)? {
            Some(fd) => sys::fgetxattr(fd.as_fd(), &name).map(|data| Response::Bytes { data }),
            None => Err(Errno::ENODATA),
        }
    }

    pub(super) fn setxattr(
        &self,
        fid: Fid,
        name: &[u8],
        value: &[u8],
        flags: u32,
    ) -> Result<Response, Errno> {
        let node = self.nodes.get(fid)?;
        let name = xattr_name(name)?;
        let flags = flags as i32;
        if flags & !(libc::XATTR_CREATE | libc::XATTR_REPLACE) != 0 {
            return Err(Errno::EINVAL);
        }
        if value.len() > XATTR_SIZE_MAX {
            return Err(Errno::E2BIG);
        }
        self.writable()?;
        let fd = xattr_fd(node)?.ok_or(Errno::EPERM)?;
        sys::fsetxattr(fd.as_fd(), &name, value, flags)?;
        Ok(Response::Ok)
    }

    /// The node's `user.` attribute names.
    pub(super) fn listxattr(&self, fid: Fid) -> Result<Response, Errno> {
        let node = self.nodes.get(fid)?;
        let Some(fd) = xattr_fd(node)? else {
            return Ok(Response::Names { names: Vec::new() });
        };
        let list = sys::flistxattr(fd.as_fd())?;
        let names = list
            .split(|&b| b == 0)
            .filter(|n| n.starts_with(USER_PREFIX))
            .map(<[u8]>::to_vec)
            .collect();
        Ok(Response::Names { names })
    }

    pub(super) fn removexattr(&self, fid: Fid, name: &[u8]) -> Result<Response, Errno> {
        let node = self.nodes.get(fid)?;
        let name = xattr_name(name)?;
        self.writable()?;
        let fd = xattr_fd(node)?.ok_or(Errno::EPERM)?;
        sys::fremovexattr(fd.as_fd(), &name)?;
        Ok(Response::Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(xattr_name(b"user.a").unwrap().as_bytes(), b"user.a");
        assert_eq!(xattr_name(b""), Err(Errno::ERANGE));
        assert_eq!(xattr_name(&[b'u'; 256]), Err(Errno::ERANGE));
        assert_eq!(
            xattr_name(b"trusted.overlay.opaque"),
            Err(Errno::EOPNOTSUPP)
        );
        assert_eq!(xattr_name(b"security.capability"), Err(Errno::EOPNOTSUPP));
        assert_eq!(xattr_name(b"user.a\0b"), Err(Errno::EINVAL));
    }
}
