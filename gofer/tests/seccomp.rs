//! The gofer's seccomp filter, in child processes: a filtered gofer serves a
//! representative set of operations, and forbidden calls kill it with SIGSYS.
//!
//! `harness = false`: this binary's `main` is either the parent (the tests) or,
//! re-run with `GOFER_SECCOMP_CHILD` set, one of the children.

mod common;

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command};

use abi::Errno;
use common::{Tree, read_all};
use gofer::{Client, SetAttr, TimeSet};

const CHILD: &str = "GOFER_SECCOMP_CHILD";

fn main() {
    match std::env::var(CHILD).as_deref() {
        Ok("serve") => child_serve(),
        Ok("openat") => child_forbidden_openat(),
        Ok("exec-mmap") => child_forbidden_exec_mmap(),
        Ok(other) => panic!("unknown child {other}"),
        Err(_) => {
            run(
                "filtered_gofer_serves_every_operation",
                filtered_gofer_serves_every_operation,
            );
            run("forbidden_openat_kills_with_sigsys", || {
                expect_sigsys("openat")
            });
            run("executable_mmap_kills_with_sigsys", || {
                expect_sigsys("exec-mmap")
            });
        }
    }
}

fn run(name: &str, test: impl FnOnce()) {
    print!("test {name} ... ");
    std::io::stdout().flush().unwrap();
    test();
    println!("ok");
}

/// Child: serve `GOFER_ROOT` on inherited descriptor `GOFER_FD` under the filter.
fn child_serve() {
    let root = File::open(std::env::var("GOFER_ROOT").unwrap()).unwrap();
    let fd: i32 = std::env::var("GOFER_FD").unwrap().parse().unwrap();
    // SAFETY: the parent passed us this descriptor for our exclusive use.
    let conn = unsafe { OwnedFd::from_raw_fd(fd) };
    gofer::seccomp::install_filter().unwrap();
    gofer::serve(root, false, conn).unwrap();
    std::process::exit(0);
}

/// Child: plain `openat` (which would follow symlinks) is not the gofer's.
fn child_forbidden_openat() {
    gofer::seccomp::install_filter().unwrap();
    let _ = File::open("/");
    std::process::exit(0);
}

/// Child: the gofer never maps executable memory.
fn child_forbidden_exec_mmap() {
    gofer::seccomp::install_filter().unwrap();
    // SAFETY: an anonymous private mapping touches no existing memory.
    let _ = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_EXEC,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    std::process::exit(0);
}

fn spawn(kind: &str, envs: &[(&str, String)]) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .env(CHILD, kind)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .spawn()
        .unwrap()
}

fn expect_sigsys(kind: &str) {
    let status = spawn(kind, &[]).wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGSYS), "{kind}: {status:?}");
}

fn filtered_gofer_serves_every_operation() {
    let t = Tree::new();
    t.write("a.txt", b"hello");
    t.mkdir("d");
    t.symlink("evil", t.outside().join("secret"));
    let (server_end, client_end) = gofer::socket_pair().unwrap();
    // The child inherits the server end.
    // SAFETY: clears FD_CLOEXEC on a descriptor we own.
    let inheritable = unsafe { libc::fcntl(server_end.as_raw_fd(), libc::F_SETFD, 0) };
    assert_eq!(inheritable, 0);
    let mut child = spawn(
        "serve",
        &[
            ("GOFER_ROOT", t.root().to_str().unwrap().to_string()),
            ("GOFER_FD", server_end.as_raw_fd().to_string()),
        ],
    );
    drop(server_end);
    let client = Client::new(client_end);
    exercise(&client, &t);
    drop(client);
    let status = child.wait().unwrap();
    assert!(status.success(), "filtered gofer: {status:?}");
}

/// Every operation once, through the filtered server.
fn exercise(c: &Client, t: &Tree) {
    let (root, _) = c.attach().unwrap();
    let (f, attr) = c.walk(root, "a.txt").unwrap();
    assert_eq!(attr.size, 5);
    assert_eq!(c.stat(f).unwrap().ino, attr.ino);
    assert_eq!(
        read_all(&c.open(f, libc::O_RDONLY as u32).unwrap()),
        b"hello"
    );
    let (evil, _) = c.walk(root, "evil").unwrap();
    assert_eq!(
        c.open(evil, libc::O_RDONLY as u32).unwrap_err(),
        Errno::ELOOP
    );
    assert_eq!(c.walk(root, "..").unwrap_err(), Errno::EINVAL);

    let (d, _) = c.walk(root, "d").unwrap();
    let (n, _, fd) = c
        .create(d, "new", libc::O_RDWR as u32, 0o6755, 5, 6)
        .unwrap();
    File::from(fd).write_all(b"written").unwrap();
    assert_eq!(std::fs::read(t.at("d/new")).unwrap(), b"written");
    let (sub, _) = c.mkdir(d, "sub", 0o700, 5, 6).unwrap();
    let (p, _) = c.mknod(sub, "pipe", libc::S_IFIFO | 0o600, 0, 0).unwrap();
    let _reader = c.open(p, libc::O_RDONLY as u32).unwrap();
    let (l, _) = c.symlink(sub, "ln", b"../new", 7, 8).unwrap();
    assert_eq!(c.readlink(l).unwrap(), b"../new");
    let (h, attr) = c.link(sub, "hard", n).unwrap();
    assert_eq!(attr.nlink, 2);
    c.rename(sub, "hard", d, "hard2", 0).unwrap();
    c.rename(d, "hard2", d, "new", libc::RENAME_EXCHANGE)
        .unwrap();
    assert_eq!(read_all(&c.open(h, 0).unwrap()), b"written");
    c.setattr(
        n,
        SetAttr {
            mode: Some(0o640),
            uid: Some(1),
            gid: Some(2),
            size: Some(3),
            atime: TimeSet::Now,
            mtime: TimeSet::At {
                sec: 12345,
                nsec: 0,
            },
        },
    )
    .unwrap();
    let a = c.stat(n).unwrap();
    assert_eq!(
        (a.mode & 0o7777, a.uid, a.gid, a.size, a.mtime.sec),
        (0o640, 1, 2, 3, 12345)
    );

    let names: Vec<_> = c
        .readdir(d, 0, 100)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(c.statfs(root).unwrap().bsize > 0);
    c.fsync(n).unwrap();
    c.fsync(d).unwrap();

    c.setxattr(n, "user.k", b"v", 0).unwrap();
    assert_eq!(c.getxattr(n, "user.k").unwrap(), b"v");
    assert_eq!(c.listxattr(n).unwrap(), vec![b"user.k".to_vec()]);
    c.removexattr(n, "user.k").unwrap();

    c.unlink(sub, "pipe", 0).unwrap();
    c.unlink(sub, "ln", 0).unwrap();
    c.unlink(d, "sub", libc::AT_REMOVEDIR as u32).unwrap();
    c.close(f).unwrap();
    assert_eq!(c.stat(f).unwrap_err(), Errno::EBADF);
    assert_eq!(t.secret(), b"top secret\n");
}
