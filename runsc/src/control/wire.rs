//! Messages on the control socket: JSON in one SOCK_SEQPACKET message each,
//! with descriptors riding along as SCM_RIGHTS.

use std::io::IoSlice;
use std::io::IoSliceMut;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

use anyhow::{Context, bail};
use nix::sys::socket::{
    AddressFamily, Backlog, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag, SockType,
    UnixAddr, bind, connect, listen, recvmsg, sendmsg, socket,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The largest message (an exec request with a large environment fits).
const MAX_MESSAGE: usize = 1 << 20;
/// Descriptors one message may carry.
const MAX_FDS: usize = 4;

fn seqpacket() -> anyhow::Result<OwnedFd> {
    socket(
        AddressFamily::Unix,
        SockType::SeqPacket,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .context("socket")
}

/// `path` as a socket address. Paths too long for `sockaddr_un` (Docker's
/// state roots are) go through the directory's descriptor in /proc/self/fd;
/// the returned descriptor must stay open while the address is used.
fn address(path: &Path) -> anyhow::Result<(UnixAddr, Option<OwnedFd>)> {
    if path.as_os_str().len() < 100 {
        return Ok((UnixAddr::new(path)?, None));
    }
    let dir = path.parent().context("socket path without a directory")?;
    let name = path.file_name().context("socket path without a name")?;
    let dirfd: OwnedFd = std::fs::File::open(dir)
        .with_context(|| format!("opening {}", dir.display()))?
        .into();
    let short = Path::new("/proc/self/fd")
        .join(dirfd.as_raw_fd().to_string())
        .join(name);
    Ok((UnixAddr::new(&short)?, Some(dirfd)))
}

/// A socket listening at `path`, reachable by its owner only.
pub fn listen_at(path: &Path) -> anyhow::Result<OwnedFd> {
    let sock = seqpacket()?;
    let (addr, _dir) = address(path)?;
    let _ = std::fs::remove_file(path);
    bind(sock.as_raw_fd(), &addr).with_context(|| format!("binding {}", path.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    listen(&sock, Backlog::new(64)?).context("listen")?;
    Ok(sock)
}

pub fn connect_to(path: &Path) -> anyhow::Result<OwnedFd> {
    let sock = seqpacket()?;
    let (addr, _dir) = address(path)?;
    connect(sock.as_raw_fd(), &addr)
        .with_context(|| format!("connecting to the sandbox at {}", path.display()))?;
    Ok(sock)
}

/// Sends `msg` with `fds`.
pub fn send<T: Serialize>(sock: &impl AsRawFd, msg: &T, fds: &[RawFd]) -> anyhow::Result<()> {
    let bytes = serde_json::to_vec(msg)?;
    if bytes.len() > MAX_MESSAGE {
        bail!("control message too large ({} bytes)", bytes.len());
    }
    send_raw(sock, &bytes, fds)
}

/// Sends `bytes` with `fds` in one message (also on stream sockets, such as
/// a console socket).
pub fn send_raw(sock: &impl AsRawFd, bytes: &[u8], fds: &[RawFd]) -> anyhow::Result<()> {
    let iov = [IoSlice::new(bytes)];
    let rights = [ControlMessage::ScmRights(fds)];
    let cmsgs: &[ControlMessage] = if fds.is_empty() { &[] } else { &rights };
    sendmsg::<()>(sock.as_raw_fd(), &iov, cmsgs, MsgFlags::MSG_NOSIGNAL, None)
        .context("sending on the control socket")?;
    Ok(())
}

/// Receives one message and the descriptors that came with it; `None` when
/// the peer has closed.
pub fn recv<T: DeserializeOwned>(sock: &impl AsRawFd) -> anyhow::Result<Option<(T, Vec<OwnedFd>)>> {
    let mut buf = vec![0u8; MAX_MESSAGE];
    let mut cmsg = nix::cmsg_space!([RawFd; MAX_FDS]);
    let (len, fds, truncated) = {
        let mut iov = [IoSliceMut::new(&mut buf)];
        let msg = recvmsg::<()>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_CMSG_CLOEXEC,
        )
        .context("reading the control socket")?;
        let mut fds = Vec::new();
        for c in msg.cmsgs()? {
            if let ControlMessageOwned::ScmRights(received) = c {
                for fd in received {
                    // SAFETY: the kernel just installed `fd` in this process for
                    // us (SCM_RIGHTS); nothing else refers to it.
                    fds.push(unsafe { OwnedFd::from_raw_fd(fd) });
                }
            }
        }
        let truncated = msg
            .flags
            .intersects(MsgFlags::MSG_TRUNC | MsgFlags::MSG_CTRUNC);
        (msg.bytes, fds, truncated)
    };
    if truncated {
        bail!("control message truncated");
    }
    if len == 0 {
        return Ok(None);
    }
    let msg = serde_json::from_slice(&buf[..len]).context("parsing a control message")?;
    Ok(Some((msg, fds)))
}
