//! The sentry's side of the protocol.

use std::os::fd::{AsFd, OwnedFd};

use abi::Errno;
use parking_lot::Mutex;

use crate::protocol::{MAX_MESSAGE, Request, Response};
use crate::scm;
use crate::sys::XATTR_SIZE_MAX;
use crate::types::{Attr, Dirent, Fid, SetAttr, StatFs};

/// A connection to a gofer. One request is in flight at a time; callers on
/// several threads queue on the mutex.
///
/// Every method returns the errno the gofer (that is, the host) gave. A broken
/// connection or a reply that makes no sense is `EIO`, as a failing disk would be.
pub struct Client {
    conn: Mutex<Conn>,
}

struct Conn {
    sock: OwnedFd,
    buf: Vec<u8>,
}

impl Client {
    /// A client on `conn`, a connected `SOCK_SEQPACKET` unix socket.
    pub fn new(conn: OwnedFd) -> Client {
        Client {
            conn: Mutex::new(Conn {
                sock: conn,
                buf: vec![0; MAX_MESSAGE],
            }),
        }
    }

    /// Sends `req` and waits for its response (with its descriptor, if any).
    fn call(&self, req: &Request) -> Result<(Response, Option<OwnedFd>), Errno> {
        let msg = req.encode();
        if msg.len() > MAX_MESSAGE {
            // Only names and symlink targets can grow this large (values are
            // checked by `setxattr`).
            return Err(Errno::ENAMETOOLONG);
        }
        let mut guard = self.conn.lock();
        let conn = &mut *guard;
        scm::send(conn.sock.as_fd(), &msg, None).map_err(broken)?;
        let got = scm::recv(conn.sock.as_fd(), &mut conn.buf, true).map_err(broken)?;
        if got.len == 0 || got.truncated {
            tracing::warn!("gofer client: connection closed or reply truncated");
            return Err(Errno::EIO);
        }
        let resp = Response::decode(&conn.buf[..got.len]).map_err(|e| {
            tracing::warn!("gofer client: malformed reply: {e}");
            Errno::EIO
        })?;
        match resp {
            Response::Error { errno: e } => Err(e),
            r if r.has_fd() != got.fd.is_some() => {
                tracing::warn!("gofer client: reply {r:?} with wrong descriptor count");
                Err(Errno::EIO)
            }
            r => Ok((r, got.fd)),
        }
    }

    /// A call whose reply carries no descriptor.
    fn plain(&self, req: Request) -> Result<Response, Errno> {
        self.call(&req).map(|(r, _)| r)
    }

    fn node(&self, req: Request) -> Result<(Fid, Attr), Errno> {
        match self.plain(req)? {
            Response::Node { fid, attr } => Ok((fid, attr)),
            r => Err(unexpected(r)),
        }
    }

    fn ok(&self, req: Request) -> Result<(), Errno> {
        match self.plain(req)? {
            Response::Ok => Ok(()),
            r => Err(unexpected(r)),
        }
    }

    fn bytes(&self, req: Request) -> Result<Vec<u8>, Errno> {
        match self.plain(req)? {
            Response::Bytes { data: b } => Ok(b),
            r => Err(unexpected(r)),
        }
    }

    /// A handle to the mount root.
    pub fn attach(&self) -> Result<(Fid, Attr), Errno> {
        self.node(Request::Attach)
    }

    /// Looks up one component `name` in directory `dir`. A symlink is not
    /// followed: its own node comes back. `name` must be a single component:
    /// empty is `ENOENT`; `.`, `..`, or a name holding `/` or NUL is `EINVAL`.
    pub fn walk(&self, dir: Fid, name: impl AsRef<[u8]>) -> Result<(Fid, Attr), Errno> {
        self.node(Request::Walk {
            dir,
            name: name.as_ref().to_vec(),
        })
    }

