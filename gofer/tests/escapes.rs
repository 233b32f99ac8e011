//! Attempts to reach outside the mount root. Each must fail, and the file
//! outside (`outside/secret`) must be untouched.

mod common;

use std::os::unix::fs::MetadataExt;

use abi::Errno;
use common::{Gofer, Tree, lstat, read_all};
use gofer::{Fid, SetAttr, TimeSet};

const ESTALE: Errno = Errno(libc::ESTALE as u16);

fn setup() -> (Tree, Gofer, Fid) {
    let t = Tree::new();
    t.write("a.txt", b"inside");
    t.symlink("evil", t.outside().join("secret"));
    t.symlink("rel", "../outside/secret");
    t.symlink("passwd", "/etc/passwd");
    t.symlink("up", "../../..");
    t.symlink("slash", "/");
    t.symlink("out", t.outside());
    t.symlink("dangle", t.outside().join("created"));
    let g = Gofer::serve(&t.root(), false);
    let (root, _) = g.client.attach().unwrap();
    (t, g, root)
}

/// The secret's content and metadata, to compare before and after.
fn secret_state(t: &Tree) -> (Vec<u8>, u32, u32, u64, i64, i64) {
    let m = lstat(&t.outside().join("secret"));
    (
        t.secret(),
        m.mode(),
        m.uid(),
        m.nlink(),
        m.mtime_nsec(),
        m.ctime_nsec(),
    )
}

fn outside_names(t: &Tree) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(t.outside())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn symlinks_to_files_outside_are_never_followed() {
    let (t, g, root) = setup();
    let c = &g.client;
    let before = secret_state(&t);
    for (name, target) in [
        (
            "evil",
            t.outside()
                .join("secret")
                .into_os_string()
                .into_encoded_bytes(),
        ),
        ("rel", b"../outside/secret".to_vec()),
        ("passwd", b"/etc/passwd".to_vec()),
    ] {
        let (fid, attr) = c.walk(root, name).unwrap();
        assert_eq!(
            attr.file_type(),
            libc::S_IFLNK,
            "{name}: walk returns the link itself"
        );
        assert_eq!(attr.size, target.len() as u64);
        assert_eq!(c.readlink(fid).unwrap(), target);
        for flags in [
            libc::O_RDONLY,
            libc::O_RDWR,
            libc::O_WRONLY | libc::O_TRUNC,
            libc::O_RDONLY | libc::O_DIRECTORY,
            libc::O_WRONLY | libc::O_APPEND,
        ] {
            assert_eq!(
                c.open(fid, flags as u32).unwrap_err(),
                Errno::ELOOP,
                "{name} {flags:#o}"
            );
        }
        assert_eq!(c.walk(fid, "x").unwrap_err(), Errno::ENOTDIR);
    }
    assert_eq!(secret_state(&t), before);
    g.finish();
}

#[test]
fn symlinked_directories_cannot_be_walked_through() {
    let (t, g, root) = setup();
    let c = &g.client;
    for name in ["up", "slash", "out"] {
        let (fid, attr) = c.walk(root, name).unwrap();
        assert_eq!(attr.file_type(), libc::S_IFLNK);
        for inner in ["etc", "secret", "root", "passwd"] {
            assert_eq!(
                c.walk(fid, inner).unwrap_err(),
                Errno::ENOTDIR,
                "{name}/{inner}"
            );
        }
        assert_eq!(c.readdir(fid, 0, 100).unwrap_err(), Errno::ENOTDIR);
        assert_eq!(
            c.create(fid, "new", libc::O_RDWR as u32, 0o644, 0, 0)
                .unwrap_err(),
            Errno::ENOTDIR
        );
        assert_eq!(
            c.mkdir(fid, "new", 0o755, 0, 0).unwrap_err(),
            Errno::ENOTDIR
        );
        assert_eq!(
            c.mknod(fid, "new", libc::S_IFIFO | 0o644, 0, 0)
                .unwrap_err(),
            Errno::ENOTDIR
        );
        assert_eq!(
            c.symlink(fid, "new", b"x", 0, 0).unwrap_err(),
            Errno::ENOTDIR
        );
        assert_eq!(c.unlink(fid, "secret", 0).unwrap_err(), Errno::ENOTDIR);
        assert_eq!(
            c.rename(fid, "secret", root, "stolen", 0).unwrap_err(),
            Errno::ENOTDIR
        );
        assert_eq!(
            c.rename(root, "a.txt", fid, "planted", 0).unwrap_err(),
            Errno::ENOTDIR
        );
    }
    assert_eq!(outside_names(&t), ["secret"]);
    assert_eq!(t.secret(), b"top secret\n");
    assert!(t.at("a.txt").exists() && !t.at("stolen").exists());
    g.finish();
}

