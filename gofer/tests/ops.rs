//! Every operation against a real directory tree, with its error cases.

mod common;

use std::io::{Read, Seek, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};

use abi::Errno;
use common::{Gofer, Tree, fd_flags, lstat, read_all};
use gofer::{Fid, SetAttr, TimeSet};

const ESTALE: Errno = Errno(libc::ESTALE as u16);

fn setup() -> (Tree, Gofer, Fid) {
    let t = Tree::new();
    t.write("a.txt", b"hello");
    t.mkdir("d/e");
    t.write("d/e/f", b"deep");
    let g = Gofer::serve(&t.root(), false);
    let (root, _) = g.client.attach().unwrap();
    (t, g, root)
}

#[test]
fn attach_walk_stat() {
    let (t, g, root) = setup();
    let c = &g.client;
    let (_, attr) = c.attach().unwrap();
    assert_eq!(attr.ino, lstat(&t.root()).ino());
    assert_eq!(attr.file_type(), libc::S_IFDIR);

    let (f, attr) = c.walk(root, "a.txt").unwrap();
    let meta = lstat(&t.at("a.txt"));
    assert_eq!((attr.ino, attr.dev, attr.size), (meta.ino(), meta.dev(), 5));
    assert_eq!(attr.mode, meta.mode());
    assert_eq!(
        (attr.uid, attr.gid, attr.nlink),
        (meta.uid(), meta.gid(), 1)
    );
    assert_eq!(attr.mtime.sec, meta.mtime());
    assert_eq!(attr.mtime.nsec as i64, meta.mtime_nsec());
    assert_eq!(c.stat(f).unwrap(), attr);

    let (d, _) = c.walk(root, "d").unwrap();
    let (e, _) = c.walk(d, b"e").unwrap();
    let (_, attr) = c.walk(e, "f").unwrap();
    assert_eq!(attr.ino, lstat(&t.at("d/e/f")).ino());
    g.finish();
}

