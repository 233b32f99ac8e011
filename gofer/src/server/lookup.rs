//! Finding and reading nodes: attach, walk, readlink, readdir, statfs.

use std::os::fd::AsFd;

use abi::Errno;

use super::Server;
use super::table::Node;
use crate::confine;
use crate::protocol::{DIRENTS_HEADER, MAX_MESSAGE, Response};
use crate::sys;
use crate::types::{Dirent, Fid, StatFs};

impl Server {
    pub(super) fn attach(&mut self) -> Result<Response, Errno> {
        let (node, attr) = Node::with_shared(self.root.clone(), self.root_link.clone())?;
        Ok(self.add(node, attr))
    }

    pub(super) fn walk(&mut self, dir: Fid, name: &[u8]) -> Result<Response, Errno> {
        let name = confine::component(name)?;
        let dir = self.dir(dir)?;
        let fd = confine::lookup(dir.fd(), &name)?;
        let (node, attr) = Node::new(fd, Some(dir.child_link(&name)))?;
        Ok(self.add(node, attr))
    }

    pub(super) fn readlink(&self, fid: Fid) -> Result<Response, Errno> {
        let node = self.nodes.get(fid)?;
        if node.kind != libc::S_IFLNK {
            return Err(Errno::EINVAL);
        }
        sys::readlink(node.fd()).map(|data| Response::Bytes { data })
    }

    /// Entries of `dir` from `offset` (0, or a `next_offset` returned before),
    /// as many as `max_entries` and one message allow.
    pub(super) fn readdir(
        &self,
        dir: Fid,
        offset: u64,
        max_entries: u32,
    ) -> Result<Response, Errno> {
        let dir = self.dir(dir)?;
        let fd = confine::open_dir(dir.fd(), libc::O_RDONLY)?;
        sys::lseek_set(fd.as_fd(), offset)?;
        let mut out = Vec::new();
        let mut room = MAX_MESSAGE - DIRENTS_HEADER;
        let mut buf = vec![0u8; 32 * 1024];
        'fill: while out.len() < max_entries as usize {
            let n = sys::getdents64(fd.as_fd(), &mut buf)?;
            if n == 0 {
                break;
            }
            for d in parse_dirents(&buf[..n]) {
                if d.name == b"." || d.name == b".." {
                    continue;
                }
                // Stopping mid-buffer is fine: the caller resumes at the last
                // entry's next_offset and the directory is read again from there.
                if out.len() == max_entries as usize || d.wire_len() > room {
                    break 'fill;
                }
                room -= d.wire_len();
                out.push(d);
            }
        }
        Ok(Response::Dirents { entries: out })
    }

    pub(super) fn statfs(&self, fid: Fid) -> Result<Response, Errno> {
        let st = sys::fstatfs(self.nodes.get(fid)?.fd())?;
        Ok(Response::StatFs {
            statfs: StatFs {
                fs_type: st.f_type as u64,
                bsize: st.f_bsize as u64,
                blocks: st.f_blocks,
                bfree: st.f_bfree,
                bavail: st.f_bavail,
                files: st.f_files,
                ffree: st.f_ffree,
                fsid: st.f_fsid,
                namelen: st.f_namelen as u64,
                frsize: st.f_frsize as u64,
                flags: st.f_flags as u64,
            },
        })
    }
}

/// Decodes `struct linux_dirent64` records: `u64 ino, i64 off, u16 reclen,
/// u8 type, name NUL-terminated`.
fn parse_dirents(mut buf: &[u8]) -> impl Iterator<Item = Dirent> + '_ {
    std::iter::from_fn(move || {
        if buf.len() < 19 {
            return None;
        }
        let reclen = u16::from_ne_bytes([buf[16], buf[17]]) as usize;
        if reclen < 19 || reclen > buf.len() {
            return None;
        }
        let (rec, rest) = buf.split_at(reclen);
        buf = rest;
        let name = &rec[19..];
        let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
        Some(Dirent {
            ino: u64::from_ne_bytes(rec[0..8].try_into().unwrap()),
            next_offset: u64::from_ne_bytes(rec[8..16].try_into().unwrap()),
            kind: rec[18],
            name: name.to_vec(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ino: u64, off: u64, kind: u8, name: &[u8]) -> Vec<u8> {
        let reclen = (19 + name.len() + 1).next_multiple_of(8);
        let mut r = Vec::new();
        r.extend_from_slice(&ino.to_ne_bytes());
        r.extend_from_slice(&off.to_ne_bytes());
        r.extend_from_slice(&(reclen as u16).to_ne_bytes());
        r.push(kind);
        r.extend_from_slice(name);
        r.resize(reclen, 0);
        r
    }

    #[test]
    fn parses_records_and_stops_at_garbage() {
        let mut buf = record(7, 100, libc::DT_REG, b"file");
        buf.extend(record(8, 200, libc::DT_DIR, b"a-longer-directory-name"));
        buf.extend_from_slice(&[1, 2, 3]);
        let got: Vec<Dirent> = parse_dirents(&buf).collect();
        assert_eq!(
            got,
            vec![
                Dirent {
                    ino: 7,
                    next_offset: 100,
                    kind: libc::DT_REG,
                    name: b"file".to_vec()
                },
                Dirent {
                    ino: 8,
                    next_offset: 200,
                    kind: libc::DT_DIR,
                    name: b"a-longer-directory-name".to_vec()
                },
            ]
        );
    }
}
