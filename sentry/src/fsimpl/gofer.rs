//! Files served by the gofer: every lookup is a walk of one component from a node
//! the gofer holds; opening a file gets a host descriptor donated by the gofer,
//! so reads and writes go straight to the host file.

use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use abi::Errno;
use abi::types::{Stat, Statfs, Timespec};
use gofer::{Attr, Client, Fid};
use parking_lot::Mutex;

use crate::fs::FileOps;
use crate::mm::Mappable;
use crate::task::Credentials;
use crate::vfs::inode::{S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK};
use crate::vfs::{DirEntry, Inode, InodeKey, SetAttr, TimeSet};

/// `AT_REMOVEDIR` for the gofer's unlink.
const AT_REMOVEDIR: u32 = 0x200;
/// Entries asked for per readdir round trip.
const READDIR_BATCH: usize = 512;

pub struct GoferInode {
    mount: Arc<MountState>,
    fid: Fid,
    attr: Mutex<Attr>,
    /// The attributes may have changed behind `attr` (writes through a descriptor).
    attr_stale: AtomicBool,
    /// Children already walked to (only when the sandbox owns the tree).
    children: Mutex<HashMap<Vec<u8>, Arc<GoferInode>>>,
    me: Weak<GoferInode>,
}

/// One gofer mount: its client and how much may be cached.
struct MountState {
    client: Arc<Client>,
    /// The sandbox is the only writer (the root, like gVisor's
    /// `--file-access=exclusive`): lookups and attributes may be cached. Bind
    /// mounts are shared with the host and ask each time.
    exclusive: bool,
    /// Children cached over the whole mount; past the budget a directory's cache
    /// is dropped before it grows.
    cached: AtomicUsize,
}

/// Children cached per mount at most (each holds a descriptor in the gofer).
const CACHE_BUDGET: usize = 16384;

/// The root of the filesystem the gofer behind `client` serves.
/// `exclusive`: the sandbox is the tree's only writer, so it may be cached.
pub fn new_root(client: Arc<Client>, exclusive: bool) -> Result<Arc<dyn Inode>, Errno> {
    let (fid, attr) = client.attach()?;
    let mount = Arc::new(MountState {
        client,
        exclusive,
        cached: AtomicUsize::new(0),
    });
    Ok(GoferInode::new_inode(mount, fid, attr))
}

fn to_stat(a: &Attr) -> Stat {
    let ts = |t: gofer::Timespec| Timespec {
        tv_sec: t.sec,
        tv_nsec: t.nsec as i64,
    };
    Stat {
        dev: a.dev,
        ino: a.ino,
        nlink: a.nlink,
        mode: a.mode,
        uid: a.uid,
        gid: a.gid,
        rdev: a.rdev,
        size: a.size as i64,
        blksize: a.blksize as i64,
        blocks: a.blocks as i64,
        atime: ts(a.atime),
        mtime: ts(a.mtime),
        ctime: ts(a.ctime),
        ..Default::default()
    }
}

fn time_set(t: TimeSet) -> gofer::TimeSet {
    match t {
        TimeSet::Omit => gofer::TimeSet::Omit,
        TimeSet::Now => gofer::TimeSet::Now,
        TimeSet::At(ts) => gofer::TimeSet::At {
            sec: ts.tv_sec,
            nsec: ts.tv_nsec as u32,
        },
    }
}

impl GoferInode {
    fn new_inode(mount: Arc<MountState>, fid: Fid, attr: Attr) -> Arc<GoferInode> {
        Arc::new_cyclic(|me| GoferInode {
            mount,
            fid,
            attr: Mutex::new(attr),
            attr_stale: AtomicBool::new(false),
            children: Mutex::default(),
            me: me.clone(),
        })
    }

    fn client(&self) -> &Client {
        &self.mount.client
    }

    /// A new child inode, remembered when the mount allows caching.
    fn adopt(&self, name: &[u8], fid: Fid, attr: Attr) -> Arc<dyn Inode> {
        let child = GoferInode::new_inode(self.mount.clone(), fid, attr);
        if self.mount.exclusive {
            let mut children = self.children.lock();
            if self.mount.cached.load(Ordering::Relaxed) >= CACHE_BUDGET {
                self.mount
                    .cached
                    .fetch_sub(children.len(), Ordering::Relaxed);
                children.clear();
            }
            if children.insert(name.to_vec(), child.clone()).is_none() {
                self.mount.cached.fetch_add(1, Ordering::Relaxed);
            }
        }
        child
    }

