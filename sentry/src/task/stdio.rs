//! The host descriptors a process starts with as its 0, 1 and 2.
//!
//! A host terminal among them is named in the sandbox's devpts: the console
//! already is /dev/pts/0; another (`runsc exec -t`'s) takes the next free
//! number. Its node is owned by the process's user (as runc's
//! fixStdioPermissions chowns stdio) and its files are opened at
//! /dev/pts/N, so that /proc/PID/fd/N and `ttyname` name it.

use std::os::fd::AsRawFd;
use std::sync::Arc;

use crate::fs::host_fd::{HostFd, host_access_mode};
use crate::fs::{FdTable, OpenFile};
use crate::fsimpl::devpts::Devpts;
use crate::vfs::{Resolver, VfsPath};

use super::StdioFd;

/// Installs `stdio` as 0, 1 and 2 of `fds`; `resolver` sees the files as
/// the new process does.
pub(super) fn install(fds: &FdTable, stdio: [StdioFd; 3], resolver: &Resolver) {
    let devpts = Devpts::mounted(resolver);
    for (fd, host) in stdio.into_iter().enumerate() {
        let (flags, ops) = match host {
            StdioFd::Shared(h) => (host_access_mode(h), HostFd::new(h)),
            StdioFd::Owned(h) => (host_access_mode(h.as_raw_fd()), HostFd::owned(h)),
        };
        let path = devpts
            .as_ref()
            .and_then(|d| terminal_path(d, &ops, resolver));
        let ops = Arc::new(ops);
        let file = match path {
            Some(path) => OpenFile::at_path(ops, path, flags),
            None => OpenFile::new(ops, flags),
        };
        fds.install_at(fd as i32, file, false);
    }
}

/// Where host terminal `file` is in `devpts` (named now if it has no name
/// yet); None when `file` is no terminal or /dev/pts/N cannot be reached.
fn terminal_path(devpts: &Devpts, file: &HostFd, resolver: &Resolver) -> Option<VfsPath> {
    let tty = file.host_tty()?;
    let uid = resolver.creds.uid;
    let index = devpts
        .add_host_terminal(tty, uid)
        .inspect_err(|e| tracing::warn!("no /dev/pts name for a host terminal: {e}"))
        .ok()?;
    let node = tty.node()?;
    node.set_owner(None, Some(uid), None);
    let path = format!("/dev/pts/{index}");
    let at = resolver
        .resolve(&resolver.root, path.as_bytes(), true)
        .ok()?;
    (at.inode().key() == node.key()).then_some(at)
}
