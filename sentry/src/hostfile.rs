//! TEMPORARY: read-only access to the container's root filesystem from the sentry.
//!
//! Until the gofer serves files (the next issue), the sentry opens executables,
//! the dynamic loader's libraries and other read-only files itself, through this
//! one module, so that it is replaced, not grown. Every path resolves inside the
//! root (`openat2` with `RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS`), and files are
//! only ever opened read-only.

use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;

use abi::Errno;
use abi::types::{Stat, Timespec};

use crate::mm::Mappable;

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
    file: File,
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
