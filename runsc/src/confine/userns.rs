//! Running `runsc boot` as root of a user namespace of its own whose root is
//! the host's unprivileged `nobody` (uid and gid 65534, as gVisor's sandbox):
//! inside, boot owns its mount namespace (so it can pivot into its empty root)
//! and drops its capabilities as before; outside, even a compromised sentry
//! is host uid 65534 with no capability, not host root.
//!
//! Why `nobody` rather than a dedicated id per sandbox: boot cannot name host
//! processes (own PID namespace) nor host paths (empty root), so sharing the
//! id with other sandboxes and `nobody` processes exposes nothing, and it
//! needs no allocation of id ranges (`/etc/subuid`).
//!
//! The steps, split between the processes `namespaces.rs` forks (everything
//! between fork and exec is raw, async-signal-safe system calls on memory
//! prepared before the fork):
//! - runsc (`prepare`): whether it is possible at all: runsc is root, user
//!   namespaces are enabled, `nobody` exists in runsc's own user namespace.
//! - the sandbox, still host root (`enter`): drops its supplementary groups,
//!   checks that `nobody` can read and execute the runsc binary (boot
//!   execs it as `nobody`), and unshares the user namespace together with the
//!   mount, IPC, UTS (and new network) namespaces, which it then owns. Any
//!   refusal here means no user namespace (the old confinement, as host root).
//! - the keeper, outside (`write_maps`): `setgroups` "deny", then the gid and
//!   uid maps `0 65534 1`, while the sandbox waits on a socket.
//! - the sandbox (`become_root`): takes uid and gid 0 of its namespace, that is
//!   65534 on the host; execing boot gives it every capability of its
//!   namespace and none of the host's.
//!
//! Host files boot inherited (stdio, a terminal, the status file, the log
//! file) stay usable: reading and writing an open descriptor checks nothing
//! more. What boot can no longer do is open host files by path as root:
//! runsc opens the log file for it (`--log-fd`).

use std::ffi::{CStr, CString, OsStr};
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

/// The host uid and gid the sandbox's root is: `nobody`.
pub const SANDBOX_HOST_ID: u32 = 65534;

/// The uid_map and gid_map the keeper writes: root inside, `nobody` outside.
const MAP: &[u8] = b"0 65534 1\n";

/// What runsc prepares before the fork when a user namespace is possible.
pub struct Prepared {
    /// The binary boot execs, which `nobody` must be able to read and run.
    exe: CString,
    /// The sandbox says here whether it entered a user namespace (`Outcome`).
    report_read: OwnedFd,
    report_write: OwnedFd,
}

/// What the sandbox reports, as two bytes: the outcome and an errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Outcome {
    /// In a user namespace, as host `nobody`.
    Entered = 1,
    /// setgroups refused (runsc lacks CAP_SETGID).
    NoGroups = 2,
    /// `nobody` cannot read or execute the runsc binary (or a directory on
    /// its path), or the host has no faccessat2 to tell.
    NoAccess = 3,
    /// unshare(CLONE_NEWUSER) refused (disabled, limits, nesting, seccomp).
    NoUnshare = 4,
}

impl Outcome {
    fn from_byte(b: u8) -> Option<Outcome> {
        [
            Outcome::Entered,
            Outcome::NoGroups,
            Outcome::NoAccess,
            Outcome::NoUnshare,
        ]
        .into_iter()
        .find(|o| *o as u8 == b)
    }

    fn describe(self) -> &'static str {
        match self {
            Outcome::Entered => "in a user namespace",
            Outcome::NoGroups => "cannot drop supplementary groups",
            Outcome::NoAccess => "nobody cannot read and execute the runsc binary",
            Outcome::NoUnshare => "cannot create a user namespace",
        }
    }
}

/// Whether the sandbox can get a user namespace, checked from runsc before
/// anything forks; `None` (with the reason logged) when it cannot.
/// `program` is the binary boot execs.
pub fn prepare(program: &OsStr) -> Option<Prepared> {
    if let Err(why) = possible() {
        tracing::debug!("the sandbox runs without a user namespace: {why}");
        return None;
    }
    let exe = CString::new(program.as_bytes()).ok()?;
    let (report_read, report_write) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK).ok()?;
    Some(Prepared {
        exe,
        report_read,
        report_write,
    })
}

