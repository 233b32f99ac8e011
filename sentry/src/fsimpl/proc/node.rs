//! The building blocks of procfs: files generated when opened, links whose targets
//! are computed when read, and directories listed when looked at.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use abi::Errno;
use abi::types::Stat;

use crate::fs::FileOps;
use crate::vfs::inode::{MagicTarget, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, dirent_type};
use crate::vfs::{DirEntry, Inode, InodeKey};

/// Device number of procfs.
pub const PROC_DEV: u64 = 0x14;
static NEXT_INO: AtomicU64 = AtomicU64::new(2);

pub type Generate = Box<dyn Fn() -> Result<Vec<u8>, Errno> + Send + Sync>;
pub type Listing = Box<dyn Fn() -> Vec<(Vec<u8>, Arc<dyn Inode>)> + Send + Sync>;

pub type Leads = Box<dyn Fn() -> Option<MagicTarget> + Send + Sync>;
/// Entries a directory has without listing them.
pub type Hidden = Box<dyn Fn(&[u8]) -> Option<Arc<dyn Inode>> + Send + Sync>;

enum Kind {
    File(Generate),
    Link(Generate),
    /// A magic link: its text, and where following it leads.
    Magic(Generate, Leads),
    Dir(Listing, Option<Hidden>),
}

pub struct ProcNode {
    ino: u64,
    mode: u32,
    kind: Kind,
    /// A directory of numbered entries (descriptors, threads): each sits at
    /// its number + 2 for getdents, after `.` and `..`, as on Linux.
    numbered: bool,
}

impl ProcNode {
    fn make(mode: u32, kind: Kind) -> Arc<dyn Inode> {
        Arc::new(ProcNode {
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            mode,
            kind,
            numbered: false,
        })
    }

    /// A directory of entries named by numbers, whose positions stay put
    /// while entries come and go.
    pub fn numbered_dir(
        list: impl Fn() -> Vec<(Vec<u8>, Arc<dyn Inode>)> + Send + Sync + 'static,
    ) -> Arc<dyn Inode> {
        Arc::new(ProcNode {
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            mode: S_IFDIR | 0o555,
            kind: Kind::Dir(Box::new(list), None),
            numbered: true,
        })
    }

    /// A read-only file whose contents `generate` makes at open.
    pub fn file(
        generate: impl Fn() -> Result<Vec<u8>, Errno> + Send + Sync + 'static,
    ) -> Arc<dyn Inode> {
        Self::make(S_IFREG | 0o444, Kind::File(Box::new(generate)))
    }

    /// A file of fixed text.
    pub fn text(text: impl Into<String>) -> Arc<dyn Inode> {
        let text = text.into();
        Self::file(move || Ok(text.clone().into_bytes()))
    }

    pub fn link(
        target: impl Fn() -> Result<Vec<u8>, Errno> + Send + Sync + 'static,
    ) -> Arc<dyn Inode> {
        Self::make(S_IFLNK | 0o777, Kind::Link(Box::new(target)))
    }

    /// A magic link: it reads as `text`, but following it leads to `target`
    /// (the open file or directory itself, not a path looked up again).
    pub fn magic_link(
        text: impl Fn() -> Result<Vec<u8>, Errno> + Send + Sync + 'static,
        target: impl Fn() -> Option<MagicTarget> + Send + Sync + 'static,
    ) -> Arc<dyn Inode> {
        Self::make(
            S_IFLNK | 0o777,
            Kind::Magic(Box::new(text), Box::new(target)),
        )
    }

    pub fn dir(
        list: impl Fn() -> Vec<(Vec<u8>, Arc<dyn Inode>)> + Send + Sync + 'static,
    ) -> Arc<dyn Inode> {
        Self::make(S_IFDIR | 0o555, Kind::Dir(Box::new(list), None))
    }

    /// A directory listed by `list` that also has the entries `hidden` finds
    /// by name (as /proc has a directory for every thread but lists only
    /// processes).
    pub fn dir_with_hidden(
        list: impl Fn() -> Vec<(Vec<u8>, Arc<dyn Inode>)> + Send + Sync + 'static,
        hidden: impl Fn(&[u8]) -> Option<Arc<dyn Inode>> + Send + Sync + 'static,
    ) -> Arc<dyn Inode> {
        Self::make(
            S_IFDIR | 0o555,
            Kind::Dir(Box::new(list), Some(Box::new(hidden))),
        )
    }

