//! overlay: a writable upper filesystem (tmpfs) over a read-only lower one.
//!
//! Lookups see the upper entry if there is one, else the lower; changing a lower
//! file first copies it up (with its parents). Removing a lower entry leaves a
//! whiteout; a directory made where a lower one was deleted is opaque (the lower
//! one's entries stay hidden). Whiteouts and opaque marks are kept by the overlay
//! itself, keyed by upper directory. Renaming a directory that exists in the lower
//! layer is EXDEV (as Linux's overlayfs without redirect_dir; `mv` copies instead).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use abi::Errno;
use abi::types::Stat;
use parking_lot::Mutex;

use crate::fs::FileOps;
use crate::task::Credentials;
use crate::vfs::inode::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};
use crate::vfs::{DirEntry, Inode, InodeKey, SetAttr, TimeSet};

static NEXT_DEV: AtomicU64 = AtomicU64::new(0x80);
/// Marks inode numbers of upper-only files, so they never equal a lower one's.
const UPPER_ONLY: u64 = 1 << 62;

struct Shared {
    dev: u64,
    /// Names deleted from the lower layer, by upper directory.
    whiteouts: Mutex<HashMap<InodeKey, HashSet<Vec<u8>>>>,
    /// Upper directories that hide the lower directory of the same name.
    opaque: Mutex<HashSet<InodeKey>>,
    /// Serializes copy-ups and namespace changes.
    lock: Mutex<()>,
    /// Bumped whenever anything appears in the upper layer, so an inode that
    /// found no upper file may trust that answer until the next bump.
    generation: AtomicU64,
    /// Lower devices by first sight: their index goes in the high inode bits
    /// (as Linux's overlay "xino"), so files of different lower filesystems never
    /// share an inode number.
    lower_devs: Mutex<HashMap<u64, u64>>,
}

/// Bits of an inode number kept for the lower file's own number.
const XINO_SHIFT: u32 = 48;

pub struct OverlayInode {
    shared: Arc<Shared>,
    parent: Option<Arc<OverlayInode>>,
    name: Vec<u8>,
    upper: Mutex<Option<Arc<dyn Inode>>>,
    lower: Option<Arc<dyn Inode>>,
    /// The generation at which `upper` was last found missing.
    checked: AtomicU64,
}

/// An overlay of `upper` (empty, writable) over `lower`; returns the root.
pub fn new_root(upper: Arc<dyn Inode>, lower: Arc<dyn Inode>) -> Arc<dyn Inode> {
    let shared = Arc::new(Shared {
        dev: NEXT_DEV.fetch_add(1, Ordering::Relaxed),
        whiteouts: Mutex::default(),
        opaque: Mutex::default(),
        lock: Mutex::new(()),
        generation: AtomicU64::new(0),
        lower_devs: Mutex::new(HashMap::from([(lower.key().0, 0)])),
    });
    Arc::new(OverlayInode {
        shared,
        parent: None,
        name: Vec::new(),
        upper: Mutex::new(Some(upper)),
        lower: Some(lower),
        checked: AtomicU64::new(u64::MAX),
    })
}

fn root_creds(st: &Stat) -> Credentials {
    Credentials::new(st.uid, st.gid, Vec::new())
}

impl OverlayInode {
    /// This file's upper inode. Another instance (another path to the same file)
    /// may have copied it up since this one was looked up, so ask the parent's
    /// upper directory when none is known.
    fn upper(&self) -> Option<Arc<dyn Inode>> {
        if let Some(u) = self.upper.lock().clone() {
            return Some(u);
        }
        let generation = self.shared.generation.load(Ordering::Acquire);
        if self.checked.load(Ordering::Relaxed) == generation {
            return None;
        }
        let found = self
            .parent
            .as_ref()
            .and_then(|p| p.upper())
            .and_then(|u| u.lookup(&self.name).ok());
        match &found {
            Some(f) => *self.upper.lock() = Some(f.clone()),
            None => self.checked.store(generation, Ordering::Relaxed),
        }
        found
    }

    /// The layer that answers for this file now.
    fn top(&self) -> Arc<dyn Inode> {
        self.upper()
            .or_else(|| self.lower.clone())
            .expect("an overlay inode has a layer")
    }