#[test]
fn walk_errors() {
    let (_t, g, root) = setup();
    let c = &g.client;
    assert_eq!(c.walk(root, "missing").unwrap_err(), Errno::ENOENT);
    let (f, _) = c.walk(root, "a.txt").unwrap();
    assert_eq!(c.walk(f, "x").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(c.walk(root, "").unwrap_err(), Errno::ENOENT);
    for bad in [".", "..", "d/e", "/d", "a\0b"] {
        assert_eq!(c.walk(root, bad).unwrap_err(), Errno::EINVAL, "{bad:?}");
    }
    assert_eq!(
        c.walk(root, "x".repeat(256)).unwrap_err(),
        Errno::ENAMETOOLONG
    );
    assert_eq!(c.walk(Fid(9999), "a.txt").unwrap_err(), Errno::EBADF);
    assert_eq!(c.stat(Fid(9999)).unwrap_err(), Errno::EBADF);
    g.finish();
}

#[test]
fn open_donates_a_real_descriptor() {
    let (t, g, root) = setup();
    let c = &g.client;
    let (f, _) = c.walk(root, "a.txt").unwrap();

    let fd = c.open(f, libc::O_RDONLY as u32).unwrap();
    assert_eq!(read_all(&fd), b"hello");
    let (fl, fdfl) = fd_flags(&fd);
    assert_eq!(fl & libc::O_ACCMODE, libc::O_RDONLY);
    assert_ne!(
        fl & libc::O_NONBLOCK,
        0,
        "donated descriptors are non-blocking"
    );
    assert_ne!(fdfl & libc::FD_CLOEXEC, 0);
    // Read-only really means read-only.
    assert!(std::fs::File::from(fd).write_all(b"x").is_err());

    let mut file = std::fs::File::from(c.open(f, libc::O_RDWR as u32).unwrap());
    file.write_all(b"HE").unwrap();
    assert_eq!(std::fs::read(t.at("a.txt")).unwrap(), b"HEllo");
    file.rewind().unwrap();
    let mut s = String::new();
    file.read_to_string(&mut s).unwrap();
    assert_eq!(s, "HEllo");

    let mut file =
        std::fs::File::from(c.open(f, (libc::O_WRONLY | libc::O_APPEND) as u32).unwrap());
    file.write_all(b"!").unwrap();
    assert_eq!(std::fs::read(t.at("a.txt")).unwrap(), b"HEllo!");

    c.open(f, (libc::O_WRONLY | libc::O_TRUNC) as u32).unwrap();
    assert_eq!(std::fs::read(t.at("a.txt")).unwrap(), b"");
    g.finish();
}

#[test]
fn open_errors_and_directories() {
    let (_t, g, root) = setup();
    let c = &g.client;
    let (f, _) = c.walk(root, "a.txt").unwrap();
    let (d, _) = c.walk(root, "d").unwrap();
    assert_eq!(
        c.open(f, libc::O_DIRECTORY as u32).unwrap_err(),
        Errno::ENOTDIR
    );
    assert_eq!(c.open(d, libc::O_RDWR as u32).unwrap_err(), Errno::EISDIR);
    for bad in [
        libc::O_CREAT,
        libc::O_EXCL,
        libc::O_PATH,
        libc::O_TMPFILE | libc::O_RDWR,
        3,
    ] {
        assert_eq!(
            c.open(f, bad as u32).unwrap_err(),
            Errno::EINVAL,
            "{bad:#o}"
        );
    }
    // A directory descriptor lists the directory.
    let dfd = c
        .open(d, (libc::O_RDONLY | libc::O_DIRECTORY) as u32)
        .unwrap();
    let mut buf = [0u8; 512];
    // SAFETY: buf is writable for its length.
    let n = unsafe {
        libc::syscall(
            libc::SYS_getdents64,
            std::os::fd::AsRawFd::as_raw_fd(&dfd),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    assert!(n > 0);
    g.finish();
}

#[test]
fn special_files_open_without_blocking() {
    let (_t, g, root) = setup();
    let c = &g.client;
    let (fifo, attr) = c.mknod(root, "fifo", libc::S_IFIFO | 0o644, 0, 0).unwrap();
    assert_eq!(attr.file_type(), libc::S_IFIFO);
    // No reader yet: a blocking open would hang the gofer; Linux says ENXIO for
    // a non-blocking one.
    assert_eq!(
        c.open(fifo, libc::O_WRONLY as u32).unwrap_err(),
        Errno::ENXIO
    );
    let r = c.open(fifo, libc::O_RDONLY as u32).unwrap();
    let w = c.open(fifo, libc::O_WRONLY as u32).unwrap();
    std::fs::File::from(w)
        .write_all(b"through the pipe")
        .unwrap();
    // Not read to EOF: the server may not have closed its copy of the writer yet.
    let mut got = [0u8; 16];
    std::fs::File::from(r).read_exact(&mut got).unwrap();
    assert_eq!(&got, b"through the pipe");

    let (sock, attr) = c.mknod(root, "sock", libc::S_IFSOCK | 0o600, 0, 0).unwrap();
    assert_eq!(attr.file_type(), libc::S_IFSOCK);
    assert_eq!(
        c.open(sock, libc::O_RDONLY as u32).unwrap_err(),
        Errno::ENXIO
    );
    g.finish();
}

#[test]
fn create_makes_owned_file_and_opens_it() {
    let (t, g, root) = setup();
    let c = &g.client;
    let (fid, attr, fd) = c
        .create(root, "new", libc::O_RDWR as u32, 0o640, 1234, 5678)
        .unwrap();
    assert_eq!(attr.mode, libc::S_IFREG | 0o640);
    assert_eq!((attr.uid, attr.gid, attr.size), (1234, 5678, 0));
    std::fs::File::from(fd).write_all(b"created").unwrap();
    assert_eq!(std::fs::read(t.at("new")).unwrap(), b"created");
    let meta = lstat(&t.at("new"));
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o7777),
        (1234, 5678, 0o640)
    );
    assert_eq!(c.stat(fid).unwrap().size, 7);

    assert_eq!(
        c.create(root, "new", libc::O_RDWR as u32, 0o600, 0, 0)
            .unwrap_err(),
        Errno::EEXIST
    );
    assert_eq!(
        c.create(root, "d", libc::O_RDONLY as u32, 0o600, 0, 0)
            .unwrap_err(),
        Errno::EEXIST
    );
    assert_eq!(
        c.create(
            root,
            "x",
            (libc::O_RDWR | libc::O_DIRECTORY) as u32,
            0o600,
            0,
            0
        )
        .unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(
        c.create(root, "x", 0, libc::S_IFDIR | 0o700, 0, 0)
            .unwrap_err(),
        Errno::EINVAL
    );
    let (f, _) = c.walk(root, "a.txt").unwrap();
    assert_eq!(
        c.create(f, "x", 0, 0o600, 0, 0).unwrap_err(),
        Errno::ENOTDIR
    );
    assert_eq!(
        c.create(root, "..", 0, 0o600, 0, 0).unwrap_err(),
        Errno::EINVAL
    );

    // The umask is not applied (the sentry sends final modes) and set-id bits
    // survive the change of owner.
    let (_, attr, _) = c.create(root, "suid", 0, 0o6777, 42, 43).unwrap();
    assert_eq!((attr.mode & 0o7777, attr.uid, attr.gid), (0o6777, 42, 43));
    g.finish();
}

#[test]
fn mkdir_mknod_symlink() {
    let (t, g, root) = setup();
    let c = &g.client;
    let (dir, attr) = c.mkdir(root, "sub", 0o751, 7, 8).unwrap();
    assert_eq!(
        (attr.mode, attr.uid, attr.gid),
        (libc::S_IFDIR | 0o751, 7, 8)
    );
    assert!(c.walk(dir, "nothing").is_err());
    c.mkdir(dir, "inner", 0o700, 0, 0).unwrap();
    assert!(t.at("sub/inner").is_dir());
    assert_eq!(
        c.mkdir(root, "sub", 0o700, 0, 0).unwrap_err(),
        Errno::EEXIST
    );
    assert_eq!(
        c.mkdir(root, "a.txt", 0o700, 0, 0).unwrap_err(),
        Errno::EEXIST
    );

    let (_, attr) = c.mknod(root, "plain", 0o600, 3, 4).unwrap();
    assert_eq!(
        (attr.mode, attr.uid, attr.gid),
        (libc::S_IFREG | 0o600, 3, 4)
    );
    let (_, attr) = c.mknod(root, "reg", libc::S_IFREG | 0o644, 0, 0).unwrap();
    assert_eq!(attr.mode, libc::S_IFREG | 0o644);
    assert!(lstat(&t.at("reg")).file_type().is_file());
    c.mknod(root, "fifo", libc::S_IFIFO | 0o600, 0, 0).unwrap();
    assert!(lstat(&t.at("fifo")).file_type().is_fifo());
    assert_eq!(
        c.mknod(root, "chr", libc::S_IFCHR | 0o600, 0, 0)
            .unwrap_err(),
        Errno::EPERM
    );
    assert_eq!(
        c.mknod(root, "blk", libc::S_IFBLK | 0o600, 0, 0)
            .unwrap_err(),
        Errno::EPERM
    );
    assert_eq!(
        c.mknod(root, "dir", libc::S_IFDIR | 0o600, 0, 0)
            .unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(
        c.mknod(root, "fifo", libc::S_IFIFO | 0o600, 0, 0)
            .unwrap_err(),
        Errno::EEXIST
    );
    assert!(!t.at("chr").exists() && !t.at("blk").exists());

    let (link, attr) = c.symlink(root, "ln", b"a.txt", 11, 12).unwrap();
    assert_eq!(attr.file_type(), libc::S_IFLNK);
    assert_eq!((attr.uid, attr.gid, attr.size), (11, 12, 5));
    assert_eq!(c.readlink(link).unwrap(), b"a.txt");
    assert_eq!(std::fs::read_link(t.at("ln")).unwrap().as_os_str(), "a.txt");
    // The owner change landed on the link, not on its target.
    assert_eq!(lstat(&t.at("ln")).uid(), 11);
    assert_eq!(lstat(&t.at("a.txt")).uid(), lstat(&t.root()).uid());
    assert_eq!(
        c.symlink(root, "ln", b"x", 0, 0).unwrap_err(),
        Errno::EEXIST
    );
    assert_eq!(
        c.symlink(root, "empty", b"", 0, 0).unwrap_err(),
        Errno::ENOENT
    );
    assert_eq!(
        c.symlink(root, "long", &[b'x'; 4096], 0, 0).unwrap_err(),
        Errno::ENAMETOOLONG
    );
    let long = vec![b'y'; 4095];
    let (l, _) = c.symlink(root, "long", &long, 0, 0).unwrap();
    assert_eq!(c.readlink(l).unwrap(), long);
    let (f, _) = c.walk(root, "a.txt").unwrap();
    assert_eq!(c.readlink(f).unwrap_err(), Errno::EINVAL);
    g.finish();
}

#[test]
fn hard_links() {
    let (t, g, root) = setup();
    let c = &g.client;
    let (f, _) = c.walk(root, "a.txt").unwrap();
    let (d, _) = c.walk(root, "d").unwrap();
    let (l, attr) = c.link(d, "again", f).unwrap();
    assert_eq!(attr.ino, lstat(&t.at("a.txt")).ino());
    assert_eq!(attr.nlink, 2);
    assert_eq!(read_all(&c.open(l, 0).unwrap()), b"hello");
    assert_eq!(c.link(d, "again", f).unwrap_err(), Errno::EEXIST);
    assert_eq!(c.link(root, "dirlink", d).unwrap_err(), Errno::EPERM);
    assert_eq!(c.link(f, "x", f).unwrap_err(), Errno::ENOTDIR);
    g.finish();
}

#[test]
fn unlink_and_rmdir() {
    let (t, g, root) = setup();
    let c = &g.client;
    let (d, _) = c.walk(root, "d").unwrap();
    assert_eq!(
        c.unlink(root, "d", libc::AT_REMOVEDIR as u32).unwrap_err(),
        Errno::ENOTEMPTY
    );
    assert_eq!(c.unlink(root, "d", 0).unwrap_err(), Errno::EISDIR);
    assert_eq!(
        c.unlink(root, "a.txt", libc::AT_REMOVEDIR as u32)
            .unwrap_err(),
        Errno::ENOTDIR
    );
    assert_eq!(c.unlink(root, "missing", 0).unwrap_err(), Errno::ENOENT);
    assert_eq!(c.unlink(root, "a.txt", 0x4).unwrap_err(), Errno::EINVAL);
    let (e, _) = c.walk(d, "e").unwrap();
    c.unlink(e, "f", 0).unwrap();
    c.unlink(d, "e", libc::AT_REMOVEDIR as u32).unwrap();
    c.unlink(root, "a.txt", 0).unwrap();
    assert!(!t.at("a.txt").exists() && !t.at("d/e").exists());
    g.finish();
}

#[test]
fn rename_moves_and_handles_follow() {
    let (t, g, root) = setup();
    let c = &g.client;
    let (f, _) = c.walk(root, "a.txt").unwrap();
    let (d, _) = c.walk(root, "d").unwrap();
    c.rename(root, "a.txt", d, "b.txt", 0).unwrap();
    assert_eq!(std::fs::read(t.at("d/b.txt")).unwrap(), b"hello");
    // The handle reopens the file at its new name.
    assert_eq!(read_all(&c.open(f, 0).unwrap()), b"hello");
    assert_eq!(
        c.rename(root, "a.txt", d, "c", 0).unwrap_err(),
        Errno::ENOENT
    );

    t.write("x", b"X");
    t.write("y", b"Y");
    let (x, _) = c.walk(root, "x").unwrap();
    let (y, _) = c.walk(root, "y").unwrap();
    assert_eq!(
        c.rename(root, "x", root, "y", libc::RENAME_NOREPLACE)
            .unwrap_err(),
        Errno::EEXIST
    );
    c.rename(root, "x", root, "y", libc::RENAME_EXCHANGE)
        .unwrap();
    assert_eq!(std::fs::read(t.at("x")).unwrap(), b"Y");
    assert_eq!(read_all(&c.open(x, 0).unwrap()), b"X");
    assert_eq!(read_all(&c.open(y, 0).unwrap()), b"Y");

    // Now X is at "y" and Y at "x". Moving Y over X leaves X's handle stale:
    // it must not open Y, which now has X's name.
    c.rename(root, "x", root, "y", 0).unwrap();
    assert_eq!(read_all(&c.open(y, 0).unwrap()), b"Y");
    assert_eq!(c.open(x, 0).unwrap_err(), ESTALE);

    assert_eq!(
        c.rename(root, "d", root, "d/sub", 0).unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(
        c.rename(root, "y", root, "z", 0x4).unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(
        c.rename(
            root,
            "y",
            root,
            "z",
            libc::RENAME_NOREPLACE | libc::RENAME_EXCHANGE
        )
        .unwrap_err(),
        Errno::EINVAL
    );
    // A directory's children stay reachable through a moved directory handle.
    c.rename(root, "d", root, "moved", 0).unwrap();
    let (b, _) = c.walk(d, "b.txt").unwrap();
    assert_eq!(read_all(&c.open(b, 0).unwrap()), b"hello");
    g.finish();
}

#[test]
fn setattr_changes_the_node_itself() {
    let (t, g, root) = setup();
    let c = &g.client;
    let (f, _) = c.walk(root, "a.txt").unwrap();
    c.setattr(
        f,
        SetAttr {
            mode: Some(0o4711),
            uid: Some(99),
            gid: Some(98),
            ..Default::default()
        },
    )
    .unwrap();
    let meta = lstat(&t.at("a.txt"));
    assert_eq!(
        (meta.mode() & 0o7777, meta.uid(), meta.gid()),
        (0o4711, 99, 98)
    );
    c.setattr(
        f,
        SetAttr {
            gid: Some(97),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        (lstat(&t.at("a.txt")).uid(), lstat(&t.at("a.txt")).gid()),
        (99, 97)
    );

    c.setattr(
        f,
        SetAttr {
            size: Some(2),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(std::fs::read(t.at("a.txt")).unwrap(), b"he");
    c.setattr(
        f,
        SetAttr {
            size: Some(4),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(std::fs::read(t.at("a.txt")).unwrap(), b"he\0\0");

    let at = |sec, nsec| TimeSet::At { sec, nsec };
    c.setattr(
        f,
        SetAttr {
            atime: at(1000, 5),
            mtime: at(2000, 6),
            ..Default::default()
        },
    )
    .unwrap();
    let a = c.stat(f).unwrap();
    assert_eq!(
        (a.atime.sec, a.atime.nsec, a.mtime.sec, a.mtime.nsec),
        (1000, 5, 2000, 6)
    );
    c.setattr(
        f,
        SetAttr {
            mtime: TimeSet::Now,
            ..Default::default()
        },
    )
    .unwrap();
    let a = c.stat(f).unwrap();
    assert_eq!(
        (a.atime.sec, a.atime.nsec),
        (1000, 5),
        "omitted atime stays"
    );
    assert!(a.mtime.sec > 1_600_000_000);
    assert_eq!(
        c.setattr(
            f,
            SetAttr {
                atime: at(1, 1_000_000_000),
                ..Default::default()
            }
        )
        .unwrap_err(),
        Errno::EINVAL
    );

    let (d, _) = c.walk(root, "d").unwrap();
    c.setattr(
        d,
        SetAttr {
            mode: Some(0o700),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(lstat(&t.at("d")).mode() & 0o7777, 0o700);
    assert_eq!(
        c.setattr(
            d,
            SetAttr {
                size: Some(0),
                ..Default::default()
            }
        )
        .unwrap_err(),
        Errno::EISDIR
    );
    let (fifo, _) = c.mknod(root, "fifo", libc::S_IFIFO | 0o600, 0, 0).unwrap();
    assert_eq!(
        c.setattr(
            fifo,
            SetAttr {
                size: Some(0),
                ..Default::default()
            }
        )
        .unwrap_err(),
        Errno::EINVAL
    );
    c.setattr(
        fifo,
        SetAttr {
            mode: Some(0o666),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(lstat(&t.at("fifo")).mode() & 0o777, 0o666);
    g.finish();
}

#[test]
fn readdir_resumes_and_hides_dots() {
    let (t, g, root) = setup();
    let c = &g.client;
    t.mkdir("many");
    let mut want: Vec<Vec<u8>> = (0..300)
        .map(|i| format!("file-{i:03}").into_bytes())
        .collect();
    for n in &want {
        t.write(&format!("many/{}", String::from_utf8_lossy(n)), b"");
    }
    t.mkdir("many/zdir");
    want.push(b"zdir".to_vec());
    want.sort();

    let (dir, _) = c.walk(root, "many").unwrap();
    let mut got = Vec::new();
    let mut offset = 0;
    loop {
        let batch = c.readdir(dir, offset, 7).unwrap();
        assert!(batch.len() <= 7);
        let Some(last) = batch.last() else { break };
        offset = last.next_offset;
        for d in batch {
            let kind = if d.name == b"zdir" {
                libc::DT_DIR
            } else {
                libc::DT_REG
            };
            assert_eq!(d.kind, kind);
            got.push(d.name);
        }
    }
    got.sort();
    assert_eq!(got, want);

    // One call takes what fits, all of it here.
    assert_eq!(c.readdir(dir, 0, usize::MAX).unwrap().len(), 301);
    assert!(c.readdir(dir, 0, 0).unwrap().is_empty());
    let (f, _) = c.walk(root, "a.txt").unwrap();
    assert_eq!(c.readdir(f, 0, 10).unwrap_err(), Errno::ENOTDIR);
    let (empty, _) = c.mkdir(root, "empty", 0o755, 0, 0).unwrap();
    assert!(c.readdir(empty, 0, 10).unwrap().is_empty());
    g.finish();
}

#[test]
fn readdir_splits_what_does_not_fit_one_message() {
    let (t, g, root) = setup();
    let c = &g.client;
    t.mkdir("big");
    for i in 0..1000 {
        t.write(&format!("big/{i:04}-{}", "n".repeat(200)), b"");
    }
    let (dir, _) = c.walk(root, "big").unwrap();
    let first = c.readdir(dir, 0, usize::MAX).unwrap();
    assert!(first.len() < 1000, "1000 long names exceed one message");
    let mut total = first.len();
    let mut offset = first.last().unwrap().next_offset;
    loop {
        let batch = c.readdir(dir, offset, usize::MAX).unwrap();
        let Some(last) = batch.last() else { break };
        offset = last.next_offset;
        total += batch.len();
    }
    assert_eq!(total, 1000);
    g.finish();
}

#[test]
fn statfs_and_fsync() {
    let (t, g, root) = setup();
    let c = &g.client;
    let s = c.statfs(root).unwrap();
    let path = std::ffi::CString::new(t.root().into_os_string().into_encoded_bytes()).unwrap();
    // SAFETY: an all-zero statfs is valid; statfs writes into it.
    let mut host: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: the path is NUL-terminated and `host` is writable.
    assert_eq!(unsafe { libc::statfs(path.as_ptr(), &mut host) }, 0);
    assert_eq!(s.fs_type, host.f_type as u64);
    assert_eq!(s.bsize, host.f_bsize as u64);
    assert_eq!(s.blocks, host.f_blocks);
    assert_eq!(s.namelen, host.f_namelen as u64);
    assert_ne!(s.fsid, [0, 0]);

    let (f, _) = c.walk(root, "a.txt").unwrap();
    c.fsync(f).unwrap();
    c.fsync(root).unwrap();
    let (l, _) = c.symlink(root, "l", b"a.txt", 0, 0).unwrap();
    assert_eq!(c.fsync(l).unwrap_err(), Errno::EINVAL);
    g.finish();
}

#[test]
fn xattrs() {
    let (t, g, root) = setup();
    let c = &g.client;
    let (f, _) = c.walk(root, "a.txt").unwrap();
    let (d, _) = c.walk(root, "d").unwrap();
    for node in [f, d] {
        assert_eq!(c.getxattr(node, "user.k").unwrap_err(), Errno::ENODATA);
        c.setxattr(node, "user.k", b"v1", 0).unwrap();
        assert_eq!(c.getxattr(node, "user.k").unwrap(), b"v1");
        assert_eq!(
            c.setxattr(node, "user.k", b"v2", libc::XATTR_CREATE as u32)
                .unwrap_err(),
            Errno::EEXIST
        );
        assert_eq!(
            c.setxattr(node, "user.n", b"v", libc::XATTR_REPLACE as u32)
                .unwrap_err(),
            Errno::ENODATA
        );
        c.setxattr(node, "user.k", b"v2", libc::XATTR_REPLACE as u32)
            .unwrap();
        c.setxattr(node, "user.empty", b"", 0).unwrap();
        assert_eq!(c.getxattr(node, "user.empty").unwrap(), b"");
        let mut names = c.listxattr(node).unwrap();
        names.sort();
        assert_eq!(names, vec![b"user.empty".to_vec(), b"user.k".to_vec()]);
        c.removexattr(node, "user.k").unwrap();
        assert_eq!(c.removexattr(node, "user.k").unwrap_err(), Errno::ENODATA);
        assert_eq!(c.getxattr(node, "user.k").unwrap_err(), Errno::ENODATA);
    }
    // (ext4 keeps all of a file's xattrs in one block: stay well below it.)
    let big = vec![7u8; 3000];
    c.setxattr(f, "user.big", &big, 0).unwrap();
    assert_eq!(c.getxattr(f, "user.big").unwrap(), big);
    assert_eq!(
        c.setxattr(f, "user.big", &[0; 65537], 0).unwrap_err(),
        Errno::E2BIG
    );
    assert_eq!(c.setxattr(f, "user.k", b"v", 4).unwrap_err(), Errno::EINVAL);

    // Only user.*: host-meaningful namespaces are out of reach.
    for name in [
        "trusted.x",
        "security.capability",
        "system.posix_acl_access",
    ] {
        assert_eq!(
            c.setxattr(f, name, b"v", 0).unwrap_err(),
            Errno::EOPNOTSUPP,
            "{name}"
        );
        assert_eq!(
            c.getxattr(f, name).unwrap_err(),
            Errno::EOPNOTSUPP,
            "{name}"
        );
        assert_eq!(
            c.removexattr(f, name).unwrap_err(),
            Errno::EOPNOTSUPP,
            "{name}"
        );
    }
    assert_eq!(c.getxattr(f, "").unwrap_err(), Errno::ERANGE);
    let path = std::ffi::CString::new(t.at("a.txt").into_os_string().into_encoded_bytes()).unwrap();
    // A trusted.* attribute set on the host is not listed.
    // SAFETY: path, name and value are valid for the call.
    let set = unsafe {
        libc::setxattr(
            path.as_ptr(),
            c"trusted.hidden".as_ptr(),
            b"1".as_ptr().cast(),
            1,
            0,
        )
    };
    assert_eq!(set, 0);
    let mut names = c.listxattr(f).unwrap();
    names.sort();
    assert_eq!(names, vec![b"user.big".to_vec(), b"user.empty".to_vec()]);

    // Symlinks and special files carry no user.* attributes.
    let (l, _) = c.symlink(root, "l", b"a.txt", 0, 0).unwrap();
    let (p, _) = c.mknod(root, "p", libc::S_IFIFO | 0o600, 0, 0).unwrap();
    for node in [l, p] {
        assert_eq!(c.getxattr(node, "user.big").unwrap_err(), Errno::ENODATA);
        assert_eq!(
            c.setxattr(node, "user.k", b"v", 0).unwrap_err(),
            Errno::EPERM
        );
        assert_eq!(c.removexattr(node, "user.k").unwrap_err(), Errno::EPERM);
        assert!(c.listxattr(node).unwrap().is_empty());
    }
    g.finish();
}

#[test]
fn close_releases_handles() {
    let (_t, g, root) = setup();
    let c = &g.client;
    let (f, _) = c.walk(root, "a.txt").unwrap();
    c.close(f).unwrap();
    assert_eq!(c.stat(f).unwrap_err(), Errno::EBADF);
    assert_eq!(c.close(f).unwrap_err(), Errno::EBADF);
    // The root handle is independent of other handles to it.
    let (r2, _) = c.attach().unwrap();
    c.close(r2).unwrap();
    c.stat(root).unwrap();
    g.finish();
}

#[test]
fn client_is_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<gofer::Client>();
    let (t, g, root) = setup();
    for i in 0..8 {
        t.write(&format!("t{i}"), format!("thread {i}").as_bytes());
    }
    std::thread::scope(|s| {
        for i in 0..8 {
            let c = &g.client;
            s.spawn(move || {
                for _ in 0..50 {
                    let (f, _) = c.walk(root, format!("t{i}")).unwrap();
                    assert_eq!(
                        read_all(&c.open(f, 0).unwrap()),
                        format!("thread {i}").as_bytes()
                    );
                    c.close(f).unwrap();
                }
            });
        }
    });
    g.finish();
}
