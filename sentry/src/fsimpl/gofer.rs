//! Files served by the gofer: every lookup is a walk of one component from a node
//! the gofer holds; opening a file gets a host descriptor donated by the gofer,
//! so reads and writes go straight to the host file.

use std::collections::{HashMap, HashSet};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use abi::Errno;
use abi::types::{Stat, Statfs, Timespec};
use gofer::{Attr, Client, Fid};
use parking_lot::Mutex;

use crate::fs::FileOps;
use crate::mm::{CacheSlot, Mappable};
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
    /// The page cache mappings of this file share (across opens and processes).
    pages: CacheSlot,
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
    /// Names known to be absent, by directory (only when exclusive). Kept per
    /// mount, not per inode: two inodes of one directory can coexist (a cache
    /// dropped while a path still holds the old one) and a change through either
    /// must clear what both would answer. Every name appears in a directory
    /// only through us, so an entry holds until we create or move something
    /// there; a new directory reusing a removed one's number starts empty.
    absent: Mutex<Absent>,
}

/// The negative cache of a mount.
#[derive(Default)]
struct Absent {
    names: HashMap<InodeKey, HashSet<Vec<u8>>>,
    count: usize,
    /// Bumped whenever a name appears, so that an absence found by a request
    /// that raced with a create is not recorded after it.
    generation: u64,
}

impl Absent {
    fn contains(&self, dir: InodeKey, name: &[u8]) -> bool {
        self.names.get(&dir).is_some_and(|n| n.contains(name))
    }

    /// Records `name` as absent from `dir`, as found by a request started at
    /// `since` (a generation), unless a name appeared meanwhile.
    fn insert(&mut self, dir: InodeKey, name: &[u8], since: u64) {
        if self.generation != since {
            return;
        }
        if self.count >= CACHE_BUDGET {
            self.names.clear();
            self.count = 0;
        }
        if self.names.entry(dir).or_default().insert(name.to_vec()) {
            self.count += 1;
        }
    }

