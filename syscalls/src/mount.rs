//! mount and umount2 inside the sandbox: tmpfs, proc, sysfs and bind mounts of
//! the sandbox's own files.

use abi::linux as l;
use sentry::Errno;
use sentry::fsimpl::{proc, sys, tmpfs::Tmpfs};
use sentry::task::Task;
use sentry::vfs::{MountFlags, VfsPath};

use crate::args::{Args, Handler, SysResult};
use crate::path::{read_path, resolve_at};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (
            l::__NR_mount,
            Some(mount),
            Partial(
                "tmpfs (size=, nr_blocks=, mode=, uid=, gid=), proc, sysfs and bind mounts; MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC kept per mount (noexec enforced at execve and mmap, not mprotect); other flags ignored; MS_REMOUNT and other filesystem types are ENODEV/EINVAL",
            ),
        ),
        (
            l::__NR_umount2,
            Some(umount2),
            Partial("always lazy: busy mounts are detached, not refused"),
        ),
    ]
}

const MS_RDONLY: u64 = 1;
const MS_REMOUNT: u64 = 32;
const MS_BIND: u64 = 4096;
const MS_MOVE: u64 = 8192;
/// MS_UNBINDABLE, MS_PRIVATE, MS_SLAVE, MS_SHARED: propagation types.
const MS_PROPAGATION: u64 = (1 << 17) | (1 << 18) | (1 << 19) | (1 << 20);

fn optional_string(t: &Task, addr: u64) -> Result<Vec<u8>, Errno> {
    if addr == 0 {
        Ok(Vec::new())
    } else {
        t.mm.read_cstring(addr, 4095)
    }
}

fn mount(t: &mut Task, a: &Args) -> SysResult {
    if !t.creds().has_cap(abi::linux::CAP_SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    let (source, flags) = (optional_string(t, a.ptr(0))?, a.u64(3));
    let target = read_path(t, a.ptr(1))?;
    let point = resolve_at(t, l::AT_FDCWD, &target, true)?;
    if flags & MS_PROPAGATION != 0 {
        // One mount namespace: there is nothing to propagate to.
        return Ok(0);
    }
    if flags & (MS_REMOUNT | MS_MOVE) != 0 {
        return Err(Errno::EINVAL);
    }
    let readonly = flags & MS_RDONLY != 0;
    let mount_flags = MountFlags {
        nosuid: flags & u64::from(l::MS_NOSUID) != 0,
        nodev: flags & u64::from(l::MS_NODEV) != 0,
        noexec: flags & u64::from(l::MS_NOEXEC) != 0,
    };
    let ns = &t.kernel.mounts;
    if flags & MS_BIND != 0 {
        let src: VfsPath = resolve_at(t, l::AT_FDCWD, &source, true)?;
        if src.is_dir() != point.is_dir() {
            return Err(if point.is_dir() {
                Errno::ENOTDIR
            } else {
                Errno::EISDIR
            });
        }
        let label = String::from_utf8_lossy(&source).into_owned();
        return ns
            .mount_with_flags(
                &point,
                src.inode().clone(),
                readonly,
                mount_flags,
                "bind",
                label,
            )
            .map(|_| 0);
    }
    if !point.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    let fs_type = optional_string(t, a.ptr(2))?;
    let label = String::from_utf8_lossy(&source).into_owned();
    let root = match fs_type.as_slice() {
        b"tmpfs" => {
            let data = optional_string(t, a.ptr(4))?;
            Tmpfs::with_options(String::from_utf8_lossy(&data).split(','))?
        }
        b"proc" => proc::new_root(&t.kernel),
        b"sysfs" => sys::new_root(t.kernel.cpus),
        _ => return Err(Errno::ENODEV),
    };
    let name = match fs_type.as_slice() {
        b"tmpfs" => "tmpfs",
        b"proc" => "proc",
        _ => "sysfs",
    };
    ns.mount_with_flags(&point, root, readonly, mount_flags, name, label)
        .map(|_| 0)
}

fn umount2(t: &mut Task, a: &Args) -> SysResult {
    const KNOWN: u32 = 1 | 2 | 4 | 8;
    const UMOUNT_NOFOLLOW: u32 = 8;
    let flags = a.u32(1);
    if flags & !KNOWN != 0 {
        return Err(Errno::EINVAL);
    }
    if !t.creds().has_cap(abi::linux::CAP_SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    let target = read_path(t, a.ptr(0))?;
    let p = resolve_at(t, l::AT_FDCWD, &target, flags & UMOUNT_NOFOLLOW == 0)?;
    // Only the root of a mount can be unmounted.
    if p.inode().key() != p.mount().root.key() {
        return Err(Errno::EINVAL);
    }
    t.kernel.mounts.unmount(p.mount().id).map(|_| 0)
}