    /// Forgets a cached child (removed, renamed or replaced).
    fn forget(&self, name: &[u8]) {
        if self.children.lock().remove(name).is_some() {
            self.mount.cached.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Called after writes through a descriptor of this file.
    fn mark_stale(&self) {
        self.attr_stale.store(true, Ordering::Relaxed);
    }

    fn arc(&self) -> Result<Arc<GoferInode>, Errno> {
        self.me.upgrade().ok_or(Errno::EIO)
    }

    /// Re-reads the attributes (after changes, and for files whose size moves).
    fn refresh(&self) -> Result<Attr, Errno> {
        let attr = self.client().stat(self.fid)?;
        *self.attr.lock() = attr;
        Ok(attr)
    }

    fn kind(&self) -> u32 {
        self.attr.lock().mode & S_IFMT
    }

    fn same_gofer<'a>(&self, other: &'a Arc<dyn Inode>) -> Result<&'a GoferInode, Errno> {
        other
            .as_any()
            .downcast_ref::<GoferInode>()
            .filter(|o| Arc::ptr_eq(&o.mount, &self.mount))
            .ok_or(Errno::EXDEV)
    }

    fn changed(&self) {
        let _ = self.refresh();
    }
}

impl Drop for GoferInode {
    fn drop(&mut self) {
        let _ = self.client().close(self.fid);
    }
}

impl Inode for GoferInode {
    fn stat(&self) -> Result<Stat, Errno> {
        // Directories change only through us (we refresh after our changes). With
        // the tree to ourselves, so do files, whose writes through descriptors
        // mark them stale; on shared mounts files are asked about.
        let cached = self.kind() == S_IFDIR || self.mount.exclusive;
        let attr = if cached && !self.attr_stale.swap(false, Ordering::Relaxed) {
            *self.attr.lock()
        } else {
            self.refresh()?
        };
        Ok(to_stat(&attr))
    }

    fn key(&self) -> InodeKey {
        let a = self.attr.lock();
        (a.dev, a.ino)
    }

    fn mode(&self) -> u32 {
        self.attr.lock().mode
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        if self.kind() != S_IFDIR {
            return Err(Errno::ENOTDIR);
        }
        if let Some(child) = self.children.lock().get(name) {
            return Ok(child.clone());
        }
        let (fid, attr) = self.client().walk(self.fid, name)?;
        Ok(self.adopt(name, fid, attr))
    }

    fn mknod(&self, name: &[u8], mode: u32, creds: &Credentials) -> Result<Arc<dyn Inode>, Errno> {
        let (fid, attr) = match mode & S_IFMT {
            S_IFREG | 0 => {
                let flags = libc::O_RDONLY as u32;
                let (fid, attr, _fd) = self.client().create(
                    self.fid,
                    name,
                    flags,
                    mode & 0o7777,
                    creds.euid,
                    creds.egid,
                )?;
                (fid, attr)
            }
            S_IFIFO | S_IFSOCK => self
                .client()
                .mknod(self.fid, name, mode, creds.euid, creds.egid)?,
            _ => return Err(Errno::EPERM),
        };
        self.changed();
        Ok(self.adopt(name, fid, attr))
    }

    fn mkdir(&self, name: &[u8], mode: u32, creds: &Credentials) -> Result<Arc<dyn Inode>, Errno> {
        let (fid, attr) =
            self.client()
                .mkdir(self.fid, name, mode & 0o7777, creds.euid, creds.egid)?;
        self.changed();
        Ok(self.adopt(name, fid, attr))
    }

    fn symlink(
        &self,
        name: &[u8],
        target: &[u8],
        creds: &Credentials,
    ) -> Result<Arc<dyn Inode>, Errno> {
        let (fid, attr) = self
            .client()
            .symlink(self.fid, name, target, creds.euid, creds.egid)?;
        self.changed();
        Ok(self.adopt(name, fid, attr))
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        let target = self.same_gofer(target)?;
        let (fid, attr) = self.client().link(self.fid, name, target.fid)?;
        self.adopt(name, fid, attr);
        self.changed();
        target.changed();
        Ok(())
    }

    fn unlink(&self, name: &[u8]) -> Result<(), Errno> {
        self.client().unlink(self.fid, name, 0)?;
        self.forget(name);
        self.changed();
        Ok(())
    }

    fn rmdir(&self, name: &[u8]) -> Result<(), Errno> {
        self.client().unlink(self.fid, name, AT_REMOVEDIR)?;
        self.forget(name);
        self.changed();
        Ok(())
    }

    fn rename(
        &self,
        name: &[u8],
        new_dir: &Arc<dyn Inode>,
        new_name: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        let dst = self.same_gofer(new_dir)?;
        self.client()
            .rename(self.fid, name, dst.fid, new_name, flags)?;
        self.forget(name);
        dst.forget(new_name);
        self.changed();
        dst.changed();
        Ok(())
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        self.client().readlink(self.fid)
    }

    fn getxattr(&self, name: &[u8]) -> Result<Vec<u8>, Errno> {
        self.client().getxattr(self.fid, name)
    }

    fn setxattr(&self, name: &[u8], value: &[u8], flags: u32) -> Result<(), Errno> {
        self.client().setxattr(self.fid, name, value, flags)
    }

    fn listxattr(&self) -> Result<Vec<Vec<u8>>, Errno> {
        self.client().listxattr(self.fid)
    }

