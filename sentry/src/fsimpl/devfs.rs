//! /dev: a tmpfs holding the standard device files, each covered by a device
//! inode mounted over it, plus `shm` (a tmpfs), `pts` (devpts, with `ptmx` a
//! link to `pts/ptmx`), and the `fd`/`std*` links. `tty` opens the caller's
//! controlling terminal.
//! `console` exists only when the container has a terminal: it is the host
//! terminal the sandbox's stdio is on, which is also /dev/pts/0 (runc
//! bind-mounts the console's pty over /dev/console).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use abi::Errno;
use abi::types::Stat;

use super::tmpfs::Tmpfs;
use crate::fs::FileOps;
use crate::fs::host_fd::HostFd;
use crate::fs::host_tty::HostTty;
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
    /// The caller's controlling terminal (ENXIO without one).
    Tty,
    /// The container's console when it is no terminal (see [`Console`]).
    Console,
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
            Device::Console => (5, 1),
        }
    }
}

static NEXT_INO: AtomicU64 = AtomicU64::new(1);
/// Device number of the device inodes themselves (a devtmpfs-like anonymous dev).
const DEVFS_DEV: u64 = 0x06;

pub struct DeviceInode {
    device: Device,
    ino: u64,
    /// What a device backed by a host file (a `Console::Stream`) reads and writes.
    host: Option<Arc<dyn FileOps>>,
    me: std::sync::Weak<DeviceInode>,
}

impl DeviceInode {
    pub fn new(device: Device) -> Arc<DeviceInode> {
        DeviceInode::with_host(device, None)
    }

