//! tmpfs: a filesystem that lives in sentry memory; file data is in pages
//! of the memory file (`data`), bounded by the filesystem's size (`space`).

mod data;
mod options;
mod space;

pub use data::MAX_SIZE;
pub use options::Options;
pub use space::parse_size;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use abi::Errno;
use abi::linux::{FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE};
use abi::types::{Stat, Timespec};
use parking_lot::Mutex;

use self::data::FileData;
use self::space::Space;
use crate::fs::FileOps;
use crate::memfile::MemoryFile;
use crate::mm::{CacheSlot, Mappable};
use crate::task::Credentials;
use crate::vfs::inode::{S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, dirent_type};
use crate::vfs::{DirEntry, Inode, InodeKey, SetAttr, TimeSet};

/// Device numbers for in-sentry filesystems (anonymous devices, major 0).
static NEXT_DEV: AtomicU64 = AtomicU64::new(0x30);

/// Directory size per entry Linux's tmpfs reports (BOGO_DIRENT_SIZE).
const BOGO_DIRENT_SIZE: i64 = 20;

struct Shared {
    dev: u64,
    next_ino: AtomicU64,
    /// Serializes renames so two directories are never locked in both orders.
    rename_lock: Mutex<()>,
    /// Where file data lives, and how much of it the filesystem may hold.
    memfile: Arc<MemoryFile>,
    space: Arc<Space>,
}

pub struct Tmpfs;

impl Tmpfs {
    /// A regular file in a private tmpfs, reachable only through the returned
    /// file (memfd_create).
    pub fn anonymous_file(creds: &Credentials) -> Arc<dyn FileOps> {
        let root = Self::new_root(0o700, creds.fsuid, creds.fsgid);
        let file = root
            .mknod(b"memfd", S_IFREG | 0o777, creds)
            .expect("a fresh tmpfs takes a file");
        let _ = root.unlink(b"memfd");
        file.open(libc::O_RDWR as u32).expect("tmpfs files open")
    }

    /// A new, empty tmpfs of Linux's default size (half the memory);
    /// returns its root directory.
    pub fn new_root(mode: u32, uid: u32, gid: u32) -> Arc<dyn Inode> {
        Self::new_root_sized(mode, uid, gid, Space::default_size())
    }

    /// A new tmpfs made with mount options (`size=64m`, `mode=1777`...).
    pub fn with_options<'a>(
        options: impl IntoIterator<Item = &'a str>,
    ) -> Result<Arc<dyn Inode>, Errno> {
        let o = Options::parse(options)?;
        Ok(Self::new_root_sized(o.mode, o.uid, o.gid, o.max_bytes))
    }

    /// A new, empty tmpfs holding at most `max_bytes` of file data (its
    /// `size=`): past it, writes get ENOSPC.
    pub fn new_root_sized(mode: u32, uid: u32, gid: u32, max_bytes: u64) -> Arc<dyn Inode> {
        // Boot makes the memory file before anything else; failing to make
        // it here leaves no sandbox to run.
        let memfile = MemoryFile::global().expect("the sandbox's memory file");
        let shared = Arc::new(Shared {
            dev: NEXT_DEV.fetch_add(1, Ordering::Relaxed),
            next_ino: AtomicU64::new(1),
            rename_lock: Mutex::new(()),
            memfile,
            space: Arc::new(Space::new(max_bytes)),
        });
        let creds = Credentials::new(uid, gid, Vec::new());
        TmpInode::new(
            &shared,
            S_IFDIR | (mode & 0o7777),
            &creds,
            Kind::Dir {
                entries: Mutex::default(),
                parent: Mutex::new(Weak::new()),
            },
        )
    }
}

struct Meta {
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u64,
    atime: Timespec,
    mtime: Timespec,
    ctime: Timespec,
}

/// A directory's children by name.
type Entries = Mutex<BTreeMap<Vec<u8>, Arc<TmpInode>>>;

