//! A read-only gofer refuses every change with EROFS and leaves the tree
//! byte-for-byte as it was, while reads keep working.

mod common;

use std::collections::BTreeMap;
use std::ffi::CString;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use abi::Errno;
use common::{Gofer, Tree, read_all};
use gofer::{SetAttr, TimeSet};

/// Everything about every node below `dir` except access times: content,
/// link targets, mode, owner, size, link count, mtime, ctime, xattrs.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let body = if m.file_type().is_symlink() {
                format!("-> {:?}", std::fs::read_link(&p).unwrap())
            } else if m.is_dir() {
                stack.push(p.clone());
                String::new()
            } else {
                format!("{:?}", std::fs::read(&p).unwrap())
            };
            let c = CString::new(p.clone().into_os_string().into_encoded_bytes()).unwrap();
            let mut names = vec![0u8; 4096];
            // SAFETY: the path is NUL-terminated and `names` writable for its length.
            let n = unsafe { libc::llistxattr(c.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
            names.truncate(n.max(0) as usize);
            out.insert(
                p.strip_prefix(dir).unwrap().display().to_string(),
                format!(
                    "{body} mode={:o} uid={} gid={} size={} nlink={} mtime={}.{} ctime={}.{} xattrs={:?}",
                    m.mode(),
                    m.uid(),
                    m.gid(),
                    m.size(),
                    m.nlink(),
                    m.mtime(),
                    m.mtime_nsec(),
                    m.ctime(),
                    m.ctime_nsec(),
                    names
                ),
            );
        }
    }
    out
}

#[test]
fn every_change_is_erofs_and_nothing_changes() {
    let t = Tree::new();
    t.write("f", b"original bytes");
    t.mkdir("d/e");
    t.write("d/e/g", b"deeper");
    t.symlink("l", "f");
    let c_path = CString::new(t.at("f").into_os_string().into_encoded_bytes()).unwrap();
    // SAFETY: path, name and value are valid for the call.
    let set = unsafe {
        libc::setxattr(
            c_path.as_ptr(),
            c"user.k".as_ptr(),
            b"v".as_ptr().cast(),
            1,
            0,
        )
    };
    assert_eq!(set, 0);
    let before = snapshot(&t.root());

    let g = Gofer::serve(&t.root(), true);
    let c = &g.client;
    let (root, _) = c.attach().unwrap();
    let (f, _) = c.walk(root, "f").unwrap();
    let (d, _) = c.walk(root, "d").unwrap();
    let (l, _) = c.walk(root, "l").unwrap();
    let erofs = Errno::EROFS;

    for flags in [
        libc::O_WRONLY,
        libc::O_RDWR,
        libc::O_RDONLY | libc::O_TRUNC,
        libc::O_WRONLY | libc::O_APPEND,
        libc::O_RDWR | libc::O_TRUNC,
    ] {
        assert_eq!(
            c.open(f, flags as u32).unwrap_err(),
            erofs,
            "open {flags:#o}"
        );
    }
    assert_eq!(
        c.create(root, "new", libc::O_RDWR as u32, 0o644, 0, 0)
            .unwrap_err(),
        erofs
    );
    assert_eq!(
        c.create(root, "new", libc::O_RDONLY as u32, 0o644, 0, 0)
            .unwrap_err(),
        erofs
    );
    assert_eq!(c.mkdir(root, "new", 0o755, 0, 0).unwrap_err(), erofs);
    assert_eq!(
        c.mknod(root, "new", libc::S_IFIFO | 0o644, 0, 0)
            .unwrap_err(),
        erofs
    );
    assert_eq!(c.symlink(root, "new", b"f", 0, 0).unwrap_err(), erofs);
    assert_eq!(c.link(root, "new", f).unwrap_err(), erofs);
    assert_eq!(c.unlink(root, "f", 0).unwrap_err(), erofs);
    assert_eq!(
        c.unlink(d, "e", libc::AT_REMOVEDIR as u32).unwrap_err(),
        erofs
    );
    assert_eq!(c.rename(root, "f", d, "f", 0).unwrap_err(), erofs);
    assert_eq!(
        c.rename(root, "f", root, "l", libc::RENAME_EXCHANGE)
            .unwrap_err(),
        erofs
    );
    for set in [
        SetAttr {
            mode: Some(0o777),
            ..Default::default()
        },
        SetAttr {
            uid: Some(1),
            ..Default::default()
        },
        SetAttr {
            gid: Some(1),
            ..Default::default()
        },
        SetAttr {
            size: Some(0),
            ..Default::default()
        },
        SetAttr {
            atime: TimeSet::Now,
            ..Default::default()
        },
        SetAttr {
            mtime: TimeSet::At { sec: 1, nsec: 0 },
            ..Default::default()
        },
    ] {
        for node in [f, d, l] {
            assert_eq!(c.setattr(node, set).unwrap_err(), erofs, "{set:?}");
        }
    }
    assert_eq!(c.setxattr(f, "user.k", b"new", 0).unwrap_err(), erofs);
    assert_eq!(c.setxattr(d, "user.n", b"new", 0).unwrap_err(), erofs);
    assert_eq!(c.removexattr(f, "user.k").unwrap_err(), erofs);

    // Reads still work, and a read-only descriptor cannot write.
    let fd = c.open(f, libc::O_RDONLY as u32).unwrap();
    assert_eq!(read_all(&fd), b"original bytes");
    assert!(std::fs::File::from(fd).write_all(b"x").is_err());
    assert_eq!(c.readlink(l).unwrap(), b"f");
    assert_eq!(c.readdir(root, 0, 10).unwrap().len(), 3);
    assert_eq!(c.getxattr(f, "user.k").unwrap(), b"v");
    assert_eq!(c.listxattr(f).unwrap(), vec![b"user.k".to_vec()]);
    assert!(c.statfs(root).unwrap().bsize > 0);
    c.fsync(f).unwrap();
    let (g_fid, _) = c.walk(d, "e").and_then(|(e, _)| c.walk(e, "g")).unwrap();
    assert_eq!(read_all(&c.open(g_fid, 0).unwrap()), b"deeper");
    g.finish();

    assert_eq!(snapshot(&t.root()), before);
}
