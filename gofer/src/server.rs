//! The gofer server: answers requests on one socket, holding a table of node
//! handles below the mount root.

mod attr;
mod lookup;
mod mutate;
mod open;
mod table;
mod xattr;

use std::ffi::CStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::rc::Rc;

use abi::Errno;

use crate::confine;
use crate::protocol::{MAX_MESSAGE, Request, Response};
use crate::scm;
use crate::sys;
use crate::types::{Attr, Fid};
use table::{Link, Node, Table};

/// Serves the directory `root` over `conn` (a `SOCK_SEQPACKET` unix socket)
/// until the peer closes it. With `readonly`, every change is refused with
/// `EROFS`.
///
/// Sets the process umask to 0: the sentry sends final modes. Makes only the
/// host calls [`crate::seccomp`] allows.
pub fn serve(root: File, readonly: bool, conn: OwnedFd) -> io::Result<()> {
    sys::clear_umask();
    let server = Server::new(root, readonly)?;
    serve_with(server, conn)
}

/// Serves the one regular file `name` of the directory `parent` (a bind mount of
/// a file): the mount root is the file itself, so no request can name another
/// entry of `parent`. `name` is looked up without following a symlink.
pub fn serve_file(parent: File, name: &CStr, readonly: bool, conn: OwnedFd) -> io::Result<()> {
    sys::clear_umask();
    let server = Server::new_file(parent, name, readonly)?;
    serve_with(server, conn)
}

