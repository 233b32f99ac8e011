//! The encoding of protocol fields: little-endian integers, byte strings
//! prefixed with their `u32` length, one-byte tags for options and enums.

use crate::error::DecodeError;
use crate::types::{Attr, Dirent, Fid, SetAttr, StatFs, TimeSet, Timespec};

/// A value that has a wire encoding.
pub(crate) trait Wire: Sized {
    fn put(&self, out: &mut Vec<u8>);
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
}

/// Reads fields from the front of a message.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(msg: &'a [u8]) -> Self {
        Reader { rest: msg }
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    /// Fails unless the whole message was consumed.
    pub fn finish(self) -> Result<(), DecodeError> {
        match self.rest.len() {
            0 => Ok(()),
            n => Err(DecodeError::TrailingBytes(n)),
        }
    }
}

macro_rules! int_wire {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn put(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                Ok(<$t>::from_le_bytes(r.array()?))
            }
        }
    )*};
}
int_wire!(u8, u16, u32, u64, i32, i64);

impl Wire for Vec<u8> {
    fn put(&self, out: &mut Vec<u8>) {
        put_bytes(out, self);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let len = u32::get(r)? as usize;
        Ok(r.bytes(len)?.to_vec())
    }
}

/// Puts a length-prefixed byte string.
pub(crate) fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    // Messages are far below 4 GiB (MAX_MESSAGE), so the length always fits.
    (b.len() as u32).put(out);
    out.extend_from_slice(b);
}

impl<T: Wire> Wire for Option<T> {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            None => 0u8.put(out),
            Some(v) => {
                1u8.put(out);
                v.put(out);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match u8::get(r)? {
            0 => Ok(None),
            1 => Ok(Some(T::get(r)?)),
            _ => Err(DecodeError::Invalid("option tag")),
        }
    }
}

impl Wire for Fid {
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Fid(u64::get(r)?))
    }
}

impl Wire for abi::Errno {
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(abi::Errno(u16::get(r)?))
    }
}

impl Wire for Timespec {
    fn put(&self, out: &mut Vec<u8>) {
        self.sec.put(out);
        self.nsec.put(out);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Timespec {
            sec: i64::get(r)?,
            nsec: u32::get(r)?,
        })
    }
}

impl Wire for Attr {
    fn put(&self, out: &mut Vec<u8>) {
        self.ino.put(out);
        self.dev.put(out);
        self.mode.put(out);
        self.nlink.put(out);
        self.uid.put(out);
        self.gid.put(out);
        self.rdev.put(out);
        self.size.put(out);
        self.blksize.put(out);
        self.blocks.put(out);
        self.atime.put(out);
        self.mtime.put(out);
        self.ctime.put(out);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Attr {
            ino: Wire::get(r)?,
            dev: Wire::get(r)?,
            mode: Wire::get(r)?,
            nlink: Wire::get(r)?,
            uid: Wire::get(r)?,
            gid: Wire::get(r)?,
            rdev: Wire::get(r)?,
            size: Wire::get(r)?,
            blksize: Wire::get(r)?,
            blocks: Wire::get(r)?,
            atime: Wire::get(r)?,
            mtime: Wire::get(r)?,
            ctime: Wire::get(r)?,
        })
    }
}

impl Wire for TimeSet {
    fn put(&self, out: &mut Vec<u8>) {
        match *self {
            TimeSet::Omit => 0u8.put(out),
            TimeSet::Now => 1u8.put(out),
            TimeSet::At { sec, nsec } => {
                2u8.put(out);
                sec.put(out);
                nsec.put(out);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match u8::get(r)? {
            0 => Ok(TimeSet::Omit),
            1 => Ok(TimeSet::Now),
            2 => Ok(TimeSet::At {
                sec: Wire::get(r)?,
                nsec: Wire::get(r)?,
            }),
            _ => Err(DecodeError::Invalid("time tag")),
        }
    }
}

impl Wire for SetAttr {
    fn put(&self, out: &mut Vec<u8>) {
        self.mode.put(out);
        self.uid.put(out);
        self.gid.put(out);
        self.size.put(out);
        self.atime.put(out);
        self.mtime.put(out);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SetAttr {
            mode: Wire::get(r)?,
            uid: Wire::get(r)?,
            gid: Wire::get(r)?,
            size: Wire::get(r)?,
            atime: Wire::get(r)?,
            mtime: Wire::get(r)?,
        })
    }
}

impl Wire for Dirent {
    fn put(&self, out: &mut Vec<u8>) {
        self.ino.put(out);
        self.next_offset.put(out);
        self.kind.put(out);
        put_bytes(out, &self.name);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Dirent {
            ino: Wire::get(r)?,
            next_offset: Wire::get(r)?,
            kind: Wire::get(r)?,
            name: Wire::get(r)?,
        })
    }
}

impl Dirent {
    /// Bytes the entry takes in a message.
    pub(crate) fn wire_len(&self) -> usize {
        8 + 8 + 1 + 4 + self.name.len()
    }
}

impl Wire for StatFs {
    fn put(&self, out: &mut Vec<u8>) {
        self.fs_type.put(out);
        self.bsize.put(out);
        self.blocks.put(out);
        self.bfree.put(out);
        self.bavail.put(out);
        self.files.put(out);
        self.ffree.put(out);
        self.fsid[0].put(out);
        self.fsid[1].put(out);
        self.namelen.put(out);
        self.frsize.put(out);
        self.flags.put(out);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(StatFs {
            fs_type: Wire::get(r)?,
            bsize: Wire::get(r)?,
            blocks: Wire::get(r)?,
            bfree: Wire::get(r)?,
            bavail: Wire::get(r)?,
            files: Wire::get(r)?,
            ffree: Wire::get(r)?,
            fsid: [Wire::get(r)?, Wire::get(r)?],
            namelen: Wire::get(r)?,
            frsize: Wire::get(r)?,
            flags: Wire::get(r)?,
        })
    }
}

/// Lists: a `u32` count, then the elements.
macro_rules! list_wire {
    ($($t:ty),*) => {$(
        impl Wire for Vec<$t> {
            fn put(&self, out: &mut Vec<u8>) {
                (self.len() as u32).put(out);
                for v in self {
                    v.put(out);
                }
            }
            fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                let n = u32::get(r)? as usize;
                // Each element takes at least one byte: a count beyond the
                // message is a lie (and must not size an allocation).
                if n > r.rest.len() {
                    return Err(DecodeError::Truncated);
                }
                (0..n).map(|_| <$t>::get(r)).collect()
            }
        }
    )*};
}
list_wire!(Dirent, Vec<u8>);
