//! devpts: the pseudo-terminal filesystem mounted at /dev/pts. Opening `ptmx`
//! makes a new pty whose slave appears as `N` (the lowest free number) until
//! the master closes; the number is free again once both sides are gone.
//! As Linux numbers them: the root is inode 1, ptmx 2, slave N is N + 3.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Weak};

use abi::Errno;
use abi::types::{Stat, Statfs};
use parking_lot::Mutex;

use super::tty::Pty;
use super::tty::pty::{MasterFile, makedev};
use crate::fs::FileOps;
use crate::vfs::inode::{S_IFCHR, S_IFDIR, SetAttr, dirent_type};
use crate::vfs::{DirEntry, Inode, InodeKey};

/// Device number of the devpts instance.
pub const DEVPTS_DEV: u64 = 0x16;
/// Linux's DEVPTS_SUPER_MAGIC.
const DEVPTS_MAGIC: i64 = 0x1cd1;
/// Linux's default /proc/sys/kernel/pty/max.
const PTY_MAX: u32 = 4096;
/// The group of slave nodes (gid=5 as container runtimes mount devpts).
const TTY_GID: u32 = 5;

#[derive(Default)]
struct State {
    /// Slaves with a node (their master is open).
    nodes: BTreeMap<u32, Weak<Pty>>,
    /// Numbers in use (a pty holds its number until both sides closed).
    used: BTreeSet<u32>,
}

pub struct Devpts {
    me: Weak<Devpts>,
    state: Mutex<State>,
}

impl Devpts {
    pub fn new() -> Arc<Devpts> {
        Arc::new_cyclic(|me| Devpts {
            me: me.clone(),
            state: Mutex::new(State::default()),
        })
    }

    /// The root directory, to mount.
    pub fn root(self: &Arc<Self>) -> Arc<dyn Inode> {
        Arc::new(Root { fs: self.clone() })
    }

    /// A new pty with the lowest free number, its slave owned by `uid`.
    fn new_pty(&self, uid: u32) -> Result<Arc<Pty>, Errno> {
        let mut s = self.state.lock();
        let index = (0..PTY_MAX)
            .find(|i| !s.used.contains(i))
            .ok_or(Errno::ENOSPC)?;
        let pty = Pty::new(index, self.me.clone(), uid, TTY_GID);
        s.used.insert(index);
        s.nodes.insert(index, Arc::downgrade(&pty));
        Ok(pty)
    }

    /// The master of pty `index` closed: /dev/pts/N goes.
    pub(crate) fn remove_node(&self, index: u32) {
        self.state.lock().nodes.remove(&index);
    }

    /// Pty `index` is gone: its number may be given again.
    pub(crate) fn release_index(&self, index: u32) {
        let mut s = self.state.lock();
        s.used.remove(&index);
        s.nodes.remove(&index);
    }

    fn slave(&self, index: u32) -> Option<Arc<Pty>> {
        self.state.lock().nodes.get(&index)?.upgrade()
    }
}

fn ptmx_stat() -> Stat {
    Stat {
        dev: DEVPTS_DEV,
        ino: 2,
        nlink: 1,
        mode: S_IFCHR | 0o666,
        rdev: makedev(5, 2),
        blksize: 1024,
        ..Default::default()
    }
}

struct Root {
    fs: Arc<Devpts>,
}

