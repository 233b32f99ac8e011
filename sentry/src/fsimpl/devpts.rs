//! devpts: the pseudo-terminal filesystem mounted at /dev/pts. Opening `ptmx`
//! makes a new pty whose slave appears as `N` (the lowest free number) until
//! the master closes; the number is free again once both sides are gone.
//! Host terminals given to the sandbox as stdio get numbers here too (the
//! console first, so it is `0`, as runc's console is the container's first
//! pty): their node opens the host terminal, and their files report the
//! node's identity, so that `ttyname` finds them.
//! As Linux numbers them: the root is inode 1, ptmx 2, slave N is N + 3.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Weak};

use abi::Errno;
use abi::types::{Stat, Statfs};
use parking_lot::Mutex;

use super::tty::Pty;
use super::tty::pty::{MasterFile, PTS_MAJOR, makedev};
use crate::fs::FileOps;
use crate::fs::host_tty::HostTty;
use crate::vfs::inode::{S_IFCHR, S_IFDIR, SetAttr, dirent_type};
use crate::vfs::{DirEntry, Inode, InodeKey, Resolver};

/// Device number of the devpts instance.
pub const DEVPTS_DEV: u64 = 0x16;
/// Linux's DEVPTS_SUPER_MAGIC.
const DEVPTS_MAGIC: i64 = 0x1cd1;
/// Linux's default /proc/sys/kernel/pty/max.
const PTY_MAX: u32 = 4096;
/// The group of slave nodes (gid=5 as container runtimes mount devpts).
const TTY_GID: u32 = 5;
/// The permissions of slave nodes (mode=620 as container runtimes mount devpts).
const SLAVE_MODE: u32 = 0o620;

/// What /dev/pts/N is.
enum Entry {
    /// The slave of a pty made through ptmx.
    Pty(Weak<Pty>),
    /// A host terminal.
    Host(Weak<HostTty>),
}

#[derive(Default)]
struct State {
    /// Slaves with a node (a pty whose master is open, a host terminal).
    nodes: BTreeMap<u32, Entry>,
    /// Numbers in use (a pty holds its number until both sides closed, a
    /// host terminal while the sandbox uses it).
    used: BTreeSet<u32>,
    /// The console, kept for the sandbox's life.
    console: Option<Arc<HostTty>>,
}

pub struct Devpts {
    me: Weak<Devpts>,
    state: Mutex<State>,
}

/// A slave node's identity: its number, permissions and owner. The node and
/// the terminal's open files share it, so that `stat` of /dev/pts/N and
/// `fstat` of the terminal agree. Dropping it frees the number.
pub struct PtsNode {
    index: u32,
    devpts: Weak<Devpts>,
    /// Mode (permission bits), uid, gid.
    owner: Mutex<(u32, u32, u32)>,
}

impl PtsNode {
    /// The N of /dev/pts/N.
    pub fn index(&self) -> u32 {
        self.index
    }

    pub fn rdev(&self) -> u64 {
        makedev(PTS_MAJOR, self.index as u64)
    }

    pub fn key(&self) -> InodeKey {
        (DEVPTS_DEV, self.index as u64 + 3)
    }

    /// `stat` of /dev/pts/N.
    pub fn stat(&self) -> Stat {
        let (mode, uid, gid) = *self.owner.lock();
        Stat {
            dev: DEVPTS_DEV,
            ino: self.index as u64 + 3,
            nlink: 1,
            mode: S_IFCHR | mode,
            uid,
            gid,
            rdev: self.rdev(),
            blksize: 1024,
            ..Default::default()
        }
    }

    /// chmod/chown of /dev/pts/N.
    pub fn set_owner(&self, mode: Option<u32>, uid: Option<u32>, gid: Option<u32>) {
        let mut o = self.owner.lock();
        if let Some(m) = mode {
            o.0 = m & 0o7777;
        }
        if let Some(u) = uid {
            o.1 = u;
        }
        if let Some(g) = gid {
            o.2 = g;
        }
    }

