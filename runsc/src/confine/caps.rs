//! Dropping every capability of `runsc boot` once it is set up.
//!
//! The sentry needs none: it traces only its own children (same uid, same
//! capabilities, so `ptrace_may_access` needs no CAP_SYS_PTRACE), pins their
//! threads (same uid: no CAP_SYS_NICE) and signals only them. The bounding
//! and ambient sets are emptied too, so nothing can win a capability back
//! (not even by exec, which seccomp forbids anyway).
//!
//! Capabilities are per thread: this must run before boot starts any thread
//! (threads inherit their creator's sets).

use anyhow::Context;

/// `_LINUX_CAPABILITY_VERSION_3`: two 32-bit words per set.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Empties the bounding, ambient, inheritable, permitted and effective sets
/// of the calling thread.
pub fn drop_all() -> anyhow::Result<()> {
    // Bounding set first: dropping from it takes CAP_SETPCAP, which the
    // capset below removes. Capability numbers past the host's last one say
    // EINVAL, which ends the loop.
    for cap in 0..64 {
        // SAFETY: prctl with integer arguments only.
        let r = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) };
        if r != 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EINVAL) {
                break;
            }
            return Err(err).with_context(|| format!("dropping capability {cap} from the bounding set"));
        }
    }
    // SAFETY: prctl with integer arguments only.
    let r = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        )
    };
    if r != 0 {
        return Err(std::io::Error::last_os_error()).context("clearing ambient capabilities");
    }
    let header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let data = [CapData::default(); 2];
    // SAFETY: capset reads one header and two data structs, both live and of
    // the layout version 3 defines.
    let r = unsafe { libc::syscall(libc::SYS_capset, &header, data.as_ptr()) };
    if r != 0 {
        return Err(std::io::Error::last_os_error()).context("capset");
    }
    Ok(())
}

/// Sets `no_new_privs`: nothing this process runs can gain privileges by exec
/// (and seccomp filters may then be installed without CAP_SYS_ADMIN).
pub fn set_no_new_privs() -> anyhow::Result<()> {
    // SAFETY: prctl with integer arguments only.
    let r = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if r != 0 {
        return Err(std::io::Error::last_os_error()).context("PR_SET_NO_NEW_PRIVS");
    }
    Ok(())
}
