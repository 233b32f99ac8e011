//! Shared fixtures: a temporary tree with a mount root and a directory outside
//! it, and a gofer serving the root from a thread.

#![allow(dead_code)] // Each test binary uses a different part.

use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;

use gofer::Client;

/// `<tmp>/gofer-test-<pid>-<n>/{root,outside}`, removed on drop. `outside`
/// holds `secret` ("top secret\n"), the file escapes aim at.
pub struct Tree {
    base: PathBuf,
}

impl Tree {
    pub fn new() -> Tree {
        static N: AtomicU32 = AtomicU32::new(0);
        let base = std::env::temp_dir().join(format!(
            "gofer-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("root")).unwrap();
        std::fs::create_dir_all(base.join("outside")).unwrap();
        std::fs::write(base.join("outside/secret"), b"top secret\n").unwrap();
        Tree { base }
    }

    pub fn root(&self) -> PathBuf {
        self.base.join("root")
    }

    pub fn outside(&self) -> PathBuf {
        self.base.join("outside")
    }

    /// `root/<rel>`.
    pub fn at(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    pub fn write(&self, rel: &str, data: &[u8]) {
        std::fs::write(self.at(rel), data).unwrap();
    }

    pub fn mkdir(&self, rel: &str) {
        std::fs::create_dir_all(self.at(rel)).unwrap();
    }

    pub fn symlink(&self, rel: &str, target: impl AsRef<Path>) {
        std::os::unix::fs::symlink(target, self.at(rel)).unwrap();
    }

    pub fn secret(&self) -> Vec<u8> {
        std::fs::read(self.outside().join("secret")).unwrap()
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// A gofer serving a directory from a thread, and a client connected to it.
pub struct Gofer {
    pub client: Client,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl Gofer {
    pub fn serve(root: &Path, readonly: bool) -> Gofer {
        let (server_end, client_end) = gofer::socket_pair().unwrap();
        let dir = File::open(root).unwrap();
        let server = std::thread::spawn(move || gofer::serve(dir, readonly, server_end));
        Gofer {
            client: Client::new(client_end),
            server: Some(server),
        }
    }

    /// A gofer serving only the file `name` of the directory `dir`.
    pub fn serve_file(dir: &Path, name: &str, readonly: bool) -> std::io::Result<Gofer> {
        let (server_end, client_end) = gofer::socket_pair().unwrap();
        let dir = File::open(dir).unwrap();
        let name = std::ffi::CString::new(name).unwrap();
        // Setting up fails before serving starts: try it here, then serve.
        let (tx, rx) = std::sync::mpsc::channel();
        let server = std::thread::spawn(move || {
            let r = gofer::serve_file(dir, &name, readonly, server_end);
            if let Err(e) = &r {
                let _ = tx.send(e.kind());
            }
            r
        });
        let client = Client::new(client_end);
        match client.attach() {
            Ok(_) => Ok(Gofer {
                client,
                server: Some(server),
            }),
            Err(_) => {
                let kind = rx.recv().unwrap();
                let _ = server.join();
                Err(kind.into())
            }
        }
    }

    /// Hangs up and checks that the server then returned `Ok`.
    pub fn finish(mut self) {
        let server = self.server.take().unwrap();
        drop(self);
        server.join().unwrap().unwrap();
    }
}

/// Reads a whole donated descriptor from its current offset.
pub fn read_all(fd: &OwnedFd) -> Vec<u8> {
    use std::io::Read;
    let mut f = File::from(fd.try_clone().unwrap());
    let mut v = Vec::new();
    f.read_to_end(&mut v).unwrap();
    v
}

/// `fcntl(F_GETFL)` and `F_GETFD` of a descriptor.
pub fn fd_flags(fd: &OwnedFd) -> (i32, i32) {
    // SAFETY: fcntl on a descriptor we own, with integer arguments only.
    unsafe {
        (
            libc::fcntl(fd.as_raw_fd(), libc::F_GETFL),
            libc::fcntl(fd.as_raw_fd(), libc::F_GETFD),
        )
    }
}

/// `lstat` of a host path.
pub fn lstat(path: &Path) -> std::fs::Metadata {
    std::fs::symlink_metadata(path).unwrap()
}