    fn with_host(device: Device, host: Option<Arc<dyn FileOps>>) -> Arc<DeviceInode> {
        Arc::new_cyclic(|me| DeviceInode {
            device,
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            host,
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

    fn open(&self, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        let inode = self.me.upgrade().ok_or(Errno::EIO)?;
        match (self.device, &self.host) {
            (Device::Tty, _) => {
                let ctty = crate::task::current::with(|p, _| p.ctty.lock().clone()).flatten();
                let file = ctty.ok_or(Errno::ENXIO)?.reopen(flags)?;
                Ok(Arc::new(DevTtyFile { inode, file }))
            }
            (Device::Console, None) => Err(Errno::ENXIO),
            (Device::Console, Some(host)) => Ok(Arc::new(ConsoleFile {
                inode,
                host: host.clone(),
            })),
            _ => Ok(Arc::new(DeviceFile { inode })),
        }
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
            Device::Tty | Device::Console => Err(Errno::ENXIO),
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

/// The open console when it is a host file but no terminal: the file's I/O
/// under the device's identity.
struct ConsoleFile {
    inode: Arc<DeviceInode>,
    host: Arc<dyn FileOps>,
}

impl FileOps for ConsoleFile {
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.host.read(offset, buf)
    }

    fn write(&self, offset: u64, buf: &[u8]) -> Result<usize, Errno> {
        self.host.write(offset, buf)
    }

    fn stat(&self) -> Result<Stat, Errno> {
        self.inode.stat()
    }

    fn seekable(&self) -> bool {
        false
    }

    fn ioctl(&self, request: u32, arg: &mut [u8]) -> Result<u64, Errno> {
        self.host.ioctl(request, arg)
    }

    fn readiness(&self, mask: u32) -> u32 {
        self.host.readiness(mask)
    }

    fn wait_queue(&self) -> Option<&crate::waiter::Queue> {
        self.host.wait_queue()
    }

    fn terminal(&self) -> Option<crate::fsimpl::tty::TtyFile> {
        self.host.terminal()
    }
}

/// /dev/tty opened: the controlling terminal under /dev/tty's identity.
struct DevTtyFile {
    inode: Arc<DeviceInode>,
    file: Arc<dyn FileOps>,
}

impl FileOps for DevTtyFile {
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.file.read(offset, buf)
    }
    fn write(&self, offset: u64, buf: &[u8]) -> Result<usize, Errno> {
        self.file.write(offset, buf)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        self.inode.stat()
    }
    fn seekable(&self) -> bool {
        false
    }
    fn ioctl(&self, request: u32, arg: &mut [u8]) -> Result<u64, Errno> {
        self.file.ioctl(request, arg)
    }
    fn readiness(&self, mask: u32) -> u32 {
        self.file.readiness(mask)
    }
    fn wait_queue(&self) -> Option<&crate::waiter::Queue> {
        self.file.wait_queue()
    }
    fn terminal(&self) -> Option<crate::fsimpl::tty::TtyFile> {
        self.file.terminal()
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

/// What /dev/console is, when the container has a console.
pub enum Console {
    /// A host terminal: devpts names it first (/dev/pts/0) and /dev/console
    /// is that node.
    Terminal(Arc<HostTty>),
    /// The spec asks for a terminal but the host gave none: a 5:1 device
    /// reading and writing this file.
    Stream(Arc<dyn FileOps>),
}

impl Console {
    /// The console on host descriptor `fd` (which the sentry keeps open).
    pub fn on_host_fd(fd: i32) -> Console {
        match HostTty::of(fd) {
            Some(tty) => Console::Terminal(tty),
            None => Console::Stream(Arc::new(HostFd::new(fd))),
        }
    }
}

/// Mounts a fresh /dev over `dev` (a directory of the namespace), with
/// `console` as /dev/console; without one there is no /dev/console (as in
/// gVisor without a console).
pub fn mount_devfs(
    ns: &MountNamespace,
    dev: &VfsPath,
    top: &VfsPath,
    console: Option<Console>,
) -> Result<(), Errno> {
    let root_creds = Credentials::new(0, 0, Vec::new());
    let devroot = Tmpfs::new_root(0o755, 0, 0);
    let devpts = super::devpts::Devpts::new();
    let mut devices: Vec<(Arc<dyn Inode>, &str)> = Device::ALL
        .iter()
        .map(|&(device, name)| (DeviceInode::new(device) as Arc<dyn Inode>, name))
        .collect();
    match console {
        Some(Console::Terminal(tty)) => devices.push((devpts.set_console(tty)?, "console")),
        Some(Console::Stream(host)) => devices.push((
            DeviceInode::with_host(Device::Console, Some(host)),
            "console",
        )),
        None => {}
    }
    // Placeholder files that the device inodes cover.
    for (_, name) in &devices {
        devroot.mknod(name.as_bytes(), S_IFREG | 0o666, &root_creds)?;
    }
    devroot.mkdir(b"pts", 0o755, &root_creds)?;
    devroot.symlink(b"ptmx", b"pts/ptmx", &root_creds)?;
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
    for (inode, name) in devices {
        let file = resolver.resolve(&devdir, name.as_bytes(), false)?;
        ns.mount(&file, inode, false, "devnode", "devfs".into())?;
    }
    let pts = resolver.resolve(&devdir, b"pts", false)?;
    ns.mount(&pts, devpts.root(), false, "devpts", "devpts".into())?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::inode::S_IFMT;
    use parking_lot::Mutex;

    /// A stand-in for the host terminal that keeps what is written to it.
    #[derive(Default)]
    struct Terminal {
        written: Mutex<Vec<u8>>,
    }

    impl FileOps for Terminal {
        fn read(&self, _offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
            buf[..3].copy_from_slice(b"in\n");
            Ok(3)
        }
        fn write(&self, _offset: u64, buf: &[u8]) -> Result<usize, Errno> {
            self.written.lock().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn stat(&self) -> Result<Stat, Errno> {
            Err(Errno::EIO)
        }
        fn seekable(&self) -> bool {
            false
        }
    }

    fn dev_with(console: Option<Console>) -> (MountNamespace, VfsPath) {
        let root = Tmpfs::new_root(0o755, 0, 0);
        root.mkdir(b"dev", 0o755, &Credentials::new(0, 0, Vec::new()))
            .unwrap();
        let ns = MountNamespace::new(root, false, "tmpfs", "none".into());
        let top = VfsPath::root_of(&ns);
        let resolver = Resolver {
            ns: &ns,
            root: top.clone(),
            creds: Arc::new(Credentials::new(0, 0, Vec::new())),
            limits: Default::default(),
        };
        let dev = resolver.resolve(&top, b"/dev", true).unwrap();
        mount_devfs(&ns, &dev, &top, console).unwrap();
        (ns, top)
    }

    fn lookup(ns: &MountNamespace, top: &VfsPath, path: &str) -> Result<VfsPath, Errno> {
        let resolver = Resolver {
            ns,
            root: top.clone(),
            creds: Arc::new(Credentials::new(0, 0, Vec::new())),
            limits: Default::default(),
        };
        resolver.resolve(top, path.as_bytes(), true)
    }

    #[test]
    fn a_console_stream_is_5_1_and_reaches_the_file() {
        let term = Arc::new(Terminal::default());
        let (ns, top) = dev_with(Some(Console::Stream(term.clone())));
        let console = lookup(&ns, &top, "/dev/console").unwrap();
        let st = console.inode().stat().unwrap();
        assert_eq!(st.mode & S_IFMT, S_IFCHR);
        assert_eq!(st.rdev, (5 << 8) | 1);
        let file = console.inode().open(libc::O_RDWR as u32).unwrap();
        assert_eq!(file.write(0, b"hello").unwrap(), 5);
        assert_eq!(&*term.written.lock(), b"hello");
        let mut buf = [0u8; 8];
        assert_eq!(file.read(0, &mut buf).unwrap(), 3);
        assert_eq!(file.stat().unwrap().rdev, (5 << 8) | 1);
        assert!(!file.seekable());
        // The other devices are unchanged.
        let tty = lookup(&ns, &top, "/dev/tty").unwrap();
        assert_eq!(tty.inode().stat().unwrap().rdev, 5 << 8);
    }

    #[test]
    fn no_terminal_no_console() {
        let (ns, top) = dev_with(None);
        assert_eq!(lookup(&ns, &top, "/dev/console").err(), Some(Errno::ENOENT));
        assert!(lookup(&ns, &top, "/dev/null").is_ok());
    }
}