impl Inode for Root {
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(Stat {
            dev: DEVPTS_DEV,
            ino: 1,
            nlink: 2,
            mode: S_IFDIR | 0o755,
            blksize: 1024,
            ..Default::default()
        })
    }

    fn key(&self) -> InodeKey {
        (DEVPTS_DEV, 1)
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        if name == b"ptmx" {
            return Ok(Arc::new(Ptmx {
                fs: self.fs.clone(),
            }));
        }
        let index = std::str::from_utf8(name)
            .ok()
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()) && (s == &"0" || !s.starts_with('0')))
            .and_then(|s| s.parse::<u32>().ok())
            .ok_or(Errno::ENOENT)?;
        let pty = self.fs.slave(index).ok_or(Errno::ENOENT)?;
        Ok(Arc::new(Slave { pty }))
    }

    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        let mut out = vec![
            DirEntry {
                ino: 1,
                kind: 4,
                name: b".".to_vec(),
            },
            DirEntry {
                ino: 1,
                kind: 4,
                name: b"..".to_vec(),
            },
            DirEntry {
                ino: 2,
                kind: dirent_type(S_IFCHR),
                name: b"ptmx".to_vec(),
            },
        ];
        let indices: Vec<u32> = self.fs.state.lock().nodes.keys().copied().collect();
        out.extend(indices.into_iter().map(|i| DirEntry {
            ino: i as u64 + 3,
            kind: dirent_type(S_IFCHR),
            name: i.to_string().into_bytes(),
        }));
        Ok(out)
    }

    fn statfs(&self) -> Result<Statfs, Errno> {
        Ok(Statfs {
            f_type: DEVPTS_MAGIC,
            f_bsize: 4096,
            f_namelen: 255,
            f_frsize: 4096,
            ..Default::default()
        })
    }

    fn open(&self, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        Ok(Arc::new(DirFile(self.stat()?)))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The open root directory (getdents64 lists it through its path).
struct DirFile(Stat);

impl FileOps for DirFile {
    fn read(&self, _offset: u64, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.0)
    }
    fn seekable(&self) -> bool {
        true
    }
}

/// /dev/pts/ptmx: each open makes a new pty and is its master.
struct Ptmx {
    fs: Arc<Devpts>,
}

impl Inode for Ptmx {
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(ptmx_stat())
    }

    fn key(&self) -> InodeKey {
        (DEVPTS_DEV, 2)
    }

    fn open(&self, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        let uid = crate::task::current::with(|p, _| p.creds().fsuid).unwrap_or(0);
        let pty = self.fs.new_pty(uid)?;
        Ok(Arc::new(MasterFile::new(pty, ptmx_stat())))
    }

    fn statfs(&self) -> Result<Statfs, Errno> {
        Root {
            fs: self.fs.clone(),
        }
        .statfs()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// /dev/pts/N.
struct Slave {
    pty: Arc<Pty>,
}

impl Inode for Slave {
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.pty.slave_stat())
    }

    fn key(&self) -> InodeKey {
        (DEVPTS_DEV, self.pty.index() as u64 + 3)
    }

    fn setattr(&self, attr: &SetAttr) -> Result<(), Errno> {
        if attr.size.is_some() {
            return Err(Errno::EINVAL);
        }
        self.pty.set_slave_owner(attr.mode, attr.uid, attr.gid);
        Ok(())
    }

    fn open(&self, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        self.pty.open_slave()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_reused_once_both_sides_closed() {
        let fs = Devpts::new();
        let root = fs.root();
        let ptmx = root.lookup(b"ptmx").unwrap();
        let m0 = ptmx.open(0).unwrap();
        let m1 = ptmx.open(0).unwrap();
        let names: Vec<Vec<u8>> = root
            .readdir()
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names[2..], [b"ptmx".to_vec(), b"0".to_vec(), b"1".to_vec()]);
        let slave = root.lookup(b"0").unwrap();
        assert_eq!(slave.open(0).err(), Some(Errno::EIO), "locked");
        let pty = fs.slave(0).unwrap();
        pty.set_locked(false);
        let s0 = slave.open(0).unwrap();
        drop(pty);
        drop(m0);
        assert_eq!(root.lookup(b"0").err(), Some(Errno::ENOENT), "node gone");
        assert_eq!(root.lookup(b"00").err(), Some(Errno::ENOENT));
        let m2 = ptmx.open(0).unwrap();
        assert_eq!(m2.stat().unwrap().rdev, makedev(5, 2));
        assert!(root.lookup(b"2").is_ok(), "0 is still held by its slave");
        drop(s0);
        drop(slave);
        let _m3 = ptmx.open(0).unwrap();
        assert!(root.lookup(b"0").is_ok());
        drop(m1);
    }
}
