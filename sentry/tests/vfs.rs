//! Path resolution and tmpfs semantics through the VFS.

use std::sync::Arc;

use abi::Errno;
use sentry::fsimpl::tmpfs::Tmpfs;
use sentry::task::Credentials;
use sentry::vfs::{Inode, MountNamespace, Resolver, SetAttr, VfsPath};

const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;

struct World {
    ns: MountNamespace,
    root: VfsPath,
    creds: Credentials,
}

impl World {
    fn new() -> World {
        let ns = MountNamespace::new(Tmpfs::new_root(0o755, 0, 0), false, "tmpfs", "none".into());
        let root = VfsPath::root_of(&ns);
        World {
            ns,
            root,
            creds: Credentials::new(0, 0, vec![]),
        }
    }
    fn r(&self) -> Resolver<'_> {
        Resolver {
            ns: &self.ns,
            root: self.root.clone(),
            creds: Arc::new(self.creds.clone()),
            limits: Default::default(),
        }
    }
    fn get(&self, path: &str) -> Result<VfsPath, Errno> {
        self.r().resolve(&self.root, path.as_bytes(), true)
    }
    fn lget(&self, path: &str) -> Result<VfsPath, Errno> {
        self.r().resolve(&self.root, path.as_bytes(), false)
    }
    fn mkdir(&self, path: &str) -> Arc<dyn Inode> {
        let p = self
            .r()
            .resolve_parent(&self.root, path.as_bytes())
            .unwrap();
        p.parent.inode().mkdir(&p.name, 0o755, &self.creds).unwrap()
    }
    fn file(&self, path: &str) -> Arc<dyn Inode> {
        let p = self
            .r()
            .resolve_parent(&self.root, path.as_bytes())
            .unwrap();
        p.parent
            .inode()
            .mknod(&p.name, S_IFREG | 0o644, &self.creds)
            .unwrap()
    }
    fn symlink(&self, path: &str, target: &str) {
        let p = self
            .r()
            .resolve_parent(&self.root, path.as_bytes())
            .unwrap();
        p.parent
            .inode()
            .symlink(&p.name, target.as_bytes(), &self.creds)
            .unwrap();
    }
}

#[test]
fn dotdot_stops_at_root_and_getcwd_names_the_path() {
    let w = World::new();
    w.mkdir("/a");
    w.mkdir("/a/b");
    assert_eq!(w.get("/a/b").unwrap().to_bytes(), b"/a/b");
    assert!(w.get("/../../a/..").unwrap().same(&w.root));
    assert_eq!(w.get("/a/b/../b/./").unwrap().to_bytes(), b"/a/b");
    assert_eq!(w.get("/").unwrap().to_bytes(), b"/");
}

#[test]
fn symlinks_are_followed_relative_to_their_directory() {
    let w = World::new();
    w.mkdir("/d");
    w.file("/d/target");
    w.symlink("/d/rel", "target");
    w.symlink("/abs", "/d/target");
    w.symlink("/dirlink", "d");
    assert_eq!(
        w.get("/d/rel").unwrap().inode().key(),
        w.get("/d/target").unwrap().inode().key()
    );
    assert_eq!(
        w.get("/abs").unwrap().inode().key(),
        w.get("/d/target").unwrap().inode().key()
    );
    assert_eq!(w.get("/dirlink/target").unwrap().to_bytes(), b"/d/target");
    // Not following the final link gives the link itself.
    assert_eq!(w.lget("/abs").unwrap().inode().mode() & 0o170000, 0o120000);
}

#[test]
fn symlink_loops_are_eloop() {
    let w = World::new();
    w.symlink("/x", "y");
    w.symlink("/y", "x");
    assert_eq!(w.get("/x").err(), Some(Errno::ELOOP));
    w.symlink("/self", "self/a");
    assert_eq!(w.get("/self").err(), Some(Errno::ELOOP));
}