    fn appeared(&mut self, dir: InodeKey, name: &[u8]) {
        self.generation += 1;
        let Some(names) = self.names.get_mut(&dir) else {
            return;
        };
        if names.remove(name) {
            self.count -= 1;
            if names.is_empty() {
                self.names.remove(&dir);
            }
        }
    }
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
        absent: Mutex::default(),
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
            pages: Default::default(),
        })
    }

    fn client(&self) -> &Client {
        &self.mount.client
    }

    /// A new child inode, remembered when the mount allows caching.
    fn adopt(&self, name: &[u8], fid: Fid, attr: Attr) -> Arc<dyn Inode> {
        let child = GoferInode::new_inode(self.mount.clone(), fid, attr);
        self.appeared(name);
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

    /// `name` now exists here (or may: after a failure that says so).
    fn appeared(&self, name: &[u8]) {
        if self.mount.exclusive {
            let dir = self.key();
            self.mount.absent.lock().appeared(dir, name);
        }
    }

    /// Where the negative cache stands, taken before a request whose answer
    /// may be recorded with [`Self::gone`].
    fn absent_generation(&self) -> u64 {
        self.mount.absent.lock().generation
    }

    /// `name` was found not to exist here by a request started at `since`.
    fn gone(&self, name: &[u8], since: u64) {
        if self.mount.exclusive {
            let dir = self.key();
            self.mount.absent.lock().insert(dir, name, since);
        }
    }

    /// Passes `r` through; an `EEXIST` means `name` is there whatever was cached.
    fn exists_if_eexist<T>(&self, name: &[u8], r: Result<T, Errno>) -> Result<T, Errno> {
        if r.as_ref().err() == Some(&Errno::EEXIST) {
            self.forget(name);
            self.appeared(name);
        }
        r
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
        let since = if self.mount.exclusive {
            let dir = self.key();
            let absent = self.mount.absent.lock();
            if absent.contains(dir, name) {
                return Err(Errno::ENOENT);
            }
            absent.generation
        } else {
            0
        };
        match self.client().walk(self.fid, name) {
            Ok((fid, attr)) => Ok(self.adopt(name, fid, attr)),
            Err(Errno::ENOENT) => {
                self.gone(name, since);
                Err(Errno::ENOENT)
            }
            Err(e) => Err(e),
        }
    }

    fn mknod(&self, name: &[u8], mode: u32, creds: &Credentials) -> Result<Arc<dyn Inode>, Errno> {
        let (fid, attr) = match mode & S_IFMT {
            S_IFREG | 0 => {
                let flags = libc::O_RDONLY as u32;
                let (fid, attr, _fd) = self.exists_if_eexist(
                    name,
                    self.client().create(
                        self.fid,
                        name,
                        flags,
                        mode & 0o7777,
                        creds.fsuid,
                        creds.fsgid,
                    ),
                )?;
                (fid, attr)
            }
            S_IFIFO | S_IFSOCK => self.exists_if_eexist(
                name,
                self.client()
                    .mknod(self.fid, name, mode, creds.fsuid, creds.fsgid),
            )?,
            _ => return Err(Errno::EPERM),
        };
        self.changed();
        Ok(self.adopt(name, fid, attr))
    }

    fn mkdir(&self, name: &[u8], mode: u32, creds: &Credentials) -> Result<Arc<dyn Inode>, Errno> {
        let (fid, attr) = self.exists_if_eexist(
            name,
            self.client()
                .mkdir(self.fid, name, mode & 0o7777, creds.fsuid, creds.fsgid),
        )?;
        self.changed();
        Ok(self.adopt(name, fid, attr))
    }

    fn symlink(
        &self,
        name: &[u8],
        target: &[u8],
        creds: &Credentials,
    ) -> Result<Arc<dyn Inode>, Errno> {
        let (fid, attr) = self.exists_if_eexist(
            name,
            self.client()
                .symlink(self.fid, name, target, creds.fsuid, creds.fsgid),
        )?;
        self.changed();
        Ok(self.adopt(name, fid, attr))
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        let target = self.same_gofer(target)?;
        let (fid, attr) =
            self.exists_if_eexist(name, self.client().link(self.fid, name, target.fid))?;
        self.adopt(name, fid, attr);
        self.changed();
        target.changed();
        Ok(())
    }

    fn unlink(&self, name: &[u8]) -> Result<(), Errno> {
        let since = self.absent_generation();
        self.client().unlink(self.fid, name, 0)?;
        self.forget(name);
        self.gone(name, since);
        self.changed();
        Ok(())
    }

    fn rmdir(&self, name: &[u8]) -> Result<(), Errno> {
        let since = self.absent_generation();
        self.client().unlink(self.fid, name, AT_REMOVEDIR)?;
        self.forget(name);
        self.gone(name, since);
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
        let renamed = self
            .client()
            .rename(self.fid, name, dst.fid, new_name, flags);
        dst.exists_if_eexist(new_name, renamed)?;
        // The old name is not recorded as absent: renaming one hard link onto
        // another of the same file leaves both, and an exchange keeps both names.
        self.forget(name);
        dst.forget(new_name);
        dst.appeared(new_name);
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
        let inode = self.arc()?;
        Ok(Arc::new(GoferFile {
            inode: inode.clone(),
            source: Arc::new(FdSource { fd, inode }),
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
    /// Its file: the page cache lives there, shared by every open of the file.
    inode: Arc<GoferInode>,
}

impl Mappable for FdSource {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        pread(&self.fd, offset, buf).unwrap_or(0)
    }
    fn name(&self) -> String {
        format!("gofer fd {}", self.fd.as_raw_fd())
    }
    fn write_at(&self, offset: u64, data: &[u8]) {
        if let Err(e) = nix::sys::uio::pwrite(&self.fd, data, offset as i64) {
            tracing::warn!("writing a shared mapping back to its file: {e}");
        }
    }
    fn size(&self) -> u64 {
        nix::sys::stat::fstat(self.fd.as_raw_fd()).map_or(0, |st| st.st_size as u64)
    }
    fn cache_slot(&self) -> Option<&CacheSlot> {
        Some(&self.inode.pages)
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

#[cfg(test)]
mod tests {
    use super::*;

    const S_IFREG_644: u32 = S_IFREG | 0o644;

    /// A gofer serving a fresh host directory from a thread, and its root as
    /// the sandbox's exclusive mount.
    struct Served {
        dir: std::path::PathBuf,
        root: Arc<dyn Inode>,
    }

    impl Served {
        fn new(name: &str) -> Served {
            let dir =
                std::env::temp_dir().join(format!("sentry-gofer-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("d")).unwrap();
            let (server_end, client_end) = gofer::socket_pair().unwrap();
            let root_dir = std::fs::File::open(&dir).unwrap();
            std::thread::spawn(move || gofer::serve(root_dir, false, server_end));
            let root = new_root(Arc::new(Client::new(client_end)), true).unwrap();
            Served { dir, root }
        }
    }

    impl Drop for Served {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn creds() -> Credentials {
        Credentials::new(0, 0, Vec::new())
    }

    fn gofer_inode(i: &Arc<dyn Inode>) -> &GoferInode {
        i.as_any().downcast_ref::<GoferInode>().unwrap()
    }

    fn absent(i: &Arc<dyn Inode>, name: &[u8]) -> bool {
        i.lookup(name).err() == Some(Errno::ENOENT)
    }

    #[test]
    fn missing_names_are_remembered_until_we_make_them() {
        let s = Served::new("negative");
        let root = &s.root;
        assert!(absent(root, b"x"));
        // Remembered: a file made behind the sandbox's back is not asked about
        // (the mount is exclusive).
        std::fs::write(s.dir.join("x"), b"").unwrap();
        assert!(absent(root, b"x"));
        // Our own create answers EEXIST from the host, which clears the entry.
        assert_eq!(
            root.mknod(b"x", S_IFREG_644, &creds()).err(),
            Some(Errno::EEXIST)
        );
        assert!(root.lookup(b"x").is_ok());

        // Each way of making a name clears its entry.
        assert!(absent(root, b"f"));
        root.mknod(b"f", S_IFREG_644, &creds()).unwrap();
        assert!(root.lookup(b"f").is_ok());
        assert!(absent(root, b"sub"));
        root.mkdir(b"sub", 0o755, &creds()).unwrap();
        assert!(root.lookup(b"sub").is_ok());
        assert!(absent(root, b"ln"));
        root.symlink(b"ln", b"f", &creds()).unwrap();
        assert!(root.lookup(b"ln").is_ok());
        assert!(absent(root, b"hard"));
        let f = root.lookup(b"f").unwrap();
        root.link(b"hard", &f).unwrap();
        assert!(root.lookup(b"hard").is_ok());

        // Renames: the new name appears, the old one is gone.
        assert!(absent(root, b"moved"));
        root.rename(b"f", root, b"moved", 0).unwrap();
        assert!(root.lookup(b"moved").is_ok());
        assert!(absent(root, b"f"));
        // Renaming a hard link onto another of the same file keeps both.
        root.rename(b"hard", root, b"moved", 0).unwrap();
        assert!(root.lookup(b"hard").is_ok() && root.lookup(b"moved").is_ok());

        // Removing makes a name absent; making it again brings it back.
        root.unlink(b"moved").unwrap();
        assert!(absent(root, b"moved"));
        root.mknod(b"moved", S_IFREG_644, &creds()).unwrap();
        assert!(root.lookup(b"moved").is_ok());
        root.rmdir(b"sub").unwrap();
        assert!(absent(root, b"sub"));
        root.mkdir(b"sub", 0o755, &creds()).unwrap();
        assert!(root.lookup(b"sub").is_ok());
    }

    /// Two inodes of one directory (the parent's cache dropped while the first
    /// is still held): a name made through one is found through the other.
    #[test]
    fn a_create_through_another_inode_of_the_directory_is_seen() {
        let s = Served::new("two-inodes");
        let first = s.root.lookup(b"d").unwrap();
        gofer_inode(&s.root).children.lock().clear();
        let second = s.root.lookup(b"d").unwrap();
        assert!(!Arc::ptr_eq(&first, &second));
        assert!(absent(&first, b"n"));
        second.mknod(b"n", S_IFREG_644, &creds()).unwrap();
        assert!(first.lookup(b"n").is_ok());
    }

    /// Shared (bind) mounts keep asking: the host may add names any time.
    #[test]
    fn shared_mounts_do_not_remember_missing_names() {
        let s = Served::new("shared");
        let (server_end, client_end) = gofer::socket_pair().unwrap();
        let root_dir = std::fs::File::open(&s.dir).unwrap();
        std::thread::spawn(move || gofer::serve(root_dir, false, server_end));
        let shared = new_root(Arc::new(Client::new(client_end)), false).unwrap();
        assert!(absent(&shared, b"later"));
        std::fs::write(s.dir.join("later"), b"").unwrap();
        assert!(shared.lookup(b"later").is_ok());
    }
}