    fn removexattr(&self, name: &[u8]) -> Result<(), Errno> {
        self.client().removexattr(self.fid, name)
    }

    fn statfs(&self) -> Result<Statfs, Errno> {
        let s = self.client().statfs(self.fid)?;
        Ok(Statfs {
            f_type: s.fs_type as i64,
            f_bsize: s.bsize as i64,
            f_blocks: s.blocks,
            f_bfree: s.bfree,
            f_bavail: s.bavail,
            f_files: s.files,
            f_ffree: s.ffree,
            f_fsid: s.fsid,
            f_namelen: s.namelen as i64,
            f_frsize: s.frsize as i64,
            f_flags: s.flags as i64,
            f_spare: [0; 4],
        })
    }

    fn setattr(&self, attr: &SetAttr) -> Result<(), Errno> {
        let set = gofer::SetAttr {
            mode: attr.mode,
            uid: attr.uid,
            gid: attr.gid,
            size: attr.size,
            atime: time_set(attr.atime),
            mtime: time_set(attr.mtime),
        };
        self.client().setattr(self.fid, set)?;
        self.changed();
        Ok(())
    }

    fn open(&self, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        if self.kind() == S_IFDIR {
            return Ok(Arc::new(GoferDir { inode: self.arc()? }));
        }
        let keep = (libc::O_ACCMODE | libc::O_TRUNC | libc::O_APPEND | libc::O_DSYNC | libc::O_SYNC)
            as u32;
        let fd = self.client().open(self.fid, flags & keep)?;
        Ok(Arc::new(GoferFile {
            inode: self.arc()?,
            source: Arc::new(FdSource { fd }),
        }))
    }

    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        if self.kind() != S_IFDIR {
            return Err(Errno::ENOTDIR);
        }
        let ino = self.attr.lock().ino;
        let mut out = vec![
            DirEntry {
                ino,
                kind: 4,
                name: b".".to_vec(),
            },
            DirEntry {
                ino,
                kind: 4,
                name: b"..".to_vec(),
            },
        ];
        let mut offset = 0;
        loop {
            let batch = self.client().readdir(self.fid, offset, READDIR_BATCH)?;
            let Some(last) = batch.last() else { break };
            offset = last.next_offset;
            out.extend(batch.into_iter().map(|d| DirEntry {
                ino: d.ino,
                kind: d.kind,
                name: d.name,
            }));
        }
        Ok(out)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A host descriptor donated by the gofer.
struct FdSource {
    fd: OwnedFd,
}

impl Mappable for FdSource {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        pread(&self.fd, offset, buf).unwrap_or(0)
    }
    fn name(&self) -> String {
        format!("gofer fd {}", self.fd.as_raw_fd())
    }
}

fn nix_errno(e: nix::errno::Errno) -> Errno {
    Errno(e as i32 as u16)
}

fn pread(fd: &OwnedFd, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    nix::sys::uio::pread(fd, buf, offset as i64).map_err(nix_errno)
}

/// An open regular file (or FIFO, socket...) of the gofer.
struct GoferFile {
    inode: Arc<GoferInode>,
    source: Arc<FdSource>,
}

impl FileOps for GoferFile {
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        pread(&self.source.fd, offset, buf)
    }

    fn write(&self, offset: u64, buf: &[u8]) -> Result<usize, Errno> {
        self.inode.mark_stale();
        nix::sys::uio::pwrite(&self.source.fd, buf, offset as i64).map_err(nix_errno)
    }

    fn stat(&self) -> Result<Stat, Errno> {
        self.inode.stat()
    }

    fn seekable(&self) -> bool {
        self.inode.kind() == S_IFREG
    }

    fn mappable(&self) -> Option<Arc<dyn Mappable>> {
        (self.inode.kind() == S_IFREG).then(|| self.source.clone() as Arc<dyn Mappable>)
    }

    fn host_fd(&self) -> Option<std::os::fd::RawFd> {
        (self.inode.kind() == S_IFREG).then(|| self.source.fd.as_raw_fd())
    }

    fn fallocate(&self, mode: u32, offset: u64, len: u64) -> Result<(), Errno> {
        self.inode.mark_stale();
        let flags = nix::fcntl::FallocateFlags::from_bits(mode as i32).ok_or(Errno::EOPNOTSUPP)?;
        nix::fcntl::fallocate(self.source.fd.as_raw_fd(), flags, offset as i64, len as i64)
            .map_err(nix_errno)
    }

    fn fsync(&self) -> Result<(), Errno> {
        nix::unistd::fsync(self.source.fd.as_raw_fd()).map_err(nix_errno)
    }
}

/// An open gofer directory: listing goes through the inode.
struct GoferDir {
    inode: Arc<GoferInode>,
}

impl FileOps for GoferDir {
    fn read(&self, _: u64, _: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        self.inode.stat()
    }
    fn seekable(&self) -> bool {
        true
    }
}
