//! A gofer serving one file (a bind mount of a file): the file is the root, and
//! nothing else of its directory can be reached.

mod common;

use std::io::{Read, Seek, Write};
use std::os::unix::fs::MetadataExt;

use abi::Errno;
use common::{Gofer, Tree, lstat};
use gofer::SetAttr;

#[test]
fn the_file_is_the_root_and_its_siblings_are_out_of_reach() {
    let t = Tree::new();
    t.write("f", b"hello");
    t.write("sibling", b"other");
    let g = Gofer::serve_file(&t.root(), "f", false).unwrap();
    let c = &g.client;
    let (root, attr) = c.attach().unwrap();
    assert_eq!(attr.file_type(), libc::S_IFREG);
    assert_eq!(attr.ino, lstat(&t.at("f")).ino());
    // A file has no entries: every walk and directory request fails.
    for name in ["sibling", "f", "..", "."] {
        assert!(c.walk(root, name).is_err(), "{name}");
    }
    assert_eq!(c.walk(root, "sibling").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(c.readdir(root, 0, 10).unwrap_err(), Errno::ENOTDIR);
    assert_eq!(c.unlink(root, "sibling", 0).unwrap_err(), Errno::ENOTDIR);
    assert_eq!(
        c.rename(root, "sibling", root, "x", 0).unwrap_err(),
        Errno::ENOTDIR
    );
    assert_eq!(
        c.create(root, "new", libc::O_RDWR as u32, 0o644, 0, 0)
            .unwrap_err(),
        Errno::ENOTDIR
    );

    // Reads and writes reach the host file.
    let fd = c.open(root, libc::O_RDWR as u32).unwrap();
    let mut f = std::fs::File::from(fd);
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    assert_eq!(s, "hello");
    f.rewind().unwrap();
    f.write_all(b"HELLO, host").unwrap();
    assert_eq!(std::fs::read(t.at("f")).unwrap(), b"HELLO, host");
    c.setattr(
        root,
        SetAttr {
            size: Some(5),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.stat(root).unwrap().size, 5);
    assert_eq!(std::fs::read(t.at("sibling")).unwrap(), b"other");
    g.finish();
}

#[test]
fn a_readonly_file_root_refuses_changes() {
    let t = Tree::new();
    t.write("f", b"keep");
    let g = Gofer::serve_file(&t.root(), "f", true).unwrap();
    let c = &g.client;
    let (root, _) = c.attach().unwrap();
    assert_eq!(
        c.open(root, libc::O_WRONLY as u32).unwrap_err(),
        Errno::EROFS
    );
    assert_eq!(
        c.setattr(
            root,
            SetAttr {
                size: Some(0),
                ..Default::default()
            }
        )
        .unwrap_err(),
        Errno::EROFS
    );
    let mut s = String::new();
    std::fs::File::from(c.open(root, libc::O_RDONLY as u32).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    assert_eq!(s, "keep");
    g.finish();
}

/// Only a regular file, named without following a symlink, can be a file root.
#[test]
fn only_regular_files_by_their_own_name() {
    let t = Tree::new();
    t.mkdir("d");
    t.symlink("link", t.outside().join("secret"));
    for name in ["d", "link", "missing", "..", "a/b"] {
        assert!(
            Gofer::serve_file(&t.root(), name, false).is_err(),
            "{name} must be refused"
        );
    }
}
