//! The overlay keeps the lower layer untouched while the merged view changes.

use std::sync::Arc;

use abi::Errno;
use sentry::fsimpl::{overlay, tmpfs::Tmpfs};
use sentry::task::Credentials;
use sentry::vfs::{Inode, MountNamespace, Resolver, SetAttr, VfsPath};

const S_IFREG: u32 = 0o100000;

fn creds() -> Credentials {
    Credentials::new(0, 0, vec![])
}

fn write(inode: &Arc<dyn Inode>, data: &[u8]) {
    inode
        .open(libc::O_WRONLY as u32)
        .unwrap()
        .write(0, data)
        .unwrap();
}

fn read(inode: &Arc<dyn Inode>) -> Vec<u8> {
    let mut buf = vec![0u8; 64];
    let n = inode.open(0).unwrap().read(0, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn names(dir: &Arc<dyn Inode>) -> Vec<String> {
    let mut v: Vec<String> = dir
        .readdir()
        .unwrap()
        .into_iter()
        .map(|e| String::from_utf8(e.name).unwrap())
        .collect();
    v.sort();
    v
}

/// A lower layer with /etc/conf ("lower") and /dir/{a,b}.
fn lower() -> Arc<dyn Inode> {
    let root = Tmpfs::new_root(0o755, 0, 0);
    let etc = root.mkdir(b"etc", 0o755, &creds()).unwrap();
    write(
        &etc.mknod(b"conf", S_IFREG | 0o644, &creds()).unwrap(),
        b"lower",
    );
    let dir = root.mkdir(b"dir", 0o755, &creds()).unwrap();
    dir.mknod(b"a", S_IFREG | 0o644, &creds()).unwrap();
    dir.mknod(b"b", S_IFREG | 0o644, &creds()).unwrap();
    root
}

#[test]
fn writes_copy_up_and_leave_the_lower_layer_alone() {
    let low = lower();
    let root = overlay::new_root(Tmpfs::new_root(0o755, 0, 0), low.clone());
    let conf = root.lookup(b"etc").unwrap().lookup(b"conf").unwrap();
    assert_eq!(read(&conf), b"lower");
    let key_before = conf.key();
    write(&conf, b"UPPER");
    let conf = root.lookup(b"etc").unwrap().lookup(b"conf").unwrap();
    assert_eq!(read(&conf), b"UPPER");
    assert_eq!(conf.key(), key_before, "inode numbers survive copy-up");
    let low_conf = low.lookup(b"etc").unwrap().lookup(b"conf").unwrap();
    assert_eq!(read(&low_conf), b"lower", "the lower layer is unchanged");
    conf.setattr(&SetAttr {
        mode: Some(0o600),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(low_conf.stat().unwrap().mode & 0o777, 0o644);
}

#[test]
fn deletes_leave_whiteouts_and_new_dirs_over_deleted_ones_are_opaque() {
    let low = lower();
    let root = overlay::new_root(Tmpfs::new_root(0o755, 0, 0), low.clone());
    let dir = root.lookup(b"dir").unwrap();
    dir.unlink(b"a").unwrap();
    assert_eq!(dir.lookup(b"a").err(), Some(Errno::ENOENT));
    assert_eq!(names(&root.lookup(b"dir").unwrap()), [".", "..", "b"]);
    assert!(
        low.lookup(b"dir").unwrap().lookup(b"a").is_ok(),
        "lower keeps its file"
    );
    assert_eq!(root.rmdir(b"dir").err(), Some(Errno::ENOTEMPTY));
    dir.unlink(b"b").unwrap();
    root.rmdir(b"dir").unwrap();
    assert_eq!(root.lookup(b"dir").err(), Some(Errno::ENOENT));
    root.mkdir(b"dir", 0o700, &creds()).unwrap();
    assert_eq!(
        names(&root.lookup(b"dir").unwrap()),
        [".", ".."],
        "the lower directory stays hidden"
    );
    // A file recreated over a whiteout is visible again.
    let d = root.lookup(b"dir").unwrap();
    d.mknod(b"a", S_IFREG | 0o644, &creds()).unwrap();
    assert!(root.lookup(b"dir").unwrap().lookup(b"a").is_ok());
}

#[test]
fn listings_merge_and_renames_follow_linux_rules() {
    let root = overlay::new_root(Tmpfs::new_root(0o755, 0, 0), lower());
    let dir = root.lookup(b"dir").unwrap();
    dir.mknod(b"c", S_IFREG | 0o644, &creds()).unwrap();
    assert_eq!(names(&dir), [".", "..", "a", "b", "c"]);
    dir.rename(b"a", &root, b"moved", 0).unwrap();
    assert_eq!(names(&root.lookup(b"dir").unwrap()), [".", "..", "b", "c"]);
    assert!(root.lookup(b"moved").is_ok());
    assert_eq!(
        root.rename(b"dir", &root, b"renamed", 0).err(),
        Some(Errno::EXDEV),
        "lower directories do not move"
    );
}

#[test]
fn a_path_held_open_sees_later_copy_ups() {
    let root = overlay::new_root(Tmpfs::new_root(0o755, 0, 0), lower());
    let ns = MountNamespace::new(root, false, "overlay", "test".into());
    let top = VfsPath::root_of(&ns);
    let c = creds();
    let r = Resolver {
        ns: &ns,
        root: top.clone(),
        creds: Arc::new(c.clone()),
        limits: Default::default(),
    };
    let cwd = r.resolve(&top, b"/etc", true).unwrap();
    // Copy /etc up through a different path, then use the old one.
    let other = r.resolve(&top, b"/etc", true).unwrap();
    other.inode().mknod(b"new", S_IFREG | 0o644, &c).unwrap();
    assert!(r.resolve(&cwd, b"new", true).is_ok());
    cwd.inode().mknod(b"second", S_IFREG | 0o644, &c).unwrap();
    assert!(r.resolve(&top, b"/etc/second", true).is_ok());
}
