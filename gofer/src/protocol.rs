//! The gofer protocol: one request, one response, each a single `SOCK_SEQPACKET`
//! message.
//!
//! A message is a one-byte kind followed by its fields in declaration order,
//! encoded as the `wire` module says (little-endian integers, `u32`-length-prefixed
//! byte strings, one-byte option/enum tags). A response that hands over a host
//! file descriptor (`Opened`, `Created`) carries exactly one descriptor in an
//! `SCM_RIGHTS` control message. Errors travel as Linux errno values.

use abi::Errno;

use crate::error::DecodeError;
use crate::types::{Attr, Dirent, Fid, SetAttr, StatFs};
use crate::wire::{Reader, Wire};

/// The largest message either side sends (below the default unix socket send
/// buffer, which bounds a `SOCK_SEQPACKET` message). Leaves room for a 64 KiB
/// xattr value or list plus framing.
pub const MAX_MESSAGE: usize = 144 * 1024;

/// Bytes a `Dirents` response takes before its entries.
pub(crate) const DIRENTS_HEADER: usize = 1 + 4;

/// Declares a message enum with its one-byte kinds, and its encoding and
/// decoding from that single list (so the two cannot disagree).
macro_rules! messages {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $kind:literal => $variant:ident $({ $($field:ident: $ty:ty),* $(,)? })?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $( $(#[$vmeta])* $variant $({ $($field: $ty),* })? ),*
        }

        impl $name {
            pub fn encode(&self) -> Vec<u8> {
                let mut out = Vec::new();
                match self {
                    $(
                        $name::$variant $({ $($field),* })? => {
                            let kind: u8 = $kind;
                            kind.put(&mut out);
                            $($( $field.put(&mut out); )*)?
                        }
                    )*
                }
                out
            }

            pub fn decode(msg: &[u8]) -> Result<$name, DecodeError> {
                let mut r = Reader::new(msg);
                let message = match u8::get(&mut r)? {
                    // Struct fields are evaluated in the order written: wire order.
                    $( $kind => $name::$variant $({ $($field: Wire::get(&mut r)?),* })?, )*
                    k => return Err(DecodeError::UnknownKind(k)),
                };
                r.finish()?;
                Ok(message)
            }
        }
    };
}

messages! {
    /// What the sentry asks of the gofer. Names are single path components.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum Request {
        1 => Attach,
        2 => Walk { dir: Fid, name: Vec<u8> },
        3 => Stat { fid: Fid },
        4 => Open { fid: Fid, flags: u32 },
        5 => Create { dir: Fid, name: Vec<u8>, flags: u32, mode: u32, uid: u32, gid: u32 },
        6 => Mkdir { dir: Fid, name: Vec<u8>, mode: u32, uid: u32, gid: u32 },
        7 => Mknod { dir: Fid, name: Vec<u8>, mode: u32, uid: u32, gid: u32 },
        8 => Symlink { dir: Fid, name: Vec<u8>, target: Vec<u8>, uid: u32, gid: u32 },
        9 => Link { dir: Fid, name: Vec<u8>, target: Fid },
        10 => Readlink { fid: Fid },
        11 => Unlink { dir: Fid, name: Vec<u8>, flags: u32 },
        12 => Rename { old_dir: Fid, old_name: Vec<u8>, new_dir: Fid, new_name: Vec<u8>, flags: u32 },
        13 => SetAttr { fid: Fid, attr: SetAttr },
        14 => Readdir { dir: Fid, offset: u64, max_entries: u32 },
        15 => StatFs { fid: Fid },
        16 => Fsync { fid: Fid },
        17 => GetXattr { fid: Fid, name: Vec<u8> },
        18 => SetXattr { fid: Fid, name: Vec<u8>, value: Vec<u8>, flags: u32 },
        19 => ListXattr { fid: Fid },
        20 => RemoveXattr { fid: Fid, name: Vec<u8> },
        21 => Close { fid: Fid },
    }
}

