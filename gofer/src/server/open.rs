//! Opening nodes for I/O: open, create, fsync. The descriptors handed out are
//! real host descriptors of the node, always `O_NONBLOCK` (the sentry never
//! blocks in a host call; the gofer never blocks on a FIFO).

use std::os::fd::{AsFd, OwnedFd};

use abi::Errno;

use super::table::Node;
use super::{ESTALE, Server};
use crate::confine;
use crate::protocol::Response;
use crate::sys;
use crate::types::{Attr, Fid};

/// The kernel's `O_LARGEFILE` on x86-64 (libc's constant is 0 there).
const O_LARGEFILE: i32 = 0o100000;

/// Flags `open`/`create` accept; the rest (`O_CREAT`, `O_EXCL`, `O_TMPFILE`,
/// `O_PATH`, `O_ASYNC`) are `EINVAL`.
const OPEN_FLAGS: i32 = libc::O_ACCMODE
    | libc::O_TRUNC
    | libc::O_APPEND
    | libc::O_NONBLOCK
    | libc::O_DIRECTORY
    | libc::O_NOFOLLOW
    | libc::O_DSYNC
    | libc::O_SYNC
    | libc::O_DIRECT
    | libc::O_NOATIME
    | O_LARGEFILE
    | libc::O_CLOEXEC
    | libc::O_NOCTTY;

/// Checks `flags` for open/create and whether they may write.
fn check_flags(flags: u32) -> Result<(i32, bool), Errno> {
    let flags = flags as i32;
    if flags & !OPEN_FLAGS != 0 || flags & libc::O_ACCMODE == libc::O_ACCMODE {
        return Err(Errno::EINVAL);
    }
    let writes = flags & libc::O_ACCMODE != libc::O_RDONLY || flags & libc::O_TRUNC != 0;
    Ok((flags & !O_LARGEFILE, writes))
}

/// Opens `node` itself with `flags`.
///
/// A directory reopens through its own handle (`"."`). Any other node reopens
/// by name from the directory it was reached through, and the result must be
/// the same inode (else `ESTALE`: it was replaced behind the server's back).
/// Symlinks are `ELOOP` (never followed), sockets `ENXIO`, device nodes
/// `EACCES` (as on a `nodev` mount: a container image's device nodes are not
/// the host's to hand out).
pub(super) fn reopen(node: &Node, flags: i32) -> Result<OwnedFd, Errno> {
    match node.kind {
        libc::S_IFDIR => confine::open_dir(node.fd(), flags),
        libc::S_IFLNK => Err(Errno::ELOOP),
        libc::S_IFSOCK => Err(Errno::ENXIO),
        libc::S_IFCHR | libc::S_IFBLK => Err(Errno::EACCES),
        _ => {
            let link = node.link.as_ref().ok_or(ESTALE)?;
            let fd = confine::open_in(link.dir.as_fd(), &link.name, flags, 0)?;
            let st = sys::fstat(fd.as_fd())?;
            if (st.st_dev, st.st_ino) != node.id {
                return Err(ESTALE);
            }
            Ok(fd)
        }
    }
}

impl Server {
    pub(super) fn open(&self, fid: Fid, flags: u32) -> Result<OwnedFd, Errno> {
        let node = self.nodes.get(fid)?;
        let (flags, writes) = check_flags(flags)?;
        if writes {
            self.writable()?;
        }
        reopen(node, flags)
    }

    /// Creates and opens a regular file (`O_CREAT | O_EXCL`).
    pub(super) fn create(
        &mut self,
        dir: Fid,
        name: &[u8],
        flags: u32,
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<(Fid, Attr, OwnedFd), Errno> {
        let name = confine::component(name)?;
        let (flags, _) = check_flags(flags)?;
        if flags & libc::O_DIRECTORY != 0 || !matches!(mode & libc::S_IFMT, 0 | libc::S_IFREG) {
            return Err(Errno::EINVAL);
        }
        let dir_node = self.dir(dir)?;
        self.writable()?;
        let perm = mode & 0o7777;
        let fd = confine::open_in(
            dir_node.fd(),
            &name,
            flags | libc::O_CREAT | libc::O_EXCL,
            perm,
        )?;
        let made = sys::fstat(fd.as_fd())?;
        let (fid, attr) =
            self.adopt(dir, &name, Some((made.st_dev, made.st_ino)), perm, uid, gid)?;
        Ok((fid, attr, fd))
    }

    pub(super) fn fsync(&self, fid: Fid) -> Result<Response, Errno> {
        let node = self.nodes.get(fid)?;
        if !matches!(node.kind, libc::S_IFREG | libc::S_IFDIR) {
            return Err(Errno::EINVAL);
        }
        let fd = reopen(node, libc::O_RDONLY)?;
        sys::fsync(fd.as_fd())?;
        Ok(Response::Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        assert_eq!(
            check_flags(libc::O_RDONLY as u32),
            Ok((libc::O_RDONLY, false))
        );
        assert_eq!(check_flags(libc::O_RDWR as u32).map(|f| f.1), Ok(true));
        assert_eq!(check_flags(libc::O_WRONLY as u32).map(|f| f.1), Ok(true));
        assert_eq!(check_flags(libc::O_TRUNC as u32).map(|f| f.1), Ok(true));
        assert_eq!(
            check_flags((libc::O_RDONLY | O_LARGEFILE | libc::O_CLOEXEC) as u32),
            Ok((libc::O_CLOEXEC, false))
        );
        for bad in [
            libc::O_CREAT,
            libc::O_EXCL,
            libc::O_TMPFILE,
            libc::O_PATH,
            libc::O_ASYNC,
            3,
        ] {
            assert_eq!(check_flags(bad as u32), Err(Errno::EINVAL), "{bad:#o}");
        }
    }
}