enum Kind {
    Dir {
        entries: Entries,
        parent: Mutex<Weak<TmpInode>>,
    },
    File {
        data: Mutex<FileData>,
    },
    Symlink {
        target: Vec<u8>,
    },
    /// A named pipe.
    Fifo(Arc<crate::fsimpl::pipe::Pipe>),
    /// Sockets: the node only.
    Special,
}

pub struct TmpInode {
    shared: Arc<Shared>,
    me: Weak<TmpInode>,
    ino: u64,
    meta: Mutex<Meta>,
    kind: Kind,
    xattrs: Mutex<BTreeMap<Vec<u8>, Vec<u8>>>,
    /// The pages shared mappings of the file use (see `crate::mm::PageCache`).
    pages: CacheSlot,
}

/// The xattr namespaces tmpfs keeps (`system.*`, i.e. ACLs, is not supported).
fn xattr_namespace_ok(name: &[u8]) -> bool {
    name.starts_with(b"user.") || name.starts_with(b"trusted.") || name.starts_with(b"security.")
}

fn now() -> Timespec {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timespec {
        tv_sec: d.as_secs() as i64,
        tv_nsec: d.subsec_nanos() as i64,
    }
}

impl TmpInode {
    fn new(shared: &Arc<Shared>, mode: u32, creds: &Credentials, kind: Kind) -> Arc<TmpInode> {
        let t = now();
        let nlink = if mode & S_IFMT == S_IFDIR { 2 } else { 1 };
        Arc::new_cyclic(|me| TmpInode {
            shared: shared.clone(),
            me: me.clone(),
            ino: shared.next_ino.fetch_add(1, Ordering::Relaxed),
            meta: Mutex::new(Meta {
                mode,
                uid: creds.fsuid,
                gid: creds.fsgid,
                nlink,
                atime: t,
                mtime: t,
                ctime: t,
            }),
            kind,
            xattrs: Mutex::default(),
            pages: Default::default(),
        })
    }

    fn arc(&self) -> Arc<TmpInode> {
        self.me.upgrade().expect("an inode being used is alive")
    }