    fn whited_out(&self, upper_dir: &Option<Arc<dyn Inode>>, name: &[u8]) -> bool {
        upper_dir.as_ref().is_some_and(|u| {
            self.shared
                .whiteouts
                .lock()
                .get(&u.key())
                .is_some_and(|w| w.contains(name))
        })
    }

    fn is_opaque(&self, upper_dir: &Option<Arc<dyn Inode>>) -> bool {
        upper_dir
            .as_ref()
            .is_some_and(|u| self.shared.opaque.lock().contains(&u.key()))
    }

    fn arc_self(&self) -> Arc<OverlayInode> {
        Arc::new(OverlayInode {
            shared: self.shared.clone(),
            parent: self.parent.clone(),
            name: self.name.clone(),
            upper: Mutex::new(self.upper()),
            lower: self.lower.clone(),
            checked: AtomicU64::new(u64::MAX),
        })
    }

    fn child(&self, name: &[u8]) -> Result<OverlayInode, Errno> {
        let upper_dir = self.upper();
        let upper = match &upper_dir {
            Some(u) => match u.lookup(name) {
                Ok(i) => Some(i),
                Err(Errno::ENOENT) => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        let hide_lower = self.whited_out(&upper_dir, name) || self.is_opaque(&upper_dir);
        let lower = match (&self.lower, hide_lower) {
            (Some(l), false) => match l.lookup(name) {
                Ok(i) => Some(i),
                Err(Errno::ENOENT | Errno::ENOTDIR) => None,
                Err(e) => return Err(e),
            },
            _ => None,
        };
        if upper.is_none() && lower.is_none() {
            return Err(Errno::ENOENT);
        }
        Ok(OverlayInode {
            shared: self.shared.clone(),
            parent: Some(self.arc_self()),
            name: name.to_vec(),
            upper: Mutex::new(upper),
            lower,
            checked: AtomicU64::new(u64::MAX),
        })
    }

    /// Makes sure this file exists in the upper layer, copying it (and its
    /// parents) up from the lower one if needed.
    fn copy_up(&self) -> Result<Arc<dyn Inode>, Errno> {
        if let Some(u) = self.upper() {
            return Ok(u);
        }
        let parent = self.parent.as_ref().ok_or(Errno::EIO)?;
        let parent_upper = parent.copy_up()?;
        let lower = self.lower.clone().ok_or(Errno::ENOENT)?;
        let st = lower.stat()?;
        let creds = root_creds(&st);
        let upper = match st.mode & S_IFMT {
            S_IFDIR => parent_upper.mkdir(&self.name, st.mode & 0o7777, &creds)?,
            S_IFLNK => parent_upper.symlink(&self.name, &lower.readlink()?, &creds)?,
            S_IFREG => {
                let up = parent_upper.mknod(&self.name, S_IFREG | (st.mode & 0o7777), &creds)?;
                let (src, dst) = (
                    lower.open(libc::O_RDONLY as u32)?,
                    up.open(libc::O_WRONLY as u32)?,
                );
                let mut buf = vec![0u8; 1 << 16];
                let mut off = 0u64;
                loop {
                    let n = src.read(off, &mut buf)?;
                    if n == 0 {
                        break;
                    }
                    dst.write(off, &buf[..n])?;
                    off += n as u64;
                }
                up
            }
            // Devices, FIFOs and sockets are not copied up.
            _ => return Err(Errno::EPERM),
        };
        let keep = SetAttr {
            uid: Some(st.uid),
            gid: Some(st.gid),
            atime: TimeSet::At(st.atime),
            mtime: TimeSet::At(st.mtime),
            ..Default::default()
        };
        let _ = upper.setattr(&keep);
        *self.upper.lock() = Some(upper.clone());
        self.shared.generation.fetch_add(1, Ordering::Release);
        Ok(upper)
    }

    fn lower_has(&self, name: &[u8]) -> bool {
        let upper_dir = self.upper();
        !self.is_opaque(&upper_dir) && self.lower.as_ref().is_some_and(|l| l.lookup(name).is_ok())
    }

    fn add_whiteout(&self, upper_dir: &Arc<dyn Inode>, name: &[u8]) {
        self.shared
            .whiteouts
            .lock()
            .entry(upper_dir.key())
            .or_default()
            .insert(name.to_vec());
    }

    fn clear_whiteout(&self, upper_dir: &Arc<dyn Inode>, name: &[u8]) -> bool {
        self.shared
            .whiteouts
            .lock()
            .get_mut(&upper_dir.key())
            .is_some_and(|w| w.remove(name))
    }

    /// Creates an entry in the upper layer through `make`.
    fn create(
        &self,
        name: &[u8],
        make: impl FnOnce(&Arc<dyn Inode>) -> Result<Arc<dyn Inode>, Errno>,
    ) -> Result<Arc<dyn Inode>, Errno> {
        let _g = self.shared.lock.lock();
        if self.child(name).is_ok() {
            return Err(Errno::EEXIST);
        }
        let up = self.copy_up()?;
        let was_whited_out = self.clear_whiteout(&up, name);
        let made = make(&up)?;
        self.shared.generation.fetch_add(1, Ordering::Release);
        if was_whited_out && made.mode() & S_IFMT == S_IFDIR {
            self.shared.opaque.lock().insert(made.key());
        }
        drop(_g);
        Ok(Arc::new(self.child(name)?))
    }

    fn entries(&self) -> Result<Vec<DirEntry>, Errno> {
        let upper_dir = self.upper();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        if let Some(u) = &upper_dir {
            for e in u.readdir()? {
                seen.insert(e.name.clone());
                out.push(e);
            }
        }
        if let Some(l) = self.lower.as_ref().filter(|_| !self.is_opaque(&upper_dir)) {
            let whiteouts = upper_dir
                .as_ref()
                .and_then(|u| self.shared.whiteouts.lock().get(&u.key()).cloned())
                .unwrap_or_default();
            for e in l.readdir()? {
                if !seen.contains(&e.name) && !whiteouts.contains(&e.name) {
                    out.push(e);
                }
            }
        }
        Ok(out)
    }
}

impl Inode for OverlayInode {
    fn stat(&self) -> Result<Stat, Errno> {
        let mut st = self.top().stat()?;
        st.dev = self.shared.dev;
        st.ino = self.key().1;
        Ok(st)
    }

    fn key(&self) -> InodeKey {
        // Stable across copy-up: the lower inode number when there is one, tagged
        // with its lower filesystem.
        let ino = match &self.lower {
            Some(l) => {
                let (dev, ino) = l.key();
                let mut devs = self.shared.lower_devs.lock();
                let next = devs.len() as u64;
                let index = *devs.entry(dev).or_insert(next);
                (ino & ((1 << XINO_SHIFT) - 1) | (index << XINO_SHIFT)) & !UPPER_ONLY
            }
            None => self.upper().map_or(0, |u| u.key().1) | UPPER_ONLY,
        };
        (self.shared.dev, ino)
    }

    fn mode(&self) -> u32 {
        self.top().mode()
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        if self.mode() & S_IFMT != S_IFDIR {
            return Err(Errno::ENOTDIR);
        }
        Ok(Arc::new(self.child(name)?))
    }

    fn mknod(&self, name: &[u8], mode: u32, creds: &Credentials) -> Result<Arc<dyn Inode>, Errno> {
        self.create(name, |up| up.mknod(name, mode, creds))
    }

    fn mkdir(&self, name: &[u8], mode: u32, creds: &Credentials) -> Result<Arc<dyn Inode>, Errno> {
        self.create(name, |up| up.mkdir(name, mode, creds))
    }

    fn symlink(
        &self,
        name: &[u8],
        target: &[u8],
        creds: &Credentials,
    ) -> Result<Arc<dyn Inode>, Errno> {
        self.create(name, |up| up.symlink(name, target, creds))
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        let t = target
            .as_any()
            .downcast_ref::<OverlayInode>()
            .ok_or(Errno::EXDEV)?;
        let target_upper = {
            let _g = self.shared.lock.lock();
            t.copy_up()?
        };
        self.create(name, |up| {
            up.link(name, &target_upper)?;
            up.lookup(name)
        })
        .map(|_| ())
    }

    fn unlink(&self, name: &[u8]) -> Result<(), Errno> {
        let _g = self.shared.lock.lock();
        let child = self.child(name)?;
        if child.mode() & S_IFMT == S_IFDIR {
            return Err(Errno::EISDIR);
        }
        let up = self.copy_up()?;
        if child.upper().is_some() {
            up.unlink(name)?;
        }
        if child.lower.is_some() {
            self.add_whiteout(&up, name);
        }
        Ok(())
    }

    fn rmdir(&self, name: &[u8]) -> Result<(), Errno> {
        let _g = self.shared.lock.lock();
        let child = self.child(name)?;
        if child.mode() & S_IFMT != S_IFDIR {
            return Err(Errno::ENOTDIR);
        }
        if child
            .entries()?
            .iter()
            .any(|e| e.name != b"." && e.name != b"..")
        {
            return Err(Errno::ENOTEMPTY);
        }
        let up = self.copy_up()?;
        if let Some(cu) = child.upper() {
            // Upper directories only hold what the merged view showed, which is empty.
            self.shared.whiteouts.lock().remove(&cu.key());
            self.shared.opaque.lock().remove(&cu.key());
            up.rmdir(name)?;
        }
        if child.lower.is_some() {
            self.add_whiteout(&up, name);
        }
        Ok(())
    }

    fn rename(
        &self,
        name: &[u8],
        new_dir: &Arc<dyn Inode>,
        new_name: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        let dst = new_dir
            .as_any()
            .downcast_ref::<OverlayInode>()
            .ok_or(Errno::EXDEV)?;
        let _g = self.shared.lock.lock();
        let moving = self.child(name)?;
        const EXCHANGE: u32 = 2;
        if flags == EXCHANGE {
            let other = dst.child(new_name)?;
            // Swapping entries that exist only in the upper layer is the upper
            // layer's business; with lower entries involved it is not supported.
            if moving.lower.is_some() || other.lower.is_some() {
                return Err(Errno::EXDEV);
            }
            let (src_up, dst_up) = (self.copy_up()?, dst.copy_up()?);
            return src_up.rename(name, &dst_up, new_name, EXCHANGE);
        }
        if flags != 0 && flags != 1 {
            return Err(Errno::EINVAL);
        }
        if moving.mode() & S_IFMT == S_IFDIR && moving.lower.is_some() {
            return Err(Errno::EXDEV);
        }
        let existing = dst.child(new_name).ok();
        if let Some(e) = &existing {
            if flags == 1 {
                return Err(Errno::EEXIST);
            }
            match (
                moving.mode() & S_IFMT == S_IFDIR,
                e.mode() & S_IFMT == S_IFDIR,
            ) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true)
                    if e.entries()?
                        .iter()
                        .any(|x| x.name != b"." && x.name != b"..") =>
                {
                    return Err(Errno::ENOTEMPTY);
                }
                _ => {}
            }
            if e.key() == moving.key() {
                return Ok(());
            }
        }
        moving.copy_up()?;
        let src_up = self.copy_up()?;
        let dst_up = dst.copy_up()?;
        // Anything the upper layer has under the new name goes; a lower one is hidden.
        if let Some(e) = existing.as_ref().filter(|e| e.upper().is_some()) {
            if e.mode() & S_IFMT == S_IFDIR {
                dst_up.rmdir(new_name)?;
            } else {
                dst_up.unlink(new_name)?;
            }
        }
        src_up.rename(name, &dst_up, new_name, 0)?;
        self.shared.generation.fetch_add(1, Ordering::Release);
        dst.clear_whiteout(&dst_up, new_name);
        if existing.as_ref().is_some_and(|e| e.lower.is_some()) {
            // The lower entry under the new name must stay hidden; the moved file wins.
            dst.clear_whiteout(&dst_up, new_name);
        }
        if moving.lower.is_some() || self.lower_has(name) {
            self.add_whiteout(&src_up, name);
        }
        Ok(())
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        self.top().readlink()
    }