    /// The node's file is gone (a pty's master closed): /dev/pts/N goes,
    /// the number stays taken.
    pub(crate) fn remove(&self) {
        if let Some(devpts) = self.devpts.upgrade() {
            devpts.state.lock().nodes.remove(&self.index);
        }
    }
}

impl Drop for PtsNode {
    fn drop(&mut self) {
        if let Some(devpts) = self.devpts.upgrade() {
            let mut s = devpts.state.lock();
            s.used.remove(&self.index);
            s.nodes.remove(&self.index);
        }
    }
}

impl Devpts {
    pub fn new() -> Arc<Devpts> {
        Arc::new_cyclic(|me| Devpts {
            me: me.clone(),
            state: Mutex::new(State::default()),
        })
    }

    /// The devpts mounted at /dev/pts of what `resolver` sees, if any.
    pub fn mounted(resolver: &Resolver) -> Option<Arc<Devpts>> {
        let pts = resolver.resolve(&resolver.root, b"/dev/pts", true).ok()?;
        let fs = pts.inode().as_any().downcast_ref::<Root>()?.fs.clone();
        Some(fs)
    }

    /// The root directory, to mount.
    pub fn root(self: &Arc<Self>) -> Arc<dyn Inode> {
        Arc::new(Root { fs: self.clone() })
    }

    /// A new pty with the lowest free number, its slave owned by `uid`.
    fn new_pty(&self, uid: u32) -> Result<Arc<Pty>, Errno> {
        let mut s = self.state.lock();
        let node = self.take_number(&mut s, uid)?;
        let index = node.index;
        let pty = Pty::new(node);
        s.nodes.insert(index, Entry::Pty(Arc::downgrade(&pty)));
        Ok(pty)
    }

    /// Gives host terminal `tty` a node with the lowest free number, owned
    /// by `uid`, unless it has one. Returns its number.
    pub fn add_host_terminal(&self, tty: &Arc<HostTty>, uid: u32) -> Result<u32, Errno> {
        let node = {
            let mut s = self.state.lock();
            if let Some(node) = tty.node() {
                return Ok(node.index());
            }
            let node = self.take_number(&mut s, uid)?;
            s.nodes.insert(node.index, Entry::Host(Arc::downgrade(tty)));
            node
        };
        let index = node.index;
        // A node dropped here (the terminal got one meanwhile) frees its
        // number; it must not be dropped with the state locked.
        match tty.set_node(node) {
            Ok(()) => Ok(index),
            Err(_) => tty.node().map(PtsNode::index).ok_or(Errno::EIO),
        }
    }

    /// Makes host terminal `tty` the console, kept while the devpts lives:
    /// /dev/pts/0 when it is the first terminal named. Returns the inode of
    /// its node, for /dev/console (runc bind-mounts the console's pty there).
    pub fn set_console(&self, tty: Arc<HostTty>) -> Result<Arc<dyn Inode>, Errno> {
        self.add_host_terminal(&tty, 0)?;
        let old = self.state.lock().console.replace(tty.clone());
        drop(old);
        Ok(Arc::new(HostSlave { tty }))
    }

    fn take_number(&self, s: &mut State, uid: u32) -> Result<PtsNode, Errno> {
        let index = (0..PTY_MAX)
            .find(|i| !s.used.contains(i))
            .ok_or(Errno::ENOSPC)?;
        s.used.insert(index);
        Ok(PtsNode {
            index,
            devpts: self.me.clone(),
            owner: Mutex::new((SLAVE_MODE, uid, TTY_GID)),
        })
    }

    fn slave(&self, index: u32) -> Option<Arc<dyn Inode>> {
        let s = self.state.lock();
        let inode: Arc<dyn Inode> = match s.nodes.get(&index)? {
            Entry::Pty(pty) => Arc::new(Slave {
                pty: pty.upgrade()?,
            }),
            Entry::Host(tty) => Arc::new(HostSlave {
                tty: tty.upgrade()?,
            }),
        };
        Some(inode)
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
        self.fs.slave(index).ok_or(Errno::ENOENT)
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

/// /dev/pts/N of a pty.
struct Slave {
    pty: Arc<Pty>,
}

impl Inode for Slave {
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.pty.node().stat())
    }