/// The host facts that rule a user namespace out.
fn possible() -> Result<(), String> {
    if !nix::unistd::geteuid().is_root() {
        return Err("runsc is not root".into());
    }
    if let Ok(max) = std::fs::read_to_string("/proc/sys/user/max_user_namespaces")
        && max.trim() == "0"
    {
        return Err("user namespaces are disabled (user.max_user_namespaces = 0)".into());
    }
    for map in ["uid_map", "gid_map"] {
        let text = std::fs::read_to_string(format!("/proc/self/{map}"))
            .map_err(|e| format!("/proc/self/{map}: {e}"))?;
        if !maps_id(&text, SANDBOX_HOST_ID) {
            return Err(format!(
                "id {SANDBOX_HOST_ID} does not exist in runsc's user namespace ({map})"
            ));
        }
    }
    Ok(())
}

/// Whether an id map (`/proc/PID/uid_map` text: inside, outside, count per
/// line) has `id` inside.
fn maps_id(map: &str, id: u32) -> bool {
    map.lines().any(|line| {
        let n: Vec<u64> = line
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        n.len() == 3 && n[0] <= id as u64 && (id as u64) < n[0] + n[2]
    })
}

impl Prepared {
    /// What the forked processes use: plain values, copied into the closure.
    pub fn child_view(&self) -> ChildView {
        ChildView {
            exe: self.exe.clone(),
            report: self.report_write.as_raw_fd(),
        }
    }

    /// After the spawn (the sandbox has exec'd or failed): logs whether the
    /// sandbox is in a user namespace; `true` if it is.
    pub fn finish(self) -> bool {
        drop(self.report_write);
        let mut said = [0u8; 2];
        let mut file = std::fs::File::from(self.report_read);
        let outcome = match file.read(&mut said) {
            Ok(2) => Outcome::from_byte(said[0]),
            _ => None,
        };
        match outcome {
            Some(Outcome::Entered) => {
                tracing::debug!(
                    "the sandbox runs in a user namespace as host uid/gid {SANDBOX_HOST_ID}"
                );
                true
            }
            Some(o) => {
                let errno = nix::errno::Errno::from_raw(said[1] as i32);
                tracing::debug!(
                    "the sandbox runs without a user namespace: {} ({errno})",
                    o.describe()
                );
                false
            }
            None => false,
        }
    }
}

/// What the sandbox and keeper get of `Prepared`.
pub struct ChildView {
    exe: CString,
    report: i32,
}

/// In the sandbox, still host root: enters a new user namespace with the
/// other namespaces of `flags` (owned by it), or reports why not and enters
/// none. Returns whether it did.
///
/// # Safety
/// Only in the single-threaded forked child: it changes its credentials.
pub unsafe fn enter(view: &ChildView, flags: libc::c_int) -> bool {
    // SAFETY: raw system calls with no memory but our stack and `view`.
    let outcome = unsafe {
        // Root's supplementary groups would still count on the host.
        if libc::syscall(libc::SYS_setgroups, 0, std::ptr::null::<libc::gid_t>()) != 0 {
            Err(Outcome::NoGroups)
        } else if !nobody_can_exec(&view.exe) {
            Err(Outcome::NoAccess)
        } else if libc::unshare(libc::CLONE_NEWUSER | flags) != 0 {
            Err(Outcome::NoUnshare)
        } else {
            Ok(())
        }
    };
    let (code, errno) = match outcome {
        Ok(()) => (Outcome::Entered, 0),
        // SAFETY: reading this thread's errno.
        Err(o) => (o, unsafe { *libc::__errno_location() }),
    };
    let said = [code as u8, errno.clamp(0, 255) as u8];
    // SAFETY: writes two bytes from the stack to the report pipe.
    unsafe { libc::write(view.report, said.as_ptr().cast(), 2) };
    code == Outcome::Entered
}

/// Whether uid/gid `nobody`, without groups, may read and execute `exe`
/// (searching every directory on the way): checked with the filesystem ids
/// switched for the call (faccessat2 with AT_EACCESS uses them and, with a
/// non-root fsuid, none of root's file capabilities).
///
/// # Safety
/// Only in the single-threaded forked child.
unsafe fn nobody_can_exec(exe: &CStr) -> bool {
    // SAFETY: raw calls; the path is a live C string.
    unsafe {
        libc::syscall(libc::SYS_setfsgid, SANDBOX_HOST_ID);
        libc::syscall(libc::SYS_setfsuid, SANDBOX_HOST_ID);
        let r = libc::syscall(
            libc::SYS_faccessat2,
            libc::AT_FDCWD,
            exe.as_ptr(),
            libc::R_OK | libc::X_OK,
            libc::AT_EACCESS,
        );
        let errno = *libc::__errno_location();
        libc::syscall(libc::SYS_setfsuid, 0);
        libc::syscall(libc::SYS_setfsgid, 0);
        *libc::__errno_location() = errno;
        r == 0
    }
}