    fn getxattr(&self, name: &[u8]) -> Result<Vec<u8>, Errno> {
        self.top().getxattr(name)
    }

    fn listxattr(&self) -> Result<Vec<Vec<u8>>, Errno> {
        self.top().listxattr()
    }

    fn setxattr(&self, name: &[u8], value: &[u8], flags: u32) -> Result<(), Errno> {
        let up = {
            let _g = self.shared.lock.lock();
            self.copy_up()?
        };
        up.setxattr(name, value, flags)
    }

    fn removexattr(&self, name: &[u8]) -> Result<(), Errno> {
        let up = {
            let _g = self.shared.lock.lock();
            self.copy_up()?
        };
        up.removexattr(name)
    }

    fn statfs(&self) -> Result<abi::types::Statfs, Errno> {
        Ok(crate::vfs::inode::memory_statfs(
            crate::vfs::inode::OVERLAYFS_MAGIC,
        ))
    }

    fn setattr(&self, attr: &SetAttr) -> Result<(), Errno> {
        let up = {
            let _g = self.shared.lock.lock();
            self.copy_up()?
        };
        up.setattr(attr)
    }

    fn open(&self, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        let acc = flags & libc::O_ACCMODE as u32;
        let writing = acc != libc::O_RDONLY as u32 || flags & libc::O_TRUNC as u32 != 0;
        let inner = if writing && self.mode() & S_IFMT == S_IFREG {
            let _g = self.shared.lock.lock();
            self.copy_up()?.open(flags)?
        } else {
            self.top().open(flags)?
        };
        Ok(Arc::new(OverlayFile {
            inner,
            inode: self.arc_self(),
        }))
    }

    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        if self.mode() & S_IFMT != S_IFDIR {
            return Err(Errno::ENOTDIR);
        }
        self.entries()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A file opened through the overlay: the layer's file, with the overlay's identity.
struct OverlayFile {
    inner: Arc<dyn FileOps>,
    inode: Arc<OverlayInode>,
}

impl FileOps for OverlayFile {
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.inner.read(offset, buf)
    }
    fn write(&self, offset: u64, buf: &[u8]) -> Result<usize, Errno> {
        self.inner.write(offset, buf)
    }
    fn read_flags(&self, offset: u64, buf: &mut [u8], flags: u32) -> Result<usize, Errno> {
        self.inner.read_flags(offset, buf, flags)
    }
    fn write_flags(&self, offset: u64, buf: &[u8], flags: u32) -> Result<usize, Errno> {
        self.inner.write_flags(offset, buf, flags)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        let mut st = self.inner.stat()?;
        let (dev, ino) = self.inode.key();
        st.dev = dev;
        st.ino = ino;
        Ok(st)
    }
    fn seekable(&self) -> bool {
        self.inner.seekable()
    }
    fn size(&self) -> Result<u64, Errno> {
        self.inner.size()
    }
    fn ioctl(&self, request: u32, arg: &mut [u8]) -> Result<u64, Errno> {
        self.inner.ioctl(request, arg)
    }
    fn fsync(&self) -> Result<(), Errno> {
        self.inner.fsync()
    }
    fn fallocate(&self, mode: u32, offset: u64, len: u64) -> Result<(), Errno> {
        self.inner.fallocate(mode, offset, len)
    }
    fn seek_data(&self, offset: u64) -> Result<u64, Errno> {
        self.inner.seek_data(offset)
    }
    fn seek_hole(&self, offset: u64) -> Result<u64, Errno> {
        self.inner.seek_hole(offset)
    }
    fn host_fd(&self) -> Option<std::os::fd::RawFd> {
        self.inner.host_fd()
    }
    fn mappable(&self) -> Option<Arc<dyn crate::mm::Mappable>> {
        self.inner.mappable()
    }
    fn pipe(&self) -> Option<&crate::fsimpl::pipe::Pipe> {
        self.inner.pipe()
    }
    fn readiness(&self, mask: u32) -> u32 {
        self.inner.readiness(mask)
    }
    fn wait_queue(&self) -> Option<&crate::waiter::Queue> {
        self.inner.wait_queue()
    }
    fn open_wait(&self, b: &dyn crate::waiter::Blocker) -> Result<(), Errno> {
        self.inner.open_wait(b)
    }
}