    fn entries(&self) -> Result<&Entries, Errno> {
        match &self.kind {
            Kind::Dir { entries, .. } => Ok(entries),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn is_dir(&self) -> bool {
        matches!(self.kind, Kind::Dir { .. })
    }

    fn touch_modified(&self) {
        let mut m = self.meta.lock();
        let t = now();
        m.mtime = t;
        m.ctime = t;
    }

    fn add_link(&self, delta: i64) {
        let mut m = self.meta.lock();
        m.nlink = m.nlink.saturating_add_signed(delta);
        m.ctime = now();
    }

    /// Inserts a new child made by `make`; EEXIST if the name is taken.
    fn insert_new(
        &self,
        name: &[u8],
        make: impl FnOnce() -> Arc<TmpInode>,
    ) -> Result<Arc<dyn Inode>, Errno> {
        let mut entries = self.entries()?.lock();
        if entries.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let child = make();
        if let Kind::Dir { parent, .. } = &child.kind {
            *parent.lock() = self.me.clone();
            self.add_link(1);
        }
        entries.insert(name.to_vec(), child.clone());
        drop(entries);
        self.touch_modified();
        Ok(child)
    }

    fn downcast(inode: &Arc<dyn Inode>) -> Option<&TmpInode> {
        inode.as_any().downcast_ref::<TmpInode>()
    }

    /// Whether `self` is `other` or one of its ancestors.
    fn is_ancestor_of(&self, other: &TmpInode) -> bool {
        let mut at = Some(other.arc());
        while let Some(node) = at {
            if node.ino == self.ino {
                return true;
            }
            at = match &node.kind {
                Kind::Dir { parent, .. } => parent.lock().upgrade(),
                _ => None,
            };
        }
        false
    }

    fn size(&self) -> i64 {
        match &self.kind {
            Kind::File { data } => data.lock().size() as i64,
            Kind::Symlink { target } => target.len() as i64,
            Kind::Dir { entries, .. } => (entries.lock().len() as i64 + 2) * BOGO_DIRENT_SIZE,
            Kind::Special | Kind::Fifo(_) => 0,
        }
    }
}

impl Inode for TmpInode {
    fn stat(&self) -> Result<Stat, Errno> {
        let size = self.size();
        let blocks = match &self.kind {
            Kind::File { data } => data.lock().blocks() as i64,
            _ => (size + 4095) / 4096 * 8,
        };
        let m = self.meta.lock();
        Ok(Stat {
            dev: self.shared.dev,
            ino: self.ino,
            nlink: m.nlink,
            mode: m.mode,
            uid: m.uid,
            gid: m.gid,
            size,
            blksize: 4096,
            blocks,
            atime: m.atime,
            mtime: m.mtime,
            ctime: m.ctime,
            ..Default::default()
        })
    }

    fn key(&self) -> InodeKey {
        (self.shared.dev, self.ino)
    }

    fn statfs(&self) -> Result<abi::types::Statfs, Errno> {
        let space = &self.shared.space;
        let mut st = crate::vfs::inode::memory_statfs(crate::vfs::inode::TMPFS_MAGIC);
        st.f_blocks = space.max_pages();
        st.f_bfree = space.max_pages().saturating_sub(space.used_pages());
        st.f_bavail = st.f_bfree;
        Ok(st)
    }

    fn mode(&self) -> u32 {
        self.meta.lock().mode
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        let entries = self.entries()?.lock();
        entries
            .get(name)
            .map(|c| c.clone() as Arc<dyn Inode>)
            .ok_or(Errno::ENOENT)
    }

    fn mknod(&self, name: &[u8], mode: u32, creds: &Credentials) -> Result<Arc<dyn Inode>, Errno> {
        let kind = match mode & S_IFMT {
            S_IFREG | 0 => Kind::File {
                data: Mutex::new(FileData::new(
                    self.shared.memfile.clone(),
                    self.shared.space.clone(),
                )),
            },
            S_IFIFO => Kind::Fifo(crate::fsimpl::pipe::Pipe::fifo()),
            S_IFSOCK => Kind::Special,
            // Device nodes take CAP_MKNOD, which the sandbox does not grant.
            _ => return Err(Errno::EPERM),
        };
        let mode = if mode & S_IFMT == 0 {
            mode | S_IFREG
        } else {
            mode
        };
        self.insert_new(name, || TmpInode::new(&self.shared, mode, creds, kind))
    }

    fn mkdir(&self, name: &[u8], mode: u32, creds: &Credentials) -> Result<Arc<dyn Inode>, Errno> {
        let kind = Kind::Dir {
            entries: Mutex::default(),
            parent: Mutex::new(Weak::new()),
        };
        self.insert_new(name, || {
            TmpInode::new(&self.shared, S_IFDIR | (mode & 0o7777), creds, kind)
        })
    }

    fn symlink(
        &self,
        name: &[u8],
        target: &[u8],
        creds: &Credentials,
    ) -> Result<Arc<dyn Inode>, Errno> {
        let kind = Kind::Symlink {
            target: target.to_vec(),
        };
        self.insert_new(name, || {
            TmpInode::new(&self.shared, S_IFLNK | 0o777, creds, kind)
        })
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        let t = Self::downcast(target)
            .filter(|t| Arc::ptr_eq(&t.shared, &self.shared))
            .ok_or(Errno::EXDEV)?;
        if t.is_dir() {
            return Err(Errno::EPERM);
        }
        let child = t.arc();
        self.insert_new(name, || child.clone())?;
        t.add_link(1);
        Ok(())
    }

    fn unlink(&self, name: &[u8]) -> Result<(), Errno> {
        let mut entries = self.entries()?.lock();
        let child = entries.get(name).ok_or(Errno::ENOENT)?;
        if child.is_dir() {
            return Err(Errno::EISDIR);
        }
        let child = entries.remove(name).expect("present");
        drop(entries);
        child.add_link(-1);
        self.touch_modified();
        Ok(())
    }

    fn rmdir(&self, name: &[u8]) -> Result<(), Errno> {
        let mut entries = self.entries()?.lock();
        let child = entries.get(name).ok_or(Errno::ENOENT)?;
        if !child.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if !child.entries()?.lock().is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        let child = entries.remove(name).expect("present");
        drop(entries);
        child.add_link(-2);
        self.add_link(-1);
        self.touch_modified();
        Ok(())
    }

    fn rename(
        &self,
        name: &[u8],
        new_dir: &Arc<dyn Inode>,
        new_name: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        const NOREPLACE: u32 = 1;
        const EXCHANGE: u32 = 2;
        let dst = Self::downcast(new_dir)
            .filter(|d| Arc::ptr_eq(&d.shared, &self.shared))
            .ok_or(Errno::EXDEV)?;
        let _serial = self.shared.rename_lock.lock();
        let src_child = self
            .entries()?
            .lock()
            .get(name)
            .cloned()
            .ok_or(Errno::ENOENT)?;
        let dst_child = dst.entries()?.lock().get(new_name).cloned();
        if src_child.is_dir() && src_child.is_ancestor_of(dst) {
            return Err(Errno::EINVAL);
        }
        if flags & EXCHANGE != 0 {
            let other = dst_child.ok_or(Errno::ENOENT)?;
            if other.is_dir() && other.is_ancestor_of(self) {
                return Err(Errno::EINVAL);
            }
            self.entries()?.lock().insert(name.to_vec(), other.clone());
            dst.entries()?
                .lock()
                .insert(new_name.to_vec(), src_child.clone());
            for (node, dir) in [(&src_child, dst), (&other, self)] {
                if let Kind::Dir { parent, .. } = &node.kind {
                    *parent.lock() = dir.me.clone();
                }
            }
            if src_child.is_dir() != other.is_dir() {
                let d = if src_child.is_dir() { 1 } else { -1 };
                dst.add_link(d);
                self.add_link(-d);
            }
            return Ok(());
        }
        if let Some(existing) = &dst_child {
            if flags & NOREPLACE != 0 {
                return Err(Errno::EEXIST);
            }
            if existing.ino == src_child.ino {
                return Ok(());
            }
            match (src_child.is_dir(), existing.is_dir()) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) if !existing.entries()?.lock().is_empty() => {
                    return Err(Errno::ENOTEMPTY);
                }
                _ => {}
            }
        }
        self.entries()?.lock().remove(name);
        if let Some(old) = dst
            .entries()?
            .lock()
            .insert(new_name.to_vec(), src_child.clone())
        {
            old.add_link(if old.is_dir() { -2 } else { -1 });
            if old.is_dir() {
                dst.add_link(-1);
            }
        }
        if let Kind::Dir { parent, .. } = &src_child.kind {
            *parent.lock() = dst.me.clone();
            self.add_link(-1);
            dst.add_link(1);
        }
        self.touch_modified();
        dst.touch_modified();
        Ok(())
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        match &self.kind {
            Kind::Symlink { target } => Ok(target.clone()),
            _ => Err(Errno::EINVAL),
        }
    }

