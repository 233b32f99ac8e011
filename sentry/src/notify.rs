//! File change notification: the inotify watch registry and the hooks the
//! syscall layer calls after an operation succeeds.
//!
//! Watches are keyed by inode identity (`InodeKey`), so every path to a file
//! reaches the same watches. Events follow Linux's fsnotify: an event on a file
//! goes to the watch on its parent directory (with the file's name) and then to
//! the watch on the file itself (without a name); directory-entry events
//! (create, delete, move) go to the directory's watch with the entry's name.
//! IN_DELETE_SELF waits until the inode is gone: its last name removed and its
//! last open file description released.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Weak};

use abi::Errno;
use parking_lot::Mutex;

use crate::fs::OpenFile;
use crate::fsimpl::inotify::{Event, Inotify};
use crate::vfs::inode::{Inode, S_IFDIR, S_IFMT};
use crate::vfs::{InodeKey, SetAttr, TimeSet, VfsPath};

pub const IN_ACCESS: u32 = 0x1;
pub const IN_MODIFY: u32 = 0x2;
pub const IN_ATTRIB: u32 = 0x4;
pub const IN_CLOSE_WRITE: u32 = 0x8;
pub const IN_CLOSE_NOWRITE: u32 = 0x10;
pub const IN_OPEN: u32 = 0x20;
pub const IN_MOVED_FROM: u32 = 0x40;
pub const IN_MOVED_TO: u32 = 0x80;
pub const IN_CREATE: u32 = 0x100;
pub const IN_DELETE: u32 = 0x200;
pub const IN_DELETE_SELF: u32 = 0x400;
pub const IN_MOVE_SELF: u32 = 0x800;
pub const IN_ALL_EVENTS: u32 = 0xfff;
pub const IN_ONLYDIR: u32 = 0x0100_0000;
pub const IN_DONT_FOLLOW: u32 = 0x0200_0000;
pub const IN_EXCL_UNLINK: u32 = 0x0400_0000;
pub const IN_MASK_CREATE: u32 = 0x1000_0000;
pub const IN_MASK_ADD: u32 = 0x2000_0000;
pub const IN_ISDIR: u32 = 0x4000_0000;
pub const IN_ONESHOT: u32 = 0x8000_0000;
/// What a watch remembers of the mask it was given.
const WATCH_BITS: u32 = IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK;

struct Watch {
    instance: Weak<Inotify>,
    instance_id: u64,
    wd: i32,
    mask: u32,
}

#[derive(Default)]
struct Registry {
    watches: HashMap<InodeKey, Vec<Watch>>,
    /// Open file descriptions per inode (they keep a removed inode alive).
    open: HashMap<InodeKey, usize>,
    /// Removed inodes still open: IN_DELETE_SELF when the last one closes.
    doomed: HashSet<InodeKey>,
}

/// Lock order: the registry, then an instance's state.
static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(Default::default);
/// Number of watches: events cost nothing while there are none.
static WATCHING: AtomicUsize = AtomicUsize::new(0);
static NEXT_COOKIE: AtomicU32 = AtomicU32::new(1);

fn watching() -> bool {
    WATCHING.load(Ordering::Relaxed) != 0
}

// ---- watches

/// inotify_add_watch on `key` (the caller resolved and checked the path):
/// the watch descriptor, the same one for an inode already watched.
pub fn add_watch(inst: &Inotify, key: InodeKey, mask: u32) -> Result<i32, Errno> {
    let bits = mask & WATCH_BITS;
    let mut reg = REGISTRY.lock();
    let list = reg.watches.entry(key).or_default();
    if let Some(w) = list.iter_mut().find(|w| w.instance_id == inst.id) {
        if mask & IN_MASK_CREATE != 0 {
            return Err(Errno::EEXIST);
        }
        w.mask = if mask & IN_MASK_ADD != 0 {
            w.mask | bits
        } else {
            bits
        };
        return Ok(w.wd);
    }
    let wd = inst.add_wd(key)?;
    list.push(Watch {
        instance: inst.weak(),
        instance_id: inst.id,
        wd,
        mask: bits,
    });
    WATCHING.fetch_add(1, Ordering::Relaxed);
    Ok(wd)
}

/// inotify_rm_watch: EINVAL for a descriptor the instance does not have.
pub fn rm_watch(inst: &Inotify, wd: i32) -> Result<(), Errno> {
    let mut reg = REGISTRY.lock();
    let key = inst.key_of(wd).ok_or(Errno::EINVAL)?;
    remove_entry(&mut reg, key, inst.id);
    drop(reg);
    inst.remove_wd(wd);
    Ok(())
}

fn remove_entry(reg: &mut Registry, key: InodeKey, instance_id: u64) {
    if let Some(list) = reg.watches.get_mut(&key) {
        let before = list.len();
        list.retain(|w| w.instance_id != instance_id);
        WATCHING.fetch_sub(before - list.len(), Ordering::Relaxed);
        if list.is_empty() {
            reg.watches.remove(&key);
        }
    }
}