messages! {
    /// What the gofer answers.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum Response {
        0 => Error { errno: Errno },
        1 => Ok,
        /// A new node handle (attach, walk, mkdir, mknod, symlink, link).
        2 => Node { fid: Fid, attr: Attr },
        3 => Attr { attr: Attr },
        /// The opened descriptor rides along in `SCM_RIGHTS`.
        4 => Opened,
        /// A new node handle; its opened descriptor rides along in `SCM_RIGHTS`.
        5 => Created { fid: Fid, attr: Attr },
        /// Readlink target, xattr value.
        6 => Bytes { data: Vec<u8> },
        7 => Dirents { entries: Vec<Dirent> },
        8 => StatFs { statfs: StatFs },
        /// Xattr names.
        9 => Names { names: Vec<Vec<u8>> },
    }
}

impl Response {
    /// Whether this response carries a descriptor.
    pub fn has_fd(&self) -> bool {
        matches!(self, Response::Opened | Response::Created { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{TimeSet, Timespec};

    fn attr() -> Attr {
        Attr {
            ino: 1,
            dev: 2,
            mode: libc::S_IFREG | 0o644,
            nlink: 3,
            uid: 4,
            gid: 5,
            rdev: 6,
            size: u64::MAX,
            blksize: 4096,
            blocks: 8,
            atime: Timespec {
                sec: -1,
                nsec: 999_999_999,
            },
            mtime: Timespec {
                sec: i64::MAX,
                nsec: 0,
            },
            ctime: Timespec { sec: 0, nsec: 1 },
        }
    }

    fn requests() -> Vec<Request> {
        let n = |s: &str| s.as_bytes().to_vec();
        let (d, f) = (Fid(1), Fid(u64::MAX));
        vec![
            Request::Attach,
            Request::Walk {
                dir: d,
                name: n("a"),
            },
            Request::Stat { fid: f },
            Request::Open { fid: f, flags: 0o2 },
            Request::Create {
                dir: d,
                name: n("c"),
                flags: 1,
                mode: 0o644,
                uid: 7,
                gid: 8,
            },
            Request::Mkdir {
                dir: d,
                name: n("m"),
                mode: 0o755,
                uid: 0,
                gid: u32::MAX,
            },
            Request::Mknod {
                dir: d,
                name: n("p"),
                mode: libc::S_IFIFO,
                uid: 1,
                gid: 2,
            },
            Request::Symlink {
                dir: d,
                name: n("s"),
                target: n("../t"),
                uid: 3,
                gid: 4,
            },
            Request::Link {
                dir: d,
                name: n("l"),
                target: f,
            },
            Request::Readlink { fid: f },
            Request::Unlink {
                dir: d,
                name: n("u"),
                flags: libc::AT_REMOVEDIR as u32,
            },
            Request::Rename {
                old_dir: d,
                old_name: n("o"),
                new_dir: f,
                new_name: n(""),
                flags: 2,
            },
            Request::SetAttr {
                fid: f,
                attr: SetAttr::default(),
            },
            Request::SetAttr {
                fid: f,
                attr: SetAttr {
                    mode: Some(0o7777),
                    uid: Some(0),
                    gid: Some(1),
                    size: Some(1 << 40),
                    atime: TimeSet::Now,
                    mtime: TimeSet::At { sec: -5, nsec: 6 },
                },
            },
            Request::Readdir {
                dir: d,
                offset: u64::MAX - 1,
                max_entries: 64,
            },
            Request::StatFs { fid: f },
            Request::Fsync { fid: f },
            Request::GetXattr {
                fid: f,
                name: n("user.x"),
            },
            Request::SetXattr {
                fid: f,
                name: n("user.x"),
                value: vec![0, 255, 0],
                flags: 1,
            },
            Request::ListXattr { fid: f },
            Request::RemoveXattr {
                fid: f,
                name: n("user.x"),
            },
            Request::Close { fid: f },
        ]
    }

    fn responses() -> Vec<Response> {
        vec![
            Response::Error {
                errno: Errno::ENOENT,
            },
            Response::Ok,
            Response::Node {
                fid: Fid(9),
                attr: attr(),
            },
            Response::Attr { attr: attr() },
            Response::Opened,
            Response::Created {
                fid: Fid(10),
                attr: attr(),
            },
            Response::Bytes {
                data: vec![1, 2, 3],
            },
            Response::Bytes { data: Vec::new() },
            Response::Dirents {
                entries: vec![
                    Dirent {
                        ino: 1,
                        next_offset: 2,
                        kind: libc::DT_DIR,
                        name: b"x".to_vec(),
                    },
                    Dirent {
                        ino: 3,
                        next_offset: u64::MAX,
                        kind: libc::DT_REG,
                        name: b"\xff".to_vec(),
                    },
                ],
            },
            Response::Dirents {
                entries: Vec::new(),
            },
            Response::StatFs {
                statfs: StatFs {
                    fsid: [-1, 7],
                    namelen: 255,
                    ..Default::default()
                },
            },
            Response::Names {
                names: vec![b"user.a".to_vec(), b"user.b".to_vec()],
            },
        ]
    }

    #[test]
    fn every_message_round_trips() {
        for r in requests() {
            assert_eq!(Request::decode(&r.encode()), Ok(r.clone()), "{r:?}");
        }
        for r in responses() {
            assert_eq!(Response::decode(&r.encode()), Ok(r.clone()), "{r:?}");
        }
    }

    #[test]
    fn every_prefix_of_a_message_is_truncated() {
        for r in requests() {
            let m = r.encode();
            for len in 0..m.len() {
                assert_eq!(
                    Request::decode(&m[..len]),
                    Err(DecodeError::Truncated),
                    "{r:?} {len}"
                );
            }
        }
        for r in responses() {
            let m = r.encode();
            for len in 0..m.len() {
                assert_eq!(
                    Response::decode(&m[..len]),
                    Err(DecodeError::Truncated),
                    "{r:?} {len}"
                );
            }
        }
    }

    #[test]
    fn malformed_messages() {
        let mut m = Request::Stat { fid: Fid(1) }.encode();
        m.push(0);
        assert_eq!(Request::decode(&m), Err(DecodeError::TrailingBytes(1)));
        assert_eq!(Request::decode(&[0]), Err(DecodeError::UnknownKind(0)));
        assert_eq!(Request::decode(&[200]), Err(DecodeError::UnknownKind(200)));
        assert_eq!(Response::decode(&[10]), Err(DecodeError::UnknownKind(10)));
        // An option tag other than 0/1, a time tag other than 0..=2.
        let mut m = Request::SetAttr {
            fid: Fid(1),
            attr: SetAttr::default(),
        }
        .encode();
        m[9] = 2;
        assert_eq!(Request::decode(&m), Err(DecodeError::Invalid("option tag")));
        let mut m = Request::SetAttr {
            fid: Fid(1),
            attr: SetAttr::default(),
        }
        .encode();
        let last = m.len() - 1;
        m[last] = 3;
        assert_eq!(Request::decode(&m), Err(DecodeError::Invalid("time tag")));
        // A byte string or list longer than what follows.
        let mut m = vec![2];
        m.extend_from_slice(&1u64.to_le_bytes());
        m.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Request::decode(&m), Err(DecodeError::Truncated));
        let mut m = vec![7];
        m.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Response::decode(&m), Err(DecodeError::Truncated));
    }

    #[test]
    fn encoding_is_little_endian_and_length_prefixed() {
        let m = Request::Walk {
            dir: Fid(0x0102),
            name: b"ab".to_vec(),
        }
        .encode();
        assert_eq!(m, [2, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, b'a', b'b']);
        assert_eq!(
            Response::Error {
                errno: Errno(0x1234)
            }
            .encode(),
            [0, 0x34, 0x12]
        );
    }

    /// The largest replies and requests the gofer makes fit one message.
    #[test]
    fn largest_messages_fit() {
        let value = vec![0u8; crate::sys::XATTR_SIZE_MAX];
        assert!(
            Response::Bytes {
                data: value.clone()
            }
            .encode()
            .len()
                <= MAX_MESSAGE
        );
        let req = Request::SetXattr {
            fid: Fid(1),
            name: vec![b'u'; 255],
            value,
            flags: 0,
        };
        assert!(req.encode().len() <= MAX_MESSAGE);
        // A full listxattr buffer of the shortest user.* names ("user.x\0").
        let names = vec![b"user.x".to_vec(); crate::sys::XATTR_SIZE_MAX / 7];
        assert!(Response::Names { names }.encode().len() <= MAX_MESSAGE);
    }
}