    fn getxattr(&self, name: &[u8]) -> Result<Vec<u8>, Errno> {
        if !xattr_namespace_ok(name) {
            return Err(Errno::EOPNOTSUPP);
        }
        self.xattrs.lock().get(name).cloned().ok_or(Errno::ENODATA)
    }

    fn setxattr(&self, name: &[u8], value: &[u8], flags: u32) -> Result<(), Errno> {
        if !xattr_namespace_ok(name) {
            return Err(Errno::EOPNOTSUPP);
        }
        // Linux keeps user xattrs off symlinks and special files.
        if name.starts_with(b"user.") && !matches!(self.kind, Kind::File { .. } | Kind::Dir { .. })
        {
            return Err(Errno::EPERM);
        }
        let mut x = self.xattrs.lock();
        let exists = x.contains_key(name);
        if flags & 1 != 0 && exists {
            return Err(Errno::EEXIST);
        }
        if flags & 2 != 0 && !exists {
            return Err(Errno::ENODATA);
        }
        x.insert(name.to_vec(), value.to_vec());
        drop(x);
        self.meta.lock().ctime = now();
        Ok(())
    }

    fn listxattr(&self) -> Result<Vec<Vec<u8>>, Errno> {
        Ok(self.xattrs.lock().keys().cloned().collect())
    }