/// An instance went away: its watches with it.
pub(crate) fn forget_instance(instance_id: u64, keys: &[InodeKey]) {
    let mut reg = REGISTRY.lock();
    for &key in keys {
        remove_entry(&mut reg, key, instance_id);
    }
}

// ---- delivery

/// Queues `mask` for the watches on `key` that want it; `child` is the path
/// the event concerns when it came through a path (for IN_EXCL_UNLINK).
fn deliver(key: InodeKey, mask: u32, cookie: u32, name: &[u8], child: Option<&VfsPath>) {
    let mut targets: Vec<(Arc<Inotify>, i32, bool)> = Vec::new();
    let mut reg = REGISTRY.lock();
    let Some(list) = reg.watches.get_mut(&key) else {
        return;
    };
    let mut oneshots = 0;
    list.retain(|w| {
        if w.mask & mask & IN_ALL_EVENTS == 0 {
            return true;
        }
        if w.mask & IN_EXCL_UNLINK != 0 && child.is_some_and(|c| c.is_unlinked()) {
            return true;
        }
        let Some(inst) = w.instance.upgrade() else {
            return true;
        };
        let oneshot = w.mask & IN_ONESHOT != 0;
        targets.push((inst, w.wd, oneshot));
        oneshots += oneshot as usize;
        !oneshot
    });
    if list.is_empty() {
        reg.watches.remove(&key);
    }
    WATCHING.fetch_sub(oneshots, Ordering::Relaxed);
    drop(reg);
    for (inst, wd, oneshot) in targets {
        inst.push(Event {
            wd,
            mask,
            cookie,
            name: name.to_vec(),
        });
        if oneshot {
            inst.remove_wd(wd);
        }
    }
}

fn isdir(inode: &dyn Inode) -> u32 {
    if inode.mode() & S_IFMT == S_IFDIR {
        IN_ISDIR
    } else {
        0
    }
}

/// An event on the file at `path`: to its directory's watch with its name,
/// then to its own watch.
fn path_event(path: &VfsPath, mask: u32) {
    if !watching() {
        return;
    }
    let mask = mask | isdir(path.inode().as_ref());
    if let Some(parent) = path.parent().filter(|p| p.mount().id == path.mount().id) {
        deliver(parent.inode().key(), mask, 0, path.name(), Some(path));
    }
    deliver(path.inode().key(), mask, 0, b"", Some(path));
}

/// An event on an inode itself only (link count changes, moves); Linux
/// does not mark these IN_ISDIR.
fn inode_event(inode: &dyn Inode, mask: u32) {
    if watching() {
        deliver(inode.key(), mask, 0, b"", None);
    }
}

/// The inode is gone: IN_DELETE_SELF, then its watches end (IN_IGNORED).
fn inode_gone(key: InodeKey) {
    deliver(key, IN_DELETE_SELF, 0, b"", None);
    let Some(list) = REGISTRY.lock().watches.remove(&key) else {
        return;
    };
    WATCHING.fetch_sub(list.len(), Ordering::Relaxed);
    for w in list {
        if let Some(inst) = w.instance.upgrade() {
            inst.remove_wd(w.wd);
        }
    }
}

/// `inode` lost a name: if it has none left, it is gone now or when its last
/// open file description is released.
fn maybe_gone(inode: &dyn Inode) {
    let gone = inode.mode() & S_IFMT == S_IFDIR || inode.stat().map_or(true, |s| s.nlink == 0);
    if !gone {
        return;
    }
    let key = inode.key();
    let mut reg = REGISTRY.lock();
    if reg.open.contains_key(&key) {
        reg.doomed.insert(key);
        return;
    }
    drop(reg);
    if watching() {
        inode_gone(key);
    }
}

// ---- hooks: open file descriptions

/// A description of `path` was made (OpenFile::at_path).
pub fn description_made(path: &VfsPath) {
    *REGISTRY.lock().open.entry(path.inode().key()).or_default() += 1;
}

/// IN_OPEN for a file being opened (not with O_PATH).
pub fn opened(path: &VfsPath) {
    path_event(path, IN_OPEN);
}

/// The last reference to a description went: IN_CLOSE_*, and the inode's
/// IN_DELETE_SELF if this kept a removed inode alive.
pub fn description_released(file: &OpenFile) {
    let Some(path) = &file.path else {
        return;
    };
    if !file.is_path_only() {
        let mask = if file.writable() {
            IN_CLOSE_WRITE
        } else {
            IN_CLOSE_NOWRITE
        };
        path_event(path, mask);
    }
    let key = path.inode().key();
    let mut reg = REGISTRY.lock();
    let Some(count) = reg.open.get_mut(&key) else {
        return;
    };
    *count -= 1;
    if *count > 0 {
        return;
    }
    reg.open.remove(&key);
    let gone = reg.doomed.remove(&key);
    drop(reg);
    if gone && watching() {
        inode_gone(key);
    }
}

