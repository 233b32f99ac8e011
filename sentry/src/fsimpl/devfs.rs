//! /dev: a tmpfs holding the standard device files, each covered by a device
//! inode mounted over it, plus `shm` (a tmpfs), `pts`, and the `fd`/`std*` links.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use abi::Errno;
use abi::types::Stat;

use super::tmpfs::Tmpfs;
use crate::fs::FileOps;
use crate::mm::Mappable;
use crate::task::Credentials;
use crate::vfs::inode::{S_IFCHR, S_IFREG};
use crate::vfs::{Inode, InodeKey, MountNamespace, Resolver, VfsPath};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    Null,
    Zero,
    Full,
    Random,
    URandom,
    /// The controlling terminal: the sandbox's processes have none yet.
    Tty,
}

impl Device {
    const ALL: [(Device, &'static str); 6] = [
        (Device::Null, "null"),
        (Device::Zero, "zero"),
        (Device::Full, "full"),
        (Device::Random, "random"),
        (Device::URandom, "urandom"),
        (Device::Tty, "tty"),
    ];

    /// Linux's (major, minor).
    fn number(self) -> (u64, u64) {
        match self {
            Device::Null => (1, 3),
            Device::Zero => (1, 5),
            Device::Full => (1, 7),
            Device::Random => (1, 8),
            Device::URandom => (1, 9),
            Device::Tty => (5, 0),
        }
    }
}

static NEXT_INO: AtomicU64 = AtomicU64::new(1);
/// Device number of the device inodes themselves (a devtmpfs-like anonymous dev).
const DEVFS_DEV: u64 = 0x06;

pub struct DeviceInode {
    device: Device,
    ino: u64,
    me: std::sync::Weak<DeviceInode>,
}

impl DeviceInode {
    pub fn new(device: Device) -> Arc<DeviceInode> {
        Arc::new_cyclic(|me| DeviceInode {
            device,
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            me: me.clone(),
        })
    }
}

impl Inode for DeviceInode {
    fn stat(&self) -> Result<Stat, Errno> {
        let (major, minor) = self.device.number();
        Ok(Stat {
            dev: DEVFS_DEV,
            ino: self.ino,
            nlink: 1,
            mode: S_IFCHR | 0o666,
            rdev: (major << 8) | minor,
            blksize: 4096,
            ..Default::default()
        })
    }

    fn key(&self) -> InodeKey {
        (DEVFS_DEV, self.ino)
    }

    fn mode(&self) -> u32 {
        S_IFCHR | 0o666
    }

    fn open(&self, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        if self.device == Device::Tty {
            return Err(Errno::ENXIO);
        }
        Ok(Arc::new(DeviceFile {
            inode: self.me.upgrade().ok_or(Errno::EIO)?,
        }))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

struct DeviceFile {
    inode: Arc<DeviceInode>,
}

impl FileOps for DeviceFile {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        match self.inode.device {
            Device::Null => Ok(0),
            Device::Zero | Device::Full => {
                buf.fill(0);
                Ok(buf.len())
            }
            Device::Random | Device::URandom => crate::host::random_bytes(buf, 0),
            Device::Tty => Err(Errno::ENXIO),
        }
    }

    fn write(&self, _offset: u64, buf: &[u8]) -> Result<usize, Errno> {
        match self.inode.device {
            Device::Full => Err(Errno::ENOSPC),
            _ => Ok(buf.len()),
        }
    }

    fn stat(&self) -> Result<Stat, Errno> {
        self.inode.stat()
    }

    fn seekable(&self) -> bool {
        true
    }

    fn size(&self) -> Result<u64, Errno> {
        Ok(0)
    }

    /// Private mappings of /dev/zero are zero-filled memory.
    fn mappable(&self) -> Option<Arc<dyn Mappable>> {
        (self.inode.device == Device::Zero).then(|| Arc::new(ZeroSource) as Arc<dyn Mappable>)
    }
}

struct ZeroSource;

impl Mappable for ZeroSource {
    fn read_at(&self, _offset: u64, _buf: &mut [u8]) -> usize {
        // Fresh memory-file pages are already zero.
        0
    }
    fn name(&self) -> String {
        "/dev/zero".into()
    }
}

/// Mounts a fresh /dev over `dev` (a directory of the namespace).
pub fn mount_devfs(ns: &MountNamespace, dev: &VfsPath, top: &VfsPath) -> Result<(), Errno> {
    let root_creds = Credentials::new(0, 0, Vec::new());
    let devroot = Tmpfs::new_root(0o755, 0, 0);
    // Placeholder files that the device inodes cover.
    for (_, name) in Device::ALL {
        devroot.mknod(name.as_bytes(), S_IFREG | 0o666, &root_creds)?;
    }
    devroot.mkdir(b"pts", 0o755, &root_creds)?;
    devroot.mkdir(b"shm", 0o1777, &root_creds)?;
    for (name, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        devroot.symlink(name.as_bytes(), target.as_bytes(), &root_creds)?;
    }
    let dev_mount = ns.mount(dev, devroot, false, "devtmpfs", "devtmpfs".into())?;
    let resolver = Resolver {
        ns,
        root: top.clone(),
        creds: std::sync::Arc::new(root_creds.clone()),
        limits: Default::default(),
    };
    let devdir = resolver.resolve(top, &dev.to_bytes(), true)?;
    debug_assert_eq!(devdir.mount().id, dev_mount.id);
    for (device, name) in Device::ALL {
        let file = resolver.resolve(&devdir, name.as_bytes(), false)?;
        ns.mount(
            &file,
            DeviceInode::new(device),
            false,
            "devnode",
            "devfs".into(),
        )?;
    }
    let shm = resolver.resolve(&devdir, b"shm", false)?;
    ns.mount(
        &shm,
        Tmpfs::new_root(0o1777, 0, 0),
        false,
        "tmpfs",
        "shm".into(),
    )?;
    Ok(())
}