    fn key(&self) -> InodeKey {
        self.pty.node().key()
    }

    fn setattr(&self, attr: &SetAttr) -> Result<(), Errno> {
        if attr.size.is_some() {
            return Err(Errno::EINVAL);
        }
        self.pty.node().set_owner(attr.mode, attr.uid, attr.gid);
        Ok(())
    }

    fn open(&self, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        self.pty.open_slave()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// /dev/pts/N of a host terminal: opening it opens the host terminal again.
struct HostSlave {
    tty: Arc<HostTty>,
}

impl HostSlave {
    fn node(&self) -> Result<&PtsNode, Errno> {
        self.tty.node().ok_or(Errno::EIO)
    }
}

impl Inode for HostSlave {
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.node()?.stat())
    }

    fn key(&self) -> InodeKey {
        self.node().map_or((DEVPTS_DEV, 0), PtsNode::key)
    }

    fn setattr(&self, attr: &SetAttr) -> Result<(), Errno> {
        if attr.size.is_some() {
            return Err(Errno::EINVAL);
        }
        self.node()?.set_owner(attr.mode, attr.uid, attr.gid);
        Ok(())
    }

    fn open(&self, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        crate::fsimpl::tty::Terminal::reopen(&*self.tty, flags)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsimpl::tty::TtyFile;

    fn pty_of(master: &Arc<dyn FileOps>) -> Arc<Pty> {
        match master.terminal() {
            Some(TtyFile::Master(pty)) => pty,
            _ => panic!("not a master"),
        }
    }

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
        let st = slave.stat().unwrap();
        assert_eq!(
            (st.ino, st.rdev, st.mode),
            (3, makedev(136, 0), S_IFCHR | 0o620)
        );
        let pty = pty_of(&m0);
        pty.set_locked(false);
        let s0 = slave.open(0).unwrap();
        let fst = s0.stat().unwrap();
        assert_eq!(
            (fst.dev, fst.ino, fst.rdev),
            (st.dev, st.ino, st.rdev),
            "fstat is stat"
        );
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

    #[test]
    fn a_host_terminal_is_named_first_and_stat_is_fstat() {
        use std::os::fd::AsRawFd;
        let host = nix::pty::openpty(None, None).unwrap();
        let fs = Devpts::new();
        let root = fs.root();
        let file = crate::fs::host_fd::HostFd::new(host.slave.as_raw_fd());
        let tty = file.host_tty().unwrap().clone();
        let console = fs.set_console(tty.clone()).unwrap();
        assert_eq!(fs.add_host_terminal(&tty, 0), Ok(0), "named once");
        let ptmx = root.lookup(b"ptmx").unwrap();
        let master = ptmx.open(0).unwrap();
        assert_eq!(pty_of(&master).index(), 1, "0 is the console's");
        let node = root.lookup(b"0").unwrap();
        let (st, fst) = (node.stat().unwrap(), file.stat().unwrap());
        assert_eq!((st.dev, st.ino, st.rdev), (DEVPTS_DEV, 3, makedev(136, 0)));
        assert_eq!(
            (fst.dev, fst.ino, fst.rdev, fst.mode),
            (st.dev, st.ino, st.rdev, st.mode)
        );
        assert_eq!(console.stat().unwrap().ino, 3, "/dev/console is the node");
        // Opening the node opens the same terminal: one job control.
        let reopened = node.open(libc::O_RDWR as u32).unwrap();
        let terminal = reopened.terminal().unwrap().terminal();
        assert!(crate::fsimpl::tty::same(
            &terminal,
            &file.terminal().unwrap().terminal()
        ));
        assert_eq!(reopened.stat().unwrap().ino, 3);
    }
}