fn serve_with(mut server: Server, conn: OwnedFd) -> io::Result<()> {
    let mut buf = vec![0u8; MAX_MESSAGE];
    loop {
        let got = match scm::recv(conn.as_fd(), &mut buf, false) {
            Ok(got) => got,
            Err(e) if e.raw_os_error() == Some(libc::ECONNRESET) => return Ok(()),
            Err(e) => return Err(e),
        };
        if got.len == 0 && !got.truncated {
            return Ok(());
        }
        let (resp, fd) = if got.truncated {
            // Too long, or it carried descriptors: no request of ours does either.
            tracing::warn!("gofer: refusing an oversized request or one with descriptors");
            invalid()
        } else {
            match Request::decode(&buf[..got.len]) {
                Ok(req) => server.handle(req),
                Err(e) => {
                    tracing::warn!("gofer: malformed request: {e}");
                    invalid()
                }
            }
        };
        match scm::send(conn.as_fd(), &resp.encode(), fd.as_ref().map(|f| f.as_fd())) {
            Ok(()) => {}
            Err(e) if matches!(e.raw_os_error(), Some(libc::EPIPE | libc::ECONNRESET)) => {
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
}

/// The node was replaced behind the server's back (not in `abi::Errno`'s list).
const ESTALE: Errno = Errno(libc::ESTALE as u16);

/// A reply: the response and the descriptor that goes with it.
type Reply = (Response, Option<OwnedFd>);

/// The reply to a request that is not one.
fn invalid() -> Reply {
    (
        Response::Error {
            errno: Errno::EINVAL,
        },
        None,
    )
}

struct Server {
    root: Rc<OwnedFd>,
    /// For a file root: its directory and name, used only to reopen the file
    /// (no directory node is ever handed out, so nothing else is reachable).
    root_link: Option<Link>,
    readonly: bool,
    nodes: Table,
}

impl Server {
    fn new(root: File, readonly: bool) -> io::Result<Server> {
        let root = Rc::new(OwnedFd::from(root));
        let st = sys::fstat(root.as_fd()).map_err(|e| io::Error::from_raw_os_error(e.0.into()))?;
        if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "gofer root is not a directory",
            ));
        }
        Ok(Server {
            root,
            root_link: None,
            readonly,
            nodes: Table::default(),
        })
    }

    fn new_file(parent: File, name: &CStr, readonly: bool) -> io::Result<Server> {
        let errno = |e: Errno| io::Error::from_raw_os_error(e.0.into());
        let name = confine::component(name.to_bytes()).map_err(errno)?;
        let parent = Node::new(OwnedFd::from(parent), None).map_err(errno)?.0;
        if !parent.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "gofer file root: the parent is not a directory",
            ));
        }
        let fd = confine::lookup(parent.fd(), &name).map_err(errno)?;
        let (root, _) = Node::new(fd, Some(parent.child_link(&name))).map_err(errno)?;
        if root.kind != libc::S_IFREG {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "gofer file root is not a regular file",
            ));
        }
        Ok(Server {
            root: root.fd,
            root_link: root.link,
            readonly,
            nodes: Table::default(),
        })
    }

    fn handle(&mut self, req: Request) -> Reply {
        let plain = |r: Result<Response, Errno>| r.map(|r| (r, None));
        let result = match req {
            Request::Attach => plain(self.attach()),
            Request::Walk { dir, name } => plain(self.walk(dir, &name)),
            Request::Stat { fid } => plain(
                self.nodes
                    .get(fid)
                    .and_then(Node::attr)
                    .map(|attr| Response::Attr { attr }),
            ),
            Request::Open { fid, flags } => {
                self.open(fid, flags).map(|fd| (Response::Opened, Some(fd)))
            }
            Request::Create {
                dir,
                name,
                flags,
                mode,
                uid,
                gid,
            } => self
                .create(dir, &name, flags, mode, uid, gid)
                .map(|(fid, attr, fd)| (Response::Created { fid, attr }, Some(fd))),
            Request::Mkdir {
                dir,
                name,
                mode,
                uid,
                gid,
            } => plain(self.mkdir(dir, &name, mode, uid, gid)),
            Request::Mknod {
                dir,
                name,
                mode,
                uid,
                gid,
            } => plain(self.mknod(dir, &name, mode, uid, gid)),
            Request::Symlink {
                dir,
                name,
                target,
                uid,
                gid,
            } => plain(self.symlink(dir, &name, &target, uid, gid)),
            Request::Link { dir, name, target } => plain(self.link(dir, &name, target)),
            Request::Readlink { fid } => plain(self.readlink(fid)),
            Request::Unlink { dir, name, flags } => plain(self.unlink(dir, &name, flags)),
            Request::Rename {
                old_dir,
                old_name,
                new_dir,
                new_name,
                flags,
            } => plain(self.rename(old_dir, &old_name, new_dir, &new_name, flags)),
            Request::SetAttr { fid, attr } => plain(self.setattr(fid, &attr)),
            Request::Readdir {
                dir,
                offset,
                max_entries,
            } => plain(self.readdir(dir, offset, max_entries)),
            Request::StatFs { fid } => plain(self.statfs(fid)),
            Request::Fsync { fid } => plain(self.fsync(fid)),
            Request::GetXattr { fid, name } => plain(self.getxattr(fid, &name)),
            Request::SetXattr {
                fid,
                name,
                value,
                flags,
            } => plain(self.setxattr(fid, &name, &value, flags)),
            Request::ListXattr { fid } => plain(self.listxattr(fid)),
            Request::RemoveXattr { fid, name } => plain(self.removexattr(fid, &name)),
            Request::Close { fid } => plain(self.nodes.remove(fid).map(|()| Response::Ok)),
        };
        result.unwrap_or_else(|e| (Response::Error { errno: e }, None))
    }

    /// `EROFS` when serving read-only.
    fn writable(&self) -> Result<(), Errno> {
        if self.readonly {
            Err(Errno::EROFS)
        } else {
            Ok(())
        }
    }

    /// The node of `fid`, which must be a directory.
    fn dir(&self, fid: Fid) -> Result<&Node, Errno> {
        let node = self.nodes.get(fid)?;
        if node.is_dir() {
            Ok(node)
        } else {
            Err(Errno::ENOTDIR)
        }
    }

    /// Hands out a handle for `node`.
    fn add(&mut self, node: Node, attr: Attr) -> Response {
        Response::Node {
            fid: self.nodes.insert(node),
            attr,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::TempDir;

    /// Garbage gets `EINVAL` and the server keeps serving; a hang-up ends it.
    #[test]
    fn malformed_requests_are_answered_and_survived() {
        let tmp = TempDir::new("malformed");
        let (server_end, client_end) = crate::socket_pair().unwrap();
        let root = File::open(tmp.path()).unwrap();
        let server = std::thread::spawn(move || serve(root, false, server_end));
        let mut buf = vec![0u8; MAX_MESSAGE];
        let mut ask = |msg: &[u8]| {
            scm::send(client_end.as_fd(), msg, None).unwrap();
            let got = scm::recv(client_end.as_fd(), &mut buf, true).unwrap();
            Response::decode(&buf[..got.len]).unwrap()
        };
        assert_eq!(
            ask(&[99]),
            Response::Error {
                errno: Errno::EINVAL
            }
        );
        assert_eq!(
            ask(&[3, 1]),
            Response::Error {
                errno: Errno::EINVAL
            }
        );
        assert!(matches!(
            ask(&Request::Attach.encode()),
            Response::Node { .. }
        ));
        // A request carrying a descriptor is refused, and the descriptor dropped.
        scm::send(
            client_end.as_fd(),
            &Request::Attach.encode(),
            Some(client_end.as_fd()),
        )
        .unwrap();
        let got = scm::recv(client_end.as_fd(), &mut buf, true).unwrap();
        assert_eq!(
            Response::decode(&buf[..got.len]).unwrap(),
            Response::Error {
                errno: Errno::EINVAL
            }
        );
        drop(client_end);
        server.join().unwrap().unwrap();
    }

    #[test]
    fn root_must_be_a_directory() {
        let tmp = TempDir::new("notdir");
        std::fs::write(tmp.path().join("f"), b"").unwrap();
        let (server_end, _client_end) = crate::socket_pair().unwrap();
        let file = File::open(tmp.path().join("f")).unwrap();
        let err = serve(file, false, server_end).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