    fn removexattr(&self, name: &[u8]) -> Result<(), Errno> {
        if !xattr_namespace_ok(name) {
            return Err(Errno::EOPNOTSUPP);
        }
        self.xattrs
            .lock()
            .remove(name)
            .map(|_| ())
            .ok_or(Errno::ENODATA)
    }

    fn setattr(&self, attr: &SetAttr) -> Result<(), Errno> {
        if let Some(size) = attr.size {
            match &self.kind {
                Kind::File { data } => data.lock().set_size(size)?,
                Kind::Dir { .. } => return Err(Errno::EISDIR),
                _ => return Err(Errno::EINVAL),
            }
            self.touch_modified();
        }
        let mut guard = self.meta.lock();
        let m = &mut *guard;
        if let Some(mode) = attr.mode {
            m.mode = (m.mode & S_IFMT) | (mode & 0o7777);
        }
        if let Some(uid) = attr.uid {
            m.uid = uid;
        }
        if let Some(gid) = attr.gid {
            m.gid = gid;
        }
        let t = now();
        for (set, field) in [(attr.atime, &mut m.atime), (attr.mtime, &mut m.mtime)] {
            match set {
                TimeSet::Omit => {}
                TimeSet::Now => *field = t,
                TimeSet::At(ts) => *field = ts,
            }
        }
        m.ctime = t;
        Ok(())
    }

    fn open(&self, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        match &self.kind {
            Kind::File { .. } | Kind::Dir { .. } => Ok(Arc::new(TmpFile { inode: self.arc() })),
            Kind::Symlink { .. } => Err(Errno::ELOOP),
            Kind::Fifo(pipe) => pipe.open_fifo(flags).map(|end| {
                Arc::new(FifoFile {
                    end,
                    inode: self.arc(),
                }) as Arc<dyn FileOps>
            }),
            // Sockets cannot be opened.
            Kind::Special => Err(Errno::ENXIO),
        }
    }

    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        let Kind::Dir { entries, parent } = &self.kind else {
            return Err(Errno::ENOTDIR);
        };
        let parent_ino = parent.lock().upgrade().map_or(self.ino, |p| p.ino);
        let mut out = vec![
            DirEntry {
                ino: self.ino,
                kind: 4,
                name: b".".to_vec(),
            },
            DirEntry {
                ino: parent_ino,
                kind: 4,
                name: b"..".to_vec(),
            },
        ];
        for (name, child) in entries.lock().iter() {
            out.push(DirEntry {
                ino: child.ino,
                kind: dirent_type(child.mode()),
                name: name.clone(),
            });
        }
        Ok(out)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// An open tmpfs file or directory.
struct TmpFile {
    inode: Arc<TmpInode>,
}

impl FileOps for TmpFile {
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if !matches!(self.inode.kind, Kind::File { .. }) {
            return Err(Errno::EISDIR);
        }
        Ok(self.inode.read_data(offset, buf))
    }

    fn write(&self, offset: u64, buf: &[u8]) -> Result<usize, Errno> {
        let Kind::File { data } = &self.inode.kind else {
            return Err(Errno::EISDIR);
        };
        // Shared mappings map the same pages: nothing else to update.
        let n = data.lock().write(offset, buf)?;
        self.inode.touch_modified();
        Ok(n)
    }

    fn stat(&self) -> Result<Stat, Errno> {
        self.inode.stat()
    }

    fn seekable(&self) -> bool {
        true
    }

    fn mappable(&self) -> Option<Arc<dyn Mappable>> {
        matches!(self.inode.kind, Kind::File { .. })
            .then(|| self.inode.clone() as Arc<dyn Mappable>)
    }

