//! A busybox image made here (no registry is reachable): the host's static
//! /bin/busybox (Debian's busybox-static) with a link per applet, a passwd
//! and group file, imported with `docker import`.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Stdio};

use super::Daemon;

/// The busybox binary the image is built from.
pub const BUSYBOX: &str = "/bin/busybox";

/// Builds the root filesystem under the daemon's directory and imports it as
/// `tag`.
pub fn import_busybox(daemon: &Daemon, tag: &str) -> Result<(), String> {
    let rootfs = daemon.dir().join("image-busybox");
    let _ = fs::remove_dir_all(&rootfs);
    make_rootfs(&rootfs)?;
    let mut tar = Command::new("tar")
        .args(["--numeric-owner", "--owner=0", "--group=0", "-C"])
        .arg(&rootfs)
        .args(["-c", "."])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("tar: {e}"))?;
    let tar_out = tar.stdout.take().expect("piped");
    let import = daemon
        .docker_command()
        .args(["import", "-", tag])
        .stdin(tar_out)
        .output();
    let tar_status = tar.wait().map_err(|e| format!("tar: {e}"))?;
    let _ = fs::remove_dir_all(&rootfs);
    let import = import.map_err(|e| format!("docker import: {e}"))?;
    if !tar_status.success() || !import.status.success() {
        return Err(format!(
            "importing {tag}: tar {tar_status}, docker import {}: {}",
            import.status,
            String::from_utf8_lossy(&import.stderr)
        ));
    }
    Ok(())
}

fn make_rootfs(root: &Path) -> Result<(), String> {
    let io = |what: &str, e: std::io::Error| format!("busybox image: {what}: {e}");
    if !is_static(Path::new(BUSYBOX)) {
        return Err(format!(
            "{BUSYBOX} is missing or not statically linked (install busybox-static)"
        ));
    }
    for dir in [
        "bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "proc", "sys", "dev",
    ] {
        fs::create_dir_all(root.join(dir)).map_err(|e| io(dir, e))?;
    }
    let tmp = root.join("tmp");
    fs::create_dir_all(&tmp).map_err(|e| io("tmp", e))?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o1777)).map_err(|e| io("tmp", e))?;
    fs::copy(BUSYBOX, root.join("bin/busybox")).map_err(|e| io("copy busybox", e))?;
    // `busybox --list-full` names each applet with its directory: bin/ls, usr/bin/env...
    let list = Command::new(BUSYBOX)
        .arg("--list-full")
        .output()
        .map_err(|e| io("busybox --list-full", e))?;
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        let link = root.join(applet);
        if link.exists() || applet.is_empty() {
            continue;
        }
        let depth = applet.matches('/').count();
        let target = format!("{}bin/busybox", "../".repeat(depth));
        symlink(&target, &link).map_err(|e| io(applet, e))?;
    }
    fs::write(
        root.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    )
    .map_err(|e| io("passwd", e))?;
    fs::write(root.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n")
        .map_err(|e| io("group", e))?;
    Ok(())
}

/// A 64-bit ELF file without a program interpreter (PT_INTERP).
fn is_static(path: &Path) -> bool {
    let Ok(elf) = fs::read(path) else {
        return false;
    };
    let u16_at = |o: usize| {
        elf.get(o..o + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    let u64_at = |o: usize| {
        elf.get(o..o + 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")) as usize)
    };
    if !elf.starts_with(b"\x7fELF\x02\x01") {
        return false;
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38))
    else {
        return false;
    };
    const PT_INTERP: u32 = 3;
    (0..phnum).all(|i| {
        let o = phoff + i * phentsize;
        elf.get(o..o + 4)
            .is_some_and(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) != PT_INTERP)
    })
}