    /// A directory of fixed entries.
    pub fn fixed_dir(entries: Vec<(&'static str, Arc<dyn Inode>)>) -> Arc<dyn Inode> {
        let entries: Vec<(Vec<u8>, Arc<dyn Inode>)> = entries
            .into_iter()
            .map(|(n, i)| (n.as_bytes().to_vec(), i))
            .collect();
        Self::dir(move || entries.clone())
    }
}

impl Inode for ProcNode {
    fn stat(&self) -> Result<Stat, Errno> {
        let nlink = if self.mode & S_IFMT == S_IFDIR { 2 } else { 1 };
        Ok(Stat {
            dev: PROC_DEV,
            ino: self.ino,
            nlink,
            mode: self.mode,
            blksize: 1024,
            ..Default::default()
        })
    }

    fn key(&self) -> InodeKey {
        (PROC_DEV, self.ino)
    }

    fn mode(&self) -> u32 {
        self.mode
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        match &self.kind {
            Kind::Dir(list, hidden) => list()
                .into_iter()
                .find(|(n, _)| n == name)
                .map(|(_, i)| i)
                .or_else(|| hidden.as_ref().and_then(|h| h(name)))
                .ok_or(Errno::ENOENT),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        match &self.kind {
            Kind::Link(target) | Kind::Magic(target, _) => target(),
            _ => Err(Errno::EINVAL),
        }
    }

    fn magic_link(&self) -> Option<MagicTarget> {
        match &self.kind {
            Kind::Magic(_, leads) => leads(),
            _ => None,
        }
    }

    fn open(&self, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        // Opening for writing is allowed to whoever passes the permission check
        // (root); the writes themselves fail, as Linux's read-only proc files do.
        let stat = self.stat()?;
        match &self.kind {
            Kind::File(generate) => Ok(Arc::new(Snapshot {
                data: generate()?,
                stat,
            })),
            Kind::Dir(..) => Ok(Arc::new(Snapshot {
                data: Vec::new(),
                stat,
            })),
            Kind::Link(_) | Kind::Magic(..) => Err(Errno::ELOOP),
        }
    }

    fn readdir_positions(&self) -> Result<Vec<(u64, DirEntry)>, Errno> {
        let entries = self.readdir()?.into_iter().enumerate();
        if !self.numbered {
            return Ok(entries.map(|(i, e)| (i as u64, e)).collect());
        }
        let mut out: Vec<(u64, DirEntry)> = entries
            .filter_map(|(i, e)| {
                let pos = match i {
                    0 | 1 => i as u64,
                    _ => std::str::from_utf8(&e.name).ok()?.parse::<u64>().ok()? + 2,
                };
                Some((pos, e))
            })
            .collect();
        out.sort_by_key(|(pos, _)| *pos);
        Ok(out)
    }

    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        let Kind::Dir(list, _) = &self.kind else {
            return Err(Errno::ENOTDIR);
        };
        let mut out = vec![
            DirEntry {
                ino: self.ino,
                kind: 4,
                name: b".".to_vec(),
            },
            DirEntry {
                ino: self.ino,
                kind: 4,
                name: b"..".to_vec(),
            },
        ];
        for (name, inode) in list() {
            let (_, ino) = inode.key();
            out.push(DirEntry {
                ino,
                kind: dirent_type(inode.mode()),
                name,
            });
        }
        Ok(out)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Contents generated at open: later reads see one consistent snapshot.
struct Snapshot {
    data: Vec<u8>,
    stat: Stat,
}

impl FileOps for Snapshot {
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if self.stat.mode & S_IFMT == S_IFDIR {
            return Err(Errno::EISDIR);
        }
        let start = (offset as usize).min(self.data.len());
        let n = buf.len().min(self.data.len() - start);
        buf[..n].copy_from_slice(&self.data[start..start + n]);
        Ok(n)
    }
    fn write(&self, _offset: u64, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.stat)
    }
    fn seekable(&self) -> bool {
        true
    }
    fn size(&self) -> Result<u64, Errno> {
        Ok(self.data.len() as u64)
    }
}

/// What a magic link to an open file without a path leads to: the file
/// itself, which opening shares (a pipe end reopened through /proc/self/fd/N
/// or /dev/stdin is the same end).
pub struct Reopen {
    ops: Arc<dyn FileOps>,
    stat: Stat,
}

impl Reopen {
    pub fn inode(ops: Arc<dyn FileOps>) -> Arc<dyn Inode> {
        let stat = ops.stat().unwrap_or_default();
        Arc::new(Reopen { ops, stat })
    }
}

impl Inode for Reopen {
    fn stat(&self) -> Result<Stat, Errno> {
        self.ops.stat()
    }
    fn key(&self) -> InodeKey {
        (self.stat.dev, self.stat.ino)
    }
    fn mode(&self) -> u32 {
        self.stat.mode
    }
    fn open(&self, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        Ok(self.ops.clone())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