    pub fn stat(&self, fid: Fid) -> Result<Attr, Errno> {
        match self.plain(Request::Stat { fid })? {
            Response::Attr { attr: a } => Ok(a),
            r => Err(unexpected(r)),
        }
    }

    /// A host descriptor of the node opened with `flags` (access mode,
    /// `O_TRUNC`, `O_APPEND`, `O_DIRECTORY`, `O_NONBLOCK`, `O_DSYNC`, `O_SYNC`,
    /// `O_DIRECT`, `O_NOATIME`; `O_CREAT`, `O_EXCL`, `O_TMPFILE`, `O_PATH` are
    /// `EINVAL`). Always close-on-exec and non-blocking. A symlink is `ELOOP`,
    /// a socket `ENXIO`, a device node `EACCES`; a FIFO opened for writing with
    /// no reader is `ENXIO` (the sentry waits for a reader itself).
    pub fn open(&self, fid: Fid, flags: u32) -> Result<OwnedFd, Errno> {
        match self.call(&Request::Open { fid, flags })? {
            (Response::Opened, Some(fd)) => Ok(fd),
            (r, _) => Err(unexpected(r)),
        }
    }

    /// Creates the regular file `name` in `dir` (`O_CREAT | O_EXCL`: `EEXIST`
    /// if anything is there, symlinks included) with permissions `mode`, owned
    /// by `uid`:`gid`, and opens it with `flags` (as [`Client::open`]).
    pub fn create(
        &self,
        dir: Fid,
        name: impl AsRef<[u8]>,
        flags: u32,
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<(Fid, Attr, OwnedFd), Errno> {
        let req = Request::Create {
            dir,
            name: name.as_ref().to_vec(),
            flags,
            mode,
            uid,
            gid,
        };
        match self.call(&req)? {
            (Response::Created { fid, attr }, Some(fd)) => Ok((fid, attr, fd)),
            (r, _) => Err(unexpected(r)),
        }
    }

    pub fn mkdir(
        &self,
        dir: Fid,
        name: impl AsRef<[u8]>,
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<(Fid, Attr), Errno> {
        self.node(Request::Mkdir {
            dir,
            name: name.as_ref().to_vec(),
            mode,
            uid,
            gid,
        })
    }

    /// Makes a FIFO (`S_IFIFO`), socket (`S_IFSOCK`) or empty regular file
    /// (`S_IFREG` or no type); device nodes are `EPERM`.
    pub fn mknod(
        &self,
        dir: Fid,
        name: impl AsRef<[u8]>,
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<(Fid, Attr), Errno> {
        self.node(Request::Mknod {
            dir,
            name: name.as_ref().to_vec(),
            mode,
            uid,
            gid,
        })
    }

    pub fn symlink(
        &self,
        dir: Fid,
        name: impl AsRef<[u8]>,
        target: &[u8],
        uid: u32,
        gid: u32,
    ) -> Result<(Fid, Attr), Errno> {
        self.node(Request::Symlink {
            dir,
            name: name.as_ref().to_vec(),
            target: target.to_vec(),
            uid,
            gid,
        })
    }

    /// Makes `name` in `dir` a hard link of `target` (directories: `EPERM`).
    pub fn link(
        &self,
        dir: Fid,
        name: impl AsRef<[u8]>,
        target: Fid,
    ) -> Result<(Fid, Attr), Errno> {
        self.node(Request::Link {
            dir,
            name: name.as_ref().to_vec(),
            target,
        })
    }

    /// The target of a symlink (`EINVAL` for anything else).
    pub fn readlink(&self, fid: Fid) -> Result<Vec<u8>, Errno> {
        self.bytes(Request::Readlink { fid })
    }

    /// Removes `name` from `dir`; `flags` is 0 or `AT_REMOVEDIR`.
    pub fn unlink(&self, dir: Fid, name: impl AsRef<[u8]>, flags: u32) -> Result<(), Errno> {
        self.ok(Request::Unlink {
            dir,
            name: name.as_ref().to_vec(),
            flags,
        })
    }

    /// `renameat2` with `flags` 0, `RENAME_NOREPLACE` or `RENAME_EXCHANGE`.
    /// Handles of the moved nodes stay valid.
    pub fn rename(
        &self,
        old_dir: Fid,
        old_name: impl AsRef<[u8]>,
        new_dir: Fid,
        new_name: impl AsRef<[u8]>,
        flags: u32,
    ) -> Result<(), Errno> {
        self.ok(Request::Rename {
            old_dir,
            old_name: old_name.as_ref().to_vec(),
            new_dir,
            new_name: new_name.as_ref().to_vec(),
            flags,
        })
    }

    /// Changes owner, mode, size and times of the node itself (a symlink's
    /// mode is `EOPNOTSUPP`; size is for regular files only).
    pub fn setattr(&self, fid: Fid, attr: SetAttr) -> Result<(), Errno> {
        self.ok(Request::SetAttr { fid, attr })
    }

    /// Up to `max_entries` entries of `dir` from `offset` (0 to start, else a
    /// `next_offset` from an earlier call); fewer when they would not fit in one
    /// message, none at the end. Never `.` or `..`.
    pub fn readdir(&self, dir: Fid, offset: u64, max_entries: usize) -> Result<Vec<Dirent>, Errno> {
        let max_entries = u32::try_from(max_entries).unwrap_or(u32::MAX);
        match self.plain(Request::Readdir {
            dir,
            offset,
            max_entries,
        })? {
            Response::Dirents { entries: d } => Ok(d),
            r => Err(unexpected(r)),
        }
    }

    pub fn statfs(&self, fid: Fid) -> Result<StatFs, Errno> {
        match self.plain(Request::StatFs { fid })? {
            Response::StatFs { statfs: s } => Ok(s),
            r => Err(unexpected(r)),
        }
    }

    /// Flushes a regular file or directory to disk (`EINVAL` for others).
    pub fn fsync(&self, fid: Fid) -> Result<(), Errno> {
        self.ok(Request::Fsync { fid })
    }

    /// Only `user.` names are served; others are `EOPNOTSUPP`.
    pub fn getxattr(&self, fid: Fid, name: impl AsRef<[u8]>) -> Result<Vec<u8>, Errno> {
        self.bytes(Request::GetXattr {
            fid,
            name: name.as_ref().to_vec(),
        })
    }

    /// `flags`: 0, `XATTR_CREATE` or `XATTR_REPLACE`.
    pub fn setxattr(
        &self,
        fid: Fid,
        name: impl AsRef<[u8]>,
        value: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        if value.len() > XATTR_SIZE_MAX {
            return Err(Errno::E2BIG);
        }
        self.ok(Request::SetXattr {
            fid,
            name: name.as_ref().to_vec(),
            value: value.to_vec(),
            flags,
        })
    }

    /// The node's `user.` attribute names.
    pub fn listxattr(&self, fid: Fid) -> Result<Vec<Vec<u8>>, Errno> {
        match self.plain(Request::ListXattr { fid })? {
            Response::Names { names: n } => Ok(n),
            r => Err(unexpected(r)),
        }
    }

    pub fn removexattr(&self, fid: Fid, name: impl AsRef<[u8]>) -> Result<(), Errno> {
        self.ok(Request::RemoveXattr {
            fid,
            name: name.as_ref().to_vec(),
        })
    }

    /// Releases the handle.
    pub fn close(&self, fid: Fid) -> Result<(), Errno> {
        self.ok(Request::Close { fid })
    }
}

fn broken(e: std::io::Error) -> Errno {
    tracing::warn!("gofer client: connection failed: {e}");
    Errno::EIO
}

fn unexpected(r: Response) -> Errno {
    tracing::warn!("gofer client: unexpected reply {r:?}");
    Errno::EIO
}