#[test]
fn dot_dot_and_slashes_are_refused_everywhere() {
    let (t, g, root) = setup();
    let c = &g.client;
    let (f, _) = c.walk(root, "a.txt").unwrap();
    for bad in [
        "..",
        "../outside/secret",
        "../outside/new",
        "a/b",
        "/etc",
        ".",
    ] {
        let e = Errno::EINVAL;
        assert_eq!(c.walk(root, bad).unwrap_err(), e, "walk {bad}");
        assert_eq!(
            c.create(root, bad, libc::O_RDWR as u32, 0o644, 0, 0)
                .unwrap_err(),
            e
        );
        assert_eq!(c.mkdir(root, bad, 0o755, 0, 0).unwrap_err(), e);
        assert_eq!(c.mknod(root, bad, 0o644, 0, 0).unwrap_err(), e);
        assert_eq!(c.symlink(root, bad, b"x", 0, 0).unwrap_err(), e);
        assert_eq!(c.link(root, bad, f).unwrap_err(), e);
        assert_eq!(c.unlink(root, bad, 0).unwrap_err(), e);
        assert_eq!(
            c.unlink(root, bad, libc::AT_REMOVEDIR as u32).unwrap_err(),
            e
        );
        assert_eq!(c.rename(root, "a.txt", root, bad, 0).unwrap_err(), e);
        assert_eq!(c.rename(root, bad, root, "stolen", 0).unwrap_err(), e);
    }
    assert_eq!(c.walk(root, "").unwrap_err(), Errno::ENOENT);
    assert_eq!(
        c.create(root, "", 0, 0o644, 0, 0).unwrap_err(),
        Errno::ENOENT
    );
    assert_eq!(outside_names(&t), ["secret"]);
    assert_eq!(t.secret(), b"top secret\n");
    assert_eq!(std::fs::read(t.at("a.txt")).unwrap(), b"inside");
    g.finish();
}

#[test]
fn creating_through_a_dangling_symlink_is_refused() {
    let (t, g, root) = setup();
    let c = &g.client;
    assert_eq!(
        c.create(root, "dangle", libc::O_RDWR as u32, 0o644, 0, 0)
            .unwrap_err(),
        Errno::EEXIST
    );
    assert_eq!(
        c.create(root, "evil", libc::O_RDWR as u32, 0o644, 0, 0)
            .unwrap_err(),
        Errno::EEXIST
    );
    assert_eq!(
        c.mkdir(root, "dangle", 0o755, 0, 0).unwrap_err(),
        Errno::EEXIST
    );
    assert_eq!(
        c.mknod(root, "dangle", libc::S_IFIFO | 0o644, 0, 0)
            .unwrap_err(),
        Errno::EEXIST
    );
    assert_eq!(
        c.symlink(root, "dangle", b"x", 0, 0).unwrap_err(),
        Errno::EEXIST
    );
    let (f, _) = c.walk(root, "a.txt").unwrap();
    assert_eq!(c.link(root, "dangle", f).unwrap_err(), Errno::EEXIST);
    assert_eq!(outside_names(&t), ["secret"]);
    g.finish();
}

