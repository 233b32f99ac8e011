//! What a filesystem implements: inodes and their operations.
//!
//! Defaults are what Linux answers when a filesystem lacks an operation, so a
//! filesystem only implements what it supports.

use std::sync::Arc;

use abi::Errno;
use abi::types::{Stat, Statfs, Timespec};

use crate::fs::FileOps;
use crate::task::Credentials;

/// File type bits of `st_mode`.
pub const S_IFMT: u32 = 0o170000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFIFO: u32 = 0o010000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFSOCK: u32 = 0o140000;

/// A time to set with `setattr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeSet {
    Omit,
    Now,
    At(Timespec),
}

/// Attribute changes (`chmod`, `chown`, `truncate`, `utimensat`).
#[derive(Clone, Copy, Debug)]
pub struct SetAttr {
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub size: Option<u64>,
    pub atime: TimeSet,
    pub mtime: TimeSet,
}

impl Default for SetAttr {
    fn default() -> Self {
        SetAttr {
            mode: None,
            uid: None,
            gid: None,
            size: None,
            atime: TimeSet::Omit,
            mtime: TimeSet::Omit,
        }
    }
}

/// One directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: u64,
    /// `DT_*` type.
    pub kind: u8,
    pub name: Vec<u8>,
}

/// Identity of an inode inside the sandbox: (device, inode number).
pub type InodeKey = (u64, u64);

/// Where a magic link leads.
#[derive(Clone)]
pub enum MagicTarget {
    /// A place in the file tree (a file opened by path, a directory).
    Path(crate::vfs::VfsPath),
    /// An inode with no path (a pipe, an anonymous file): it takes the
    /// link's place.
    Inode(Arc<dyn Inode>),
}

pub trait Inode: Send + Sync {
    fn stat(&self) -> Result<Stat, Errno>;

    /// Cheap identity (mount points are found by it).
    fn key(&self) -> InodeKey;

    fn mode(&self) -> u32 {
        self.stat().map(|s| s.mode).unwrap_or(0)
    }

    fn lookup(&self, _name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Creates a regular file, FIFO or socket (`mode` holds the type bits).
    fn mknod(
        &self,
        _name: &[u8],
        _mode: u32,
        _creds: &Credentials,
    ) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::ENOTDIR)
    }

    fn mkdir(
        &self,
        _name: &[u8],
        _mode: u32,
        _creds: &Credentials,
    ) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::ENOTDIR)
    }

    fn symlink(
        &self,
        _name: &[u8],
        _target: &[u8],
        _creds: &Credentials,
    ) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Adds `name` for the existing inode `target` (same filesystem).
    fn link(&self, _name: &[u8], _target: &Arc<dyn Inode>) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Removes a non-directory entry.
    fn unlink(&self, _name: &[u8]) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Removes an empty directory entry.
    fn rmdir(&self, _name: &[u8]) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Moves `name` to `new_dir`/`new_name` (same filesystem); `flags` are
    /// `RENAME_NOREPLACE`/`RENAME_EXCHANGE`.
    fn rename(
        &self,
        _name: &[u8],
        _new_dir: &Arc<dyn Inode>,
        _new_name: &[u8],
        _flags: u32,
    ) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        Err(Errno::EINVAL)
    }

    /// For /proc's magic links (fd/N, cwd, root): where following the link
    /// leads, whatever its text says. None for ordinary symlinks.
    fn magic_link(&self) -> Option<MagicTarget> {
        None
    }

    /// Extended attributes. Filesystems without them say EOPNOTSUPP (and list none).
    fn getxattr(&self, _name: &[u8]) -> Result<Vec<u8>, Errno> {
        Err(Errno::EOPNOTSUPP)
    }
    /// `flags`: XATTR_CREATE (1) or XATTR_REPLACE (2).
    fn setxattr(&self, _name: &[u8], _value: &[u8], _flags: u32) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }
    fn listxattr(&self) -> Result<Vec<Vec<u8>>, Errno> {
        Ok(Vec::new())
    }
    fn removexattr(&self, _name: &[u8]) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }

    /// Filesystem statistics; in-memory filesystems report tmpfs figures.
    fn statfs(&self) -> Result<Statfs, Errno> {
        Ok(memory_statfs(TMPFS_MAGIC))
    }

    fn setattr(&self, _attr: &SetAttr) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    /// Opens the inode: the file operations of a new open file description.
    fn open(&self, flags: u32) -> Result<Arc<dyn FileOps>, Errno>;

    /// All entries, including `.` and `..`.
    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// The entries with their positions, ascending, for getdents: an entry's
    /// `d_off` is its position + 1, where a later call resumes. By default an
    /// entry's index; a directory whose entries come and go while a program
    /// reads it (/proc/PID/fd, whose files the reader may be closing) gives
    /// lasting positions instead, as Linux does, so that none is skipped.
    fn readdir_positions(&self) -> Result<Vec<(u64, DirEntry)>, Errno> {
        Ok(self
            .readdir()?
            .into_iter()
            .enumerate()
            .map(|(i, e)| (i as u64, e))
            .collect())
    }

    /// For downcasting by the filesystem that owns the inode (rename, link).
    fn as_any(&self) -> &dyn std::any::Any;
}

/// `DT_*` type of a mode.
pub fn dirent_type(mode: u32) -> u8 {
    match mode & S_IFMT {
        S_IFDIR => 4,
        S_IFREG => 8,
        S_IFLNK => 10,
        S_IFIFO => 1,
        S_IFCHR => 2,
        S_IFSOCK => 12,
        0o060000 => 6,
        _ => 0,
    }
}

pub const TMPFS_MAGIC: i64 = 0x0102_1994;
pub const OVERLAYFS_MAGIC: i64 = 0x794c_7630;

/// Statistics of a filesystem that lives in memory: sized by the host's memory.
pub fn memory_statfs(magic: i64) -> Statfs {
    let (pages, avail) = crate::host::memory_pages();
    Statfs {
        f_type: magic,
        f_bsize: 4096,
        f_blocks: pages,
        f_bfree: avail,
        f_bavail: avail,
        f_files: pages,
        f_ffree: avail,
        f_namelen: 255,
        f_frsize: 4096,
        ..Default::default()
    }
}