#[test]
fn trailing_slash_and_notdir() {
    let w = World::new();
    w.file("/f");
    assert_eq!(w.get("/f/").err(), Some(Errno::ENOTDIR));
    assert_eq!(w.get("/f/x").err(), Some(Errno::ENOTDIR));
    assert_eq!(w.get("/missing").err(), Some(Errno::ENOENT));
    assert_eq!(w.get("").err(), Some(Errno::ENOENT));
    let long = format!("/{}", "n".repeat(256));
    assert_eq!(w.get(&long).err(), Some(Errno::ENAMETOOLONG));
}

#[test]
fn mounts_are_crossed_both_ways() {
    let w = World::new();
    w.mkdir("/mnt");
    let point = w.get("/mnt").unwrap();
    let inner = Tmpfs::new_root(0o1777, 0, 0);
    inner.mkdir(b"sub", 0o755, &w.creds).unwrap();
    w.ns.mount(&point, inner, false, "tmpfs", "tmpfs".into())
        .unwrap();
    let sub = w.get("/mnt/sub").unwrap();
    assert_eq!(sub.to_bytes(), b"/mnt/sub");
    assert_eq!(
        w.get("/mnt").unwrap().inode().mode() & 0o7777,
        0o1777,
        "the mount covers the directory"
    );
    assert!(w.get("/mnt/sub/../..").unwrap().same(&w.root));
}

#[test]
fn search_permission_is_checked_for_non_root() {
    let mut w = World::new();
    let dir = w.mkdir("/private");
    w.file("/private/f");
    dir.setattr(&SetAttr {
        mode: Some(0o700),
        ..Default::default()
    })
    .unwrap();
    w.creds = Credentials::new(1000, 1000, vec![]);
    assert_eq!(w.get("/private/f").err(), Some(Errno::EACCES));
}

#[test]
fn tmpfs_link_unlink_rmdir_rename() {
    let w = World::new();
    let root = w.root.inode().clone();
    let f = w.file("/f");
    root.link(b"g", &f).unwrap();
    assert_eq!(f.stat().unwrap().nlink, 2);
    assert_eq!(root.link(b"g", &f).err(), Some(Errno::EEXIST));
    root.unlink(b"f").unwrap();
    assert_eq!(f.stat().unwrap().nlink, 1);
    w.mkdir("/d");
    w.file("/d/inside");
    assert_eq!(root.rmdir(b"d").err(), Some(Errno::ENOTEMPTY));
    assert_eq!(root.unlink(b"d").err(), Some(Errno::EISDIR));
    assert_eq!(root.rmdir(b"g").err(), Some(Errno::ENOTDIR));
    let d = w.get("/d").unwrap().inode().clone();
    // A directory cannot move into itself.
    assert_eq!(root.rename(b"d", &d, b"x", 0).err(), Some(Errno::EINVAL));
    assert_eq!(
        root.rename(b"g", &d, b"inside", 1).err(),
        Some(Errno::EEXIST)
    );
    root.rename(b"g", &d, b"inside", 0).unwrap();
    assert!(w.get("/g").is_err());
    assert_eq!(w.get("/d/inside").unwrap().inode().key(), f.key());
    w.mkdir("/e");
    root.rename(b"d", &root, b"e", 2).unwrap(); // exchange
    assert_eq!(w.get("/e/inside").unwrap().inode().key(), f.key());
    assert_eq!(
        w.get("/d").unwrap().inode().stat().unwrap().mode & 0o170000,
        S_IFDIR
    );
}

#[test]
fn tmpfs_files_read_write_truncate() {
    let w = World::new();
    let f = w.file("/data");
    let ops = f.open(2).unwrap();
    assert_eq!(ops.write(5, b"hello").unwrap(), 5);
    let mut buf = [0xffu8; 16];
    assert_eq!(ops.read(0, &mut buf).unwrap(), 10);
    assert_eq!(&buf[..10], b"\0\0\0\0\0hello");
    f.setattr(&SetAttr {
        size: Some(3),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(f.stat().unwrap().size, 3);
    let names: Vec<Vec<u8>> = w
        .root
        .inode()
        .readdir()
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, vec![b".".to_vec(), b"..".to_vec(), b"data".to_vec()]);
}