#[test]
fn attribute_changes_on_a_symlink_stay_on_the_link() {
    let (t, g, root) = setup();
    let c = &g.client;
    let before = secret_state(&t);
    let (evil, _) = c.walk(root, "evil").unwrap();
    c.setattr(
        evil,
        SetAttr {
            uid: Some(4242),
            gid: Some(4343),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        (lstat(&t.at("evil")).uid(), lstat(&t.at("evil")).gid()),
        (4242, 4343)
    );
    let times = SetAttr {
        atime: TimeSet::At { sec: 1, nsec: 0 },
        mtime: TimeSet::At { sec: 2, nsec: 0 },
        ..Default::default()
    };
    c.setattr(evil, times).unwrap();
    assert_eq!(lstat(&t.at("evil")).mtime(), 2);
    assert_eq!(
        c.setattr(
            evil,
            SetAttr {
                mode: Some(0o777),
                ..Default::default()
            }
        )
        .unwrap_err(),
        Errno::EOPNOTSUPP
    );
    assert_eq!(
        c.setattr(
            evil,
            SetAttr {
                size: Some(0),
                ..Default::default()
            }
        )
        .unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(
        c.setxattr(evil, "user.x", b"v", 0).unwrap_err(),
        Errno::EPERM
    );
    assert_eq!(c.getxattr(evil, "user.x").unwrap_err(), Errno::ENODATA);
    assert_eq!(c.fsync(evil).unwrap_err(), Errno::EINVAL);
    assert_eq!(secret_state(&t), before);
    g.finish();
}

#[test]
fn links_renames_and_unlinks_act_on_symlinks_themselves() {
    let (t, g, root) = setup();
    let c = &g.client;
    let before = secret_state(&t);
    let (evil, _) = c.walk(root, "evil").unwrap();
    let (hard, attr) = c.link(root, "hard", evil).unwrap();
    assert_eq!(
        attr.file_type(),
        libc::S_IFLNK,
        "the link, not its target, was linked"
    );
    assert_eq!(
        c.open(hard, libc::O_RDONLY as u32).unwrap_err(),
        Errno::ELOOP
    );

    // Renaming over a symlink replaces the link, not the file it names.
    c.rename(root, "a.txt", root, "evil", 0).unwrap();
    assert_eq!(std::fs::read(t.at("evil")).unwrap(), b"inside");
    c.unlink(root, "hard", 0).unwrap();
    c.unlink(root, "rel", 0).unwrap();
    assert!(!t.at("rel").exists());
    assert_eq!(secret_state(&t), before);
    g.finish();
}

#[test]
fn a_node_replaced_on_the_host_is_not_reopened() {
    let (t, g, root) = setup();
    let c = &g.client;
    let before = secret_state(&t);
    let (f, _) = c.walk(root, "a.txt").unwrap();

    // Swapped for a symlink to the secret: reopening by name must not follow it.
    std::fs::rename(t.at("a.txt"), t.at("a.moved")).unwrap();
    t.symlink("a.txt", t.outside().join("secret"));
    for flags in [libc::O_RDONLY, libc::O_RDWR | libc::O_TRUNC] {
        assert_eq!(
            c.open(f, flags as u32).unwrap_err(),
            Errno::ELOOP,
            "{flags:#o}"
        );
    }
    let truncate = SetAttr {
        size: Some(0),
        ..Default::default()
    };
    assert_eq!(c.setattr(f, truncate).unwrap_err(), Errno::ELOOP);
    assert_eq!(c.setxattr(f, "user.x", b"v", 0).unwrap_err(), Errno::ELOOP);
    assert_eq!(c.fsync(f).unwrap_err(), Errno::ELOOP);
    assert_eq!(secret_state(&t), before);

    // Swapped for another file: the inode check refuses it.
    std::fs::remove_file(t.at("a.txt")).unwrap();
    t.write("a.txt", b"impostor");
    assert_eq!(c.open(f, libc::O_RDONLY as u32).unwrap_err(), ESTALE);
    g.finish();
}

#[test]
fn a_held_directory_stays_the_directory_it_was() {
    let (t, g, root) = setup();
    let c = &g.client;
    t.mkdir("d");
    t.write("d/inner", b"in d");
    let (d, _) = c.walk(root, "d").unwrap();
    // On the host, d moves and a symlink to the outside takes its name.
    std::fs::rename(t.at("d"), t.at("d.moved")).unwrap();
    t.symlink("d", t.outside());
    let (inner, _) = c.walk(d, "inner").unwrap();
    assert_eq!(read_all(&c.open(inner, 0).unwrap()), b"in d");
    assert_eq!(c.walk(d, "secret").unwrap_err(), Errno::ENOENT);
    c.create(d, "made", libc::O_RDWR as u32, 0o644, 0, 0)
        .unwrap();
    assert!(t.at("d.moved/made").exists());
    assert_eq!(outside_names(&t), ["secret"]);
    g.finish();
}