/// In the keeper: makes root of `pid`'s new user namespace host `nobody`.
/// Returns the errno of the first write that failed.
///
/// # Safety
/// Only in the single-threaded forked keeper (no allocation).
pub unsafe fn write_maps(pid: libc::pid_t) -> Result<(), i32> {
    // setgroups stays denied in the namespace: it would need a group map
    // written by an unprivileged writer anyway, and the sandbox has no
    // groups to drop.
    // SAFETY: forwarded to our caller's contract.
    unsafe {
        write_proc_file(pid, b"setgroups", b"deny")?;
        write_proc_file(pid, b"gid_map", MAP)?;
        write_proc_file(pid, b"uid_map", MAP)
    }
}

/// Writes `content` to /proc/PID/NAME with a path built on the stack.
///
/// # Safety
/// Only in a forked child (raw calls, no allocation).
unsafe fn write_proc_file(pid: libc::pid_t, name: &[u8], content: &[u8]) -> Result<(), i32> {
    let mut path = [0u8; 64];
    let len = proc_path(&mut path, pid, name).ok_or(libc::ENAMETOOLONG)?;
    debug_assert!(len < path.len());
    // SAFETY: `path` is NUL-terminated (proc_path leaves a zero after len);
    // write reads `content`, which is live.
    unsafe {
        let fd = libc::open(path.as_ptr().cast(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(*libc::__errno_location());
        }
        let n = libc::write(fd, content.as_ptr().cast(), content.len());
        let errno = *libc::__errno_location();
        libc::close(fd);
        if n != content.len() as isize {
            return Err(if n < 0 { errno } else { libc::EIO });
        }
    }
    Ok(())
}

/// Fills `buf` with "/proc/PID/NAME" followed by NUL; returns the length
/// without the NUL, or `None` if it does not fit.
fn proc_path(buf: &mut [u8], pid: libc::pid_t, name: &[u8]) -> Option<usize> {
    let mut digits = [0u8; 10];
    let mut n = pid.unsigned_abs();
    let mut d = digits.len();
    loop {
        d -= 1;
        digits[d] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let parts: [&[u8]; 4] = [b"/proc/", &digits[d..], b"/", name];
    let mut at = 0;
    for part in parts {
        buf.get_mut(at..at + part.len())?.copy_from_slice(part);
        at += part.len();
    }
    *buf.get_mut(at)? = 0;
    Some(at)
}

/// In the sandbox, once the keeper wrote the maps: uid and gid 0 of the
/// namespace (host `nobody`), real, effective and saved.
///
/// # Safety
/// Only in the single-threaded forked child.
pub unsafe fn become_root() -> std::io::Result<()> {
    // SAFETY: raw credential calls with integer arguments.
    unsafe {
        if libc::syscall(libc::SYS_setresgid, 0, 0, 0) != 0
            || libc::syscall(libc::SYS_setresuid, 0, 0, 0) != 0
        {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_paths_are_built_on_the_stack() {
        let mut buf = [0xffu8; 64];
        let len = proc_path(&mut buf, 4242, b"uid_map").unwrap();
        assert_eq!(&buf[..len], b"/proc/4242/uid_map");
        assert_eq!(buf[len], 0);
        let len = proc_path(&mut buf, 0, b"x").unwrap();
        assert_eq!(&buf[..len], b"/proc/0/x");
        let mut small = [0u8; 10];
        assert_eq!(proc_path(&mut small, 4242, b"uid_map"), None);
        // Exactly no room for the NUL.
        let mut tight = [0u8; 10];
        assert_eq!(proc_path(&mut tight, 1, b"xx"), None);
    }

    #[test]
    fn id_maps_are_read_as_ranges() {
        let init = "         0          0 4294967295\n";
        assert!(maps_id(init, 65534));
        let rootless = "         0       1000          1\n         1     100000      65536\n";
        assert!(maps_id(rootless, 65534));
        assert!(!maps_id("0 1000 1\n", 65534));
        assert!(!maps_id("", 0));
        assert!(!maps_id("0 0 65534\n", 65534));
    }

    #[test]
    fn outcomes_round_trip() {
        for o in [
            Outcome::Entered,
            Outcome::NoGroups,
            Outcome::NoAccess,
            Outcome::NoUnshare,
        ] {
            assert_eq!(Outcome::from_byte(o as u8), Some(o));
        }
        assert_eq!(Outcome::from_byte(0), None);
    }
}
