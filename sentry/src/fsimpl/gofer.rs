//! Files served by the gofer: every lookup is a walk of one component from a node
//! the gofer holds; opening a file gets a host descriptor donated by the gofer,
//! so reads and writes go straight to the host file.

use std::os::fd::{AsRawFd, OwnedFd};
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
    client: Arc<Client>,
    fid: Fid,
    attr: Mutex<Attr>,
    me: Weak<GoferInode>,
}

/// The root of the filesystem the gofer behind `client` serves.
pub fn new_root(client: Arc<Client>) -> Result<Arc<dyn Inode>, Errno> {
    let (fid, attr) = client.attach()?;
    Ok(GoferInode::new_inode(client, fid, attr))
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
    fn new_inode(client: Arc<Client>, fid: Fid, attr: Attr) -> Arc<dyn Inode> {
        Arc::new_cyclic(|me| GoferInode {
            client,
            fid,
            attr: Mutex::new(attr),
            me: me.clone(),
        })
    }

    fn arc(&self) -> Result<Arc<GoferInode>, Errno> {
        self.me.upgrade().ok_or(Errno::EIO)
    }

    /// Re-reads the attributes (after changes, and for files whose size moves).
    fn refresh(&self) -> Result<Attr, Errno> {
        let attr = self.client.stat(self.fid)?;
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
            .filter(|o| Arc::ptr_eq(&o.client, &self.client))
            .ok_or(Errno::EXDEV)
    }

    fn changed(&self) {
        let _ = self.refresh();
    }
}

impl Drop for GoferInode {
    fn drop(&mut self) {
        let _ = self.client.close(self.fid);
    }
}

impl Inode for GoferInode {
    fn stat(&self) -> Result<Stat, Errno> {
        // Directories change only through us (we refresh then); files may be
        // written through descriptors, so ask.
        let attr = if self.kind() == S_IFDIR {
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
        let (fid, attr) = self.client.walk(self.fid, name)?;
        Ok(GoferInode::new_inode(self.client.clone(), fid, attr))
    }

    fn mknod(&self, name: &[u8], mode: u32, creds: &Credentials) -> Result<Arc<dyn Inode>, Errno> {
        let (fid, attr) = match mode & S_IFMT {
            S_IFREG | 0 => {
                let flags = libc::O_RDONLY as u32;
                let (fid, attr, _fd) = self.client.create(
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
                .client
                .mknod(self.fid, name, mode, creds.euid, creds.egid)?,
            _ => return Err(Errno::EPERM),
        };
        self.changed();
        Ok(GoferInode::new_inode(self.client.clone(), fid, attr))
    }

    fn mkdir(&self, name: &[u8], mode: u32, creds: &Credentials) -> Result<Arc<dyn Inode>, Errno> {
        let (fid, attr) =
            self.client
                .mkdir(self.fid, name, mode & 0o7777, creds.euid, creds.egid)?;
        self.changed();
        Ok(GoferInode::new_inode(self.client.clone(), fid, attr))
    }

    fn symlink(
        &self,
        name: &[u8],
        target: &[u8],
        creds: &Credentials,
    ) -> Result<Arc<dyn Inode>, Errno> {
        let (fid, attr) = self
            .client
            .symlink(self.fid, name, target, creds.euid, creds.egid)?;
        self.changed();
        Ok(GoferInode::new_inode(self.client.clone(), fid, attr))
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        let target = self.same_gofer(target)?;
        let (fid, _) = self.client.link(self.fid, name, target.fid)?;
        let _ = self.client.close(fid);
        self.changed();
        target.changed();
        Ok(())
    }

    fn unlink(&self, name: &[u8]) -> Result<(), Errno> {
        self.client.unlink(self.fid, name, 0)?;
        self.changed();
        Ok(())
    }

    fn rmdir(&self, name: &[u8]) -> Result<(), Errno> {
        self.client.unlink(self.fid, name, AT_REMOVEDIR)?;
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
        self.client
            .rename(self.fid, name, dst.fid, new_name, flags)?;
        self.changed();
        dst.changed();
        Ok(())
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        self.client.readlink(self.fid)
    }

    fn getxattr(&self, name: &[u8]) -> Result<Vec<u8>, Errno> {
        self.client.getxattr(self.fid, name)
    }

    fn setxattr(&self, name: &[u8], value: &[u8], flags: u32) -> Result<(), Errno> {
        self.client.setxattr(self.fid, name, value, flags)
    }

    fn listxattr(&self) -> Result<Vec<Vec<u8>>, Errno> {
        self.client.listxattr(self.fid)
    }

    fn removexattr(&self, name: &[u8]) -> Result<(), Errno> {
        self.client.removexattr(self.fid, name)
    }

    fn statfs(&self) -> Result<Statfs, Errno> {
        let s = self.client.statfs(self.fid)?;
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
        self.client.setattr(self.fid, set)?;
        self.changed();
        Ok(())
    }

    fn open(&self, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        if self.kind() == S_IFDIR {
            return Ok(Arc::new(GoferDir { inode: self.arc()? }));
        }
        let keep = (libc::O_ACCMODE | libc::O_TRUNC | libc::O_APPEND | libc::O_DSYNC | libc::O_SYNC)
            as u32;
        let fd = self.client.open(self.fid, flags & keep)?;
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
            let batch = self.client.readdir(self.fid, offset, READDIR_BATCH)?;
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