/// Data was read from `file` (read, readv, getdents...).
pub fn accessed(file: &OpenFile) {
    if let Some(path) = &file.path {
        path_event(path, IN_ACCESS);
    }
}

/// Data was written to `file`.
pub fn modified(file: &OpenFile) {
    if let Some(path) = &file.path {
        path_event(path, IN_MODIFY);
    }
}

// ---- hooks: attributes

/// Sets attributes of `path` and tells watchers: a size change is IN_MODIFY,
/// owner, mode and both times IN_ATTRIB, one time alone IN_ACCESS or IN_MODIFY.
pub fn setattr(path: &VfsPath, attr: &SetAttr) -> Result<(), Errno> {
    path.inode().setattr(attr)?;
    let mut mask = 0;
    if attr.mode.is_some() || attr.uid.is_some() || attr.gid.is_some() {
        mask |= IN_ATTRIB;
    }
    if attr.size.is_some() {
        mask |= IN_MODIFY;
    }
    match (attr.atime != TimeSet::Omit, attr.mtime != TimeSet::Omit) {
        (true, true) => mask |= IN_ATTRIB,
        (true, false) => mask |= IN_ACCESS,
        (false, true) => mask |= IN_MODIFY,
        (false, false) => {}
    }
    if mask != 0 {
        path_event(path, mask);
    }
    Ok(())
}

/// An extended attribute of `path` was set or removed.
pub fn xattr_changed(path: &VfsPath) {
    path_event(path, IN_ATTRIB);
}

// ---- hooks: directory entries

/// `name` was made in `dir` (file, directory, symlink, node).
pub fn created(dir: &VfsPath, name: &[u8]) {
    if !watching() {
        return;
    }
    let mask = match dir.inode().lookup(name) {
        Ok(child) => IN_CREATE | isdir(child.as_ref()),
        Err(_) => IN_CREATE,
    };
    deliver(dir.inode().key(), mask, 0, name, None);
}

/// `name` in `dir` is a new link to `target`: its link count changed.
pub fn linked(dir: &VfsPath, name: &[u8], target: &VfsPath) {
    inode_event(target.inode().as_ref(), IN_ATTRIB);
    created(dir, name);
}

/// `name` (the inode `child`) was removed from `dir` by unlink or rmdir.
pub fn removed(dir: &VfsPath, name: &[u8], child: &Arc<dyn Inode>) {
    let mask = isdir(child.as_ref());
    if mask == 0 {
        inode_event(child.as_ref(), IN_ATTRIB);
    }
    maybe_gone(child.as_ref());
    if watching() {
        deliver(dir.inode().key(), IN_DELETE | mask, 0, name, None);
    }
}

/// What a rename replaced or exchanged, looked up before it.
pub struct RenameParts {
    pub moved: Arc<dyn Inode>,
    pub target: Option<Arc<dyn Inode>>,
    pub exchange: bool,
}

/// Looks up what renaming `name` in `dir` to `new_name` in `new_dir` concerns.
pub fn rename_parts(
    dir: &VfsPath,
    name: &[u8],
    new_dir: &VfsPath,
    new_name: &[u8],
    flags: u32,
) -> Option<RenameParts> {
    const RENAME_EXCHANGE: u32 = 2;
    Some(RenameParts {
        moved: dir.inode().lookup(name).ok()?,
        target: new_dir.inode().lookup(new_name).ok(),
        exchange: flags & RENAME_EXCHANGE != 0,
    })
}

/// A rename happened: IN_MOVED_FROM and IN_MOVED_TO with one cookie, the
/// moved inode's IN_MOVE_SELF; a replaced target lost a name.
pub fn renamed(
    dir: &VfsPath,
    name: &[u8],
    new_dir: &VfsPath,
    new_name: &[u8],
    parts: Option<RenameParts>,
) {
    let Some(parts) = parts else {
        return;
    };
    let replaced = parts.target.as_ref().filter(|_| !parts.exchange);
    move_events(dir, name, new_dir, new_name, &parts.moved, replaced);
    if let (true, Some(other)) = (parts.exchange, &parts.target) {
        move_events(new_dir, new_name, dir, name, other, None);
    }
    if let Some(old) = replaced {
        maybe_gone(old.as_ref());
    }
}

fn move_events(
    dir: &VfsPath,
    name: &[u8],
    new_dir: &VfsPath,
    new_name: &[u8],
    moved: &Arc<dyn Inode>,
    replaced: Option<&Arc<dyn Inode>>,
) {
    if !watching() {
        return;
    }
    let mask = isdir(moved.as_ref());
    let cookie = NEXT_COOKIE.fetch_add(1, Ordering::Relaxed);
    deliver(dir.inode().key(), IN_MOVED_FROM | mask, cookie, name, None);
    deliver(
        new_dir.inode().key(),
        IN_MOVED_TO | mask,
        cookie,
        new_name,
        None,
    );
    if let Some(old) = replaced {
        inode_event(old.as_ref(), IN_ATTRIB);
    }
    inode_event(moved.as_ref(), IN_MOVE_SELF);
}
