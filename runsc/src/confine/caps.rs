//! Dropping every capability of `runsc boot` once it is set up.
//!
//! The sentry needs none: it traces only its own children (same uid, same
//! capabilities, so `ptrace_may_access` needs no CAP_SYS_PTRACE), pins their
//! threads (same uid: no CAP_SYS_NICE) and signals only them. The bounding
//! and ambient sets are emptied too, so nothing can win a capability back
//! (not even by exec, which seccomp forbids anyway).
//!
//! The gofer keeps only what serving files for the container's root user takes
//! (`GOFER_CAPS`).
//!
//! Capabilities are per thread: this must run before the process starts any
//! thread (threads inherit their creator's sets).

use anyhow::Context;

/// What the gofer keeps: acting on files of any owner for the sandbox, which
/// checks permissions itself: chown (CAP_CHOWN), reading, writing and
/// searching regardless of modes (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH),
/// chmod/utimes of others' files (CAP_FOWNER), keeping set-id bits (CAP_FSETID)
/// and device nodes (CAP_MKNOD).
pub const GOFER_CAPS: u64 = 1 << CAP_CHOWN
    | 1 << CAP_DAC_OVERRIDE
    | 1 << CAP_DAC_READ_SEARCH
    | 1 << CAP_FOWNER
    | 1 << CAP_FSETID
    | 1 << CAP_MKNOD;

// Capability numbers (linux/capability.h).
const CAP_CHOWN: u32 = 0;
const CAP_DAC_OVERRIDE: u32 = 1;
const CAP_DAC_READ_SEARCH: u32 = 2;
const CAP_FOWNER: u32 = 3;
const CAP_FSETID: u32 = 4;
const CAP_MKNOD: u32 = 27;

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
    keep_only(0)
}

/// Leaves the calling thread only the capabilities in `keep` (bit N:
/// capability N), permitted and effective; nothing inheritable or ambient,
/// and a bounding set of `keep` alone.
pub fn keep_only(keep: u64) -> anyhow::Result<()> {
    // Bounding set first: dropping from it takes CAP_SETPCAP, which the
    // capset below removes. Capability numbers past the host's last one say
    // EINVAL, which ends the loop.
    for cap in 0..64 {
        if keep & (1 << cap) != 0 {
            continue;
        }
        // SAFETY: prctl with integer arguments only.
        let r = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) };
        if r != 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EINVAL) {
                break;
            }
            return Err(err)
                .with_context(|| format!("dropping capability {cap} from the bounding set"));
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
    let data = [
        CapData {
            effective: keep as u32,
            permitted: keep as u32,
            inheritable: 0,
        },
        CapData {
            effective: (keep >> 32) as u32,
            permitted: (keep >> 32) as u32,
            inheritable: 0,
        },
    ];
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
