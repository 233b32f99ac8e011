//! TEMPORARY: read-only access to the container's root filesystem from the sentry.
//!
//! Until the gofer serves files, the sentry reads the container's root itself,
//! through this one module (exposed to the VFS as the read-only filesystem
//! [`HostRootInode`]), so that it is replaced, not grown. Every path resolves inside the
//! root (`openat2` with `RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS`), and files are
//! only ever opened read-only.

use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;

use abi::Errno;
use abi::types::{Stat, Timespec};

use crate::mm::Mappable;
use crate::vfs::{DirEntry, Inode, InodeKey};

/// The container's root directory, held open.
pub struct RootFs {
    root: OwnedFd,
}

/// `struct open_how` of `openat2(2)`.
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
const RESOLVE_IN_ROOT: u64 = 0x10;

impl RootFs {
    pub fn open(root: &Path) -> std::io::Result<RootFs> {
        let dir = File::open(root)?;
        if !dir.metadata()?.is_dir() {
            return Err(std::io::Error::other(format!(
                "{} is not a directory",
                root.display()
            )));
        }
        Ok(RootFs { root: dir.into() })
    }

    /// Opens `path` (absolute inside the root) read-only.
    pub fn open_file(&self, path: &str) -> Result<HostFile, Errno> {
        self.open_with(path, 0)
    }

    /// Opens `path` read-only with some of `O_NOFOLLOW`, `O_DIRECTORY` and `O_PATH`
    /// (`O_PATH | O_NOFOLLOW` opens a symlink itself, for `lstat`).
    pub fn open_with(&self, path: &str, extra: i32) -> Result<HostFile, Errno> {
        let extra = extra & (libc::O_NOFOLLOW | libc::O_DIRECTORY | libc::O_PATH);
        let c_path = std::ffi::CString::new(path).map_err(|_| Errno::EINVAL)?;
        // openat2 refuses O_PATH combined with anything but O_DIRECTORY/O_NOFOLLOW/O_CLOEXEC.
        let base = if extra & libc::O_PATH != 0 {
            libc::O_CLOEXEC
        } else {
            libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOCTTY
        };
        let how = OpenHow {
            flags: (base | extra) as u64,
            mode: 0,
            resolve: RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        // SAFETY: openat2 reads the NUL-terminated path and the open_how struct of the
        // size we pass; both outlive the call.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                self.root.as_raw_fd(),
                c_path.as_ptr(),
                &how as *const OpenHow,
                std::mem::size_of::<OpenHow>(),
            )
        };
        if fd < 0 {
            return Err(Errno(nix::errno::Errno::last_raw() as u16));
        }
        // SAFETY: openat2 returned a new descriptor that nothing else owns.
        let file = File::from(unsafe { OwnedFd::from_raw_fd(fd as i32) });
        let meta = file.metadata().map_err(|_| Errno::EIO)?;
        Ok(HostFile {
            file,
            stat: stat_of(&meta),
            path: path.to_string(),
        })
    }
}

/// A file of the root, open read-only.
pub struct HostFile {
    pub(crate) file: File,
    stat: Stat,
    path: String,
}

impl HostFile {
    pub fn stat(&self) -> Stat {
        self.stat
    }
    pub fn path(&self) -> &str {
        &self.path
    }
    pub fn is_dir(&self) -> bool {
        self.stat.mode & libc::S_IFMT == libc::S_IFDIR
    }
    pub fn is_regular(&self) -> bool {
        self.stat.mode & libc::S_IFMT == libc::S_IFREG
    }
    /// Reads at `offset`; `EISDIR` for directories.
    pub fn pread(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if self.is_dir() {
            return Err(Errno::EISDIR);
        }
        self.file
            .read_at(buf, offset)
            .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EIO) as u16))
    }
}

impl Mappable for HostFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        self.pread(offset, buf).unwrap_or(0)
    }
    fn name(&self) -> String {
        self.path.clone()
    }
}

fn stat_of(m: &std::fs::Metadata) -> Stat {
    Stat {
        dev: m.dev(),
        ino: m.ino(),
        nlink: m.nlink(),
        mode: m.mode(),
        uid: m.uid(),
        gid: m.gid(),
        pad0: 0,
        rdev: m.rdev(),
        size: m.size() as i64,
        blksize: m.blksize() as i64,
        blocks: m.blocks() as i64,
        atime: Timespec {
            tv_sec: m.atime(),
            tv_nsec: m.atime_nsec(),
        },
        mtime: Timespec {
            tv_sec: m.mtime(),
            tv_nsec: m.mtime_nsec(),
        },
        ctime: Timespec {
            tv_sec: m.ctime(),
            tv_nsec: m.ctime_nsec(),
        },
        reserved: [0; 3],
    }
}

/// An open root file as the sandbox sees it: read-only, mappable.
pub struct RootFileOps {
    pub file: std::sync::Arc<HostFile>,
}

