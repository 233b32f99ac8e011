//! Message transport over a `SOCK_SEQPACKET` unix socket, with at most one file
//! descriptor per message in an `SCM_RIGHTS` control message.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// Control buffer for one descriptor, aligned for `cmsghdr`.
#[repr(C, align(8))]
struct CmsgBuf([u8; 32]);

/// `CMSG_SPACE` for one descriptor.
fn cmsg_space() -> usize {
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(size_of::<RawFd>() as u32) } as usize;
    debug_assert!(space <= size_of::<CmsgBuf>());
    space
}

/// Sends `msg` as one message, with `fd` attached if given. Never raises SIGPIPE.
pub(crate) fn send(sock: BorrowedFd<'_>, msg: &[u8], fd: Option<BorrowedFd<'_>>) -> io::Result<()> {
    let mut iov = libc::iovec {
        iov_base: msg.as_ptr() as *mut libc::c_void,
        iov_len: msg.len(),
    };
    let mut cmsg = CmsgBuf([0; 32]);
    // SAFETY: an all-zero msghdr is valid (no name, no iovecs, no control).
    let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
    hdr.msg_iov = &mut iov;
    hdr.msg_iovlen = 1;
    if let Some(fd) = fd {
        hdr.msg_control = cmsg.0.as_mut_ptr().cast();
        hdr.msg_controllen = cmsg_space();
        // SAFETY: msg_control points at an aligned buffer of msg_controllen bytes,
        // large enough for one header and one descriptor (CMSG_SPACE of an int).
        unsafe {
            let c = libc::CMSG_FIRSTHDR(&hdr);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(size_of::<RawFd>() as u32) as usize;
            libc::CMSG_DATA(c)
                .cast::<RawFd>()
                .write_unaligned(fd.as_raw_fd());
        }
    }
    loop {
        // SAFETY: hdr points at the iovec and control buffer above, which live
        // across the call; the kernel only reads them.
        let n = unsafe { libc::sendmsg(sock.as_raw_fd(), &hdr, libc::MSG_NOSIGNAL) };
        if n >= 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// One received message.
pub(crate) struct Received {
    /// Bytes of the message in the buffer; 0 means the peer closed the socket.
    pub len: usize,
    /// The message was longer than the buffer (the rest is lost).
    pub truncated: bool,
    /// The descriptor that came with it, if `want_fd` and one did.
    pub fd: Option<OwnedFd>,
}

/// Receives one message into `buf`. With `want_fd` false no control buffer is
/// given, so the kernel discards any descriptor the peer attached.
pub(crate) fn recv(sock: BorrowedFd<'_>, buf: &mut [u8], want_fd: bool) -> io::Result<Received> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut cmsg = CmsgBuf([0; 32]);
    // SAFETY: an all-zero msghdr is valid (no name, no iovecs, no control).
    let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
    hdr.msg_iov = &mut iov;
    hdr.msg_iovlen = 1;
    if want_fd {
        hdr.msg_control = cmsg.0.as_mut_ptr().cast();
        hdr.msg_controllen = size_of::<CmsgBuf>();
    }
    let n = loop {
        // SAFETY: hdr points at `buf` and the control buffer, both writable for
        // the lengths given and alive across the call.
        let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut hdr, libc::MSG_CMSG_CLOEXEC) };
        if n >= 0 {
            break n as usize;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    };
    let mut fds = Vec::new();
    if want_fd {
        // SAFETY: the kernel filled msg_controllen bytes of the control buffer with
        // well-formed cmsghdrs; the CMSG_* macros stay inside that length.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&hdr);
            while !c.is_null() {
                if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                    let data = libc::CMSG_DATA(c);
                    let count = ((*c).cmsg_len - (data as usize - c as usize)) / size_of::<RawFd>();
                    for i in 0..count {
                        let raw = data.cast::<RawFd>().add(i).read_unaligned();
                        // Each descriptor the kernel installed is new and ours alone.
                        fds.push(OwnedFd::from_raw_fd(raw));
                    }
                }
                c = libc::CMSG_NXTHDR(&hdr, c);
            }
        }
    }
    // Only one descriptor per message is meant; extra ones close on drop.
    let fd = if fds.len() == 1 { fds.pop() } else { None };
    Ok(Received {
        len: n,
        truncated: hdr.msg_flags & (libc::MSG_TRUNC | libc::MSG_CTRUNC) != 0,
        fd,
    })
}

/// A connected pair of `SOCK_SEQPACKET` unix sockets (close-on-exec): one end
/// for the gofer, one for the sentry.
pub fn socket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is writable for the two descriptors socketpair returns.
    let ret = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: socketpair returned two new descriptors nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek, Write};
    use std::os::fd::AsFd;

    use super::*;
    use crate::protocol::MAX_MESSAGE;

    #[test]
    fn the_largest_message_passes_whole() {
        let (a, b) = socket_pair().unwrap();
        let msg: Vec<u8> = (0..MAX_MESSAGE).map(|i| i as u8).collect();
        send(a.as_fd(), &msg, None).unwrap();
        let mut buf = vec![0u8; MAX_MESSAGE];
        let got = recv(b.as_fd(), &mut buf, true).unwrap();
        assert_eq!(
            (got.len, got.truncated, got.fd.is_none()),
            (MAX_MESSAGE, false, true)
        );
        assert_eq!(buf, msg);
        // Longer than the buffer: reported as truncated.
        send(a.as_fd(), &msg, None).unwrap();
        let got = recv(b.as_fd(), &mut buf[..10], true).unwrap();
        assert!(got.truncated);
    }

    #[test]
    fn a_descriptor_travels_with_its_message() {
        let (a, b) = socket_pair().unwrap();
        let path = std::env::temp_dir().join(format!("gofer-scm-{}", std::process::id()));
        let mut file = std::fs::File::options()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        file.write_all(b"shared").unwrap();
        send(a.as_fd(), b"x", Some(file.as_fd())).unwrap();
        let mut buf = [0u8; 8];
        let got = recv(b.as_fd(), &mut buf, true).unwrap();
        assert_eq!((got.len, &buf[..1]), (1, &b"x"[..]));
        let mut copy = std::fs::File::from(got.fd.unwrap());
        copy.rewind().unwrap();
        let mut s = String::new();
        copy.read_to_string(&mut s).unwrap();
        assert_eq!(s, "shared");
        // Without a control buffer the descriptor is discarded and flagged.
        send(a.as_fd(), b"y", Some(file.as_fd())).unwrap();
        let got = recv(b.as_fd(), &mut buf, false).unwrap();
        assert!(got.truncated && got.fd.is_none());
        // A closed peer reads as an empty message.
        drop(a);
        assert_eq!(recv(b.as_fd(), &mut buf, true).unwrap().len, 0);
    }
}