    fn set_size(&self, size: u64) -> Result<(), Errno> {
        self.inode.setattr(&SetAttr {
            size: Some(size),
            ..Default::default()
        })
    }

    fn fallocate(&self, mode: u32, offset: u64, len: u64) -> Result<(), Errno> {
        let Kind::File { data } = &self.inode.kind else {
            return Err(Errno::ENODEV);
        };
        let mut data = data.lock();
        // Linux's shmem knows these modes only (no ZERO_RANGE, COLLAPSE...).
        match mode {
            0 => data.allocate(offset, len, false)?,
            FALLOC_FL_KEEP_SIZE => data.allocate(offset, len, true)?,
            m if m == FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE => data.punch_hole(offset, len),
            _ => return Err(Errno::EOPNOTSUPP),
        }
        drop(data);
        self.inode.touch_modified();
        Ok(())
    }

    fn seek_data(&self, offset: u64) -> Result<u64, Errno> {
        match &self.inode.kind {
            Kind::File { data } => data.lock().seek_data(offset),
            _ => Err(Errno::EINVAL),
        }
    }

    fn seek_hole(&self, offset: u64) -> Result<u64, Errno> {
        match &self.inode.kind {
            Kind::File { data } => data.lock().seek_hole(offset),
            _ => Err(Errno::EINVAL),
        }
    }
}

impl TmpInode {
    /// Copies file bytes at `offset` into `buf`; returns how many.
    fn read_data(&self, offset: u64, buf: &mut [u8]) -> usize {
        let Kind::File { data } = &self.kind else {
            return 0;
        };
        data.lock().read(offset, buf)
    }
}

impl Mappable for TmpInode {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        self.read_data(offset, buf)
    }
    fn name(&self) -> String {
        format!("tmpfs:{}", self.ino)
    }
    fn write_at(&self, offset: u64, bytes: &[u8]) {
        let Kind::File { data } = &self.kind else {
            return;
        };
        let mut data = data.lock();
        // Never past the end: a mapping does not grow its file.
        let room = data.size().saturating_sub(offset).min(bytes.len() as u64);
        let _ = data.write(offset, &bytes[..room as usize]);
    }
    fn size(&self) -> u64 {
        match &self.kind {
            Kind::File { data } => data.lock().size(),
            _ => 0,
        }
    }
    fn cache_slot(&self) -> Option<&CacheSlot> {
        Some(&self.pages)
    }
    fn memory_pages(&self, first: u64, count: u64) -> Option<Result<Vec<u64>, Errno>> {
        match &self.kind {
            Kind::File { data } => Some(data.lock().map_pages(first, count)),
            _ => None,
        }
    }
}

/// An open FIFO: the pipe end, with the node's identity for fstat.
struct FifoFile {
    end: Arc<dyn FileOps>,
    inode: Arc<TmpInode>,
}

impl FileOps for FifoFile {
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.end.read(offset, buf)
    }
    fn read_flags(&self, offset: u64, buf: &mut [u8], flags: u32) -> Result<usize, Errno> {
        self.end.read_flags(offset, buf, flags)
    }
    fn write(&self, offset: u64, buf: &[u8]) -> Result<usize, Errno> {
        self.end.write(offset, buf)
    }
    fn write_flags(&self, offset: u64, buf: &[u8], flags: u32) -> Result<usize, Errno> {
        self.end.write_flags(offset, buf, flags)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        self.inode.stat()
    }
    fn seekable(&self) -> bool {
        false
    }
    fn pipe(&self) -> Option<&crate::fsimpl::pipe::Pipe> {
        self.end.pipe()
    }
    fn readiness(&self, mask: u32) -> u32 {
        self.end.readiness(mask)
    }
    fn wait_queue(&self) -> Option<&crate::waiter::Queue> {
        self.end.wait_queue()
    }
    fn open_wait(&self, b: &dyn crate::waiter::Blocker) -> Result<(), Errno> {
        self.end.open_wait(b)
    }
}