impl crate::fs::FileOps for RootFileOps {
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.file.pread(offset, buf)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.file.stat)
    }
    fn seekable(&self) -> bool {
        true
    }
    fn path(&self) -> Option<String> {
        Some(self.file.path.clone())
    }
    fn mappable(&self) -> Option<std::sync::Arc<dyn Mappable>> {
        if self.file.is_regular() {
            Some(self.file.clone())
        } else {
            None
        }
    }
}

/// The root directory tree as a read-only VFS filesystem (until the gofer's).
pub struct HostRootInode {
    root: std::sync::Arc<RootFs>,
    path: String,
    stat: Stat,
}

impl HostRootInode {
    pub fn root(root: std::sync::Arc<RootFs>) -> Result<std::sync::Arc<dyn Inode>, Errno> {
        let stat = root.open_with("/", libc::O_PATH)?.stat();
        Ok(std::sync::Arc::new(HostRootInode {
            root,
            path: "/".into(),
            stat,
        }))
    }

    fn child_path(&self, name: &[u8]) -> Result<String, Errno> {
        let name = std::str::from_utf8(name).map_err(|_| Errno::ENOENT)?;
        Ok(if self.path == "/" {
            format!("/{name}")
        } else {
            format!("{}/{name}", self.path)
        })
    }
}

impl Inode for HostRootInode {
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.stat)
    }

    fn key(&self) -> InodeKey {
        (self.stat.dev, self.stat.ino)
    }

    fn mode(&self) -> u32 {
        self.stat.mode
    }

    fn lookup(&self, name: &[u8]) -> Result<std::sync::Arc<dyn Inode>, Errno> {
        let path = self.child_path(name)?;
        let stat = self
            .root
            .open_with(&path, libc::O_PATH | libc::O_NOFOLLOW)?
            .stat();
        Ok(std::sync::Arc::new(HostRootInode {
            root: self.root.clone(),
            path,
            stat,
        }))
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        let link = self
            .root
            .open_with(&self.path, libc::O_PATH | libc::O_NOFOLLOW)?;
        let target = nix::fcntl::readlinkat(Some(link.file.as_raw_fd()), "")
            .map_err(|e| Errno(e as i32 as u16))?;
        Ok(target.into_encoded_bytes())
    }

    fn open(&self, flags: u32) -> Result<std::sync::Arc<dyn crate::fs::FileOps>, Errno> {
        if flags & libc::O_ACCMODE as u32 != libc::O_RDONLY as u32
            || flags & libc::O_TRUNC as u32 != 0
        {
            return Err(Errno::EROFS);
        }
        let file = self.root.open_with(&self.path, libc::O_NOFOLLOW)?;
        Ok(std::sync::Arc::new(RootFileOps {
            file: std::sync::Arc::new(file),
        }))
    }

    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        let dir = self
            .root
            .open_with(&self.path, libc::O_DIRECTORY | libc::O_NOFOLLOW)?;
        // Dir takes ownership of the descriptor and closes it.
        let fd = std::os::fd::IntoRawFd::into_raw_fd(dir.file);
        let mut dir = nix::dir::Dir::from_fd(fd).map_err(|e| Errno(e as i32 as u16))?;
        let mut out = Vec::new();
        for entry in dir.iter() {
            let entry = entry.map_err(|e| Errno(e as i32 as u16))?;
            let kind = match entry.file_type() {
                Some(nix::dir::Type::Directory) => 4,
                Some(nix::dir::Type::File) => 8,
                Some(nix::dir::Type::Symlink) => 10,
                Some(nix::dir::Type::Fifo) => 1,
                Some(nix::dir::Type::CharacterDevice) => 2,
                Some(nix::dir::Type::BlockDevice) => 6,
                Some(nix::dir::Type::Socket) => 12,
                None => 0,
            };
            out.push(DirEntry {
                ino: entry.ino(),
                kind,
                name: entry.file_name().to_bytes().to_vec(),
            });
        }
        Ok(out)
    }

    fn mknod(
        &self,
        _: &[u8],
        _: u32,
        _: &crate::task::Credentials,
    ) -> Result<std::sync::Arc<dyn Inode>, Errno> {
        Err(Errno::EROFS)
    }
    fn mkdir(
        &self,
        _: &[u8],
        _: u32,
        _: &crate::task::Credentials,
    ) -> Result<std::sync::Arc<dyn Inode>, Errno> {
        Err(Errno::EROFS)
    }
    fn symlink(
        &self,
        _: &[u8],
        _: &[u8],
        _: &crate::task::Credentials,
    ) -> Result<std::sync::Arc<dyn Inode>, Errno> {
        Err(Errno::EROFS)
    }
    fn link(&self, _: &[u8], _: &std::sync::Arc<dyn Inode>) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }
    fn unlink(&self, _: &[u8]) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }
    fn rmdir(&self, _: &[u8]) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }
    fn rename(
        &self,
        _: &[u8],
        _: &std::sync::Arc<dyn Inode>,
        _: &[u8],
        _: u32,
    ) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }
    fn setattr(&self, _: &crate::vfs::SetAttr) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
