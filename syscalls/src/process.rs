//! Process-level syscalls: exit, thread bookkeeping, arch_prctl, personality, uname.

use abi::arch_prctl as ap;
use abi::linux as l;
use abi::types::{ROBUST_LIST_HEAD_SIZE, UTS_FIELD_LEN, Utsname};
use sentry::Errno;
use sentry::kernel::{KERNEL_RELEASE, KERNEL_VERSION};
use sentry::task::{ExitStatus, Task};

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (l::__NR_exit, Some(exit), Full),
        (l::__NR_exit_group, Some(exit_group), Full),
        (l::__NR_set_tid_address, Some(set_tid_address), Full),
        (l::__NR_set_robust_list, Some(set_robust_list), Full),
        (
            l::__NR_arch_prctl,
            Some(arch_prctl),
            Partial("ARCH_SET_CPUID is ENODEV (no CPUID faulting)"),
        ),
        (
            l::__NR_personality,
            Some(personality),
            Partial("PER_LINUX only; other personas are EINVAL"),
        ),
        (l::__NR_uname, Some(uname), Full),
    ]
}

fn exit(t: &mut Task, a: &Args) -> SysResult {
    t.exit_thread(ExitStatus::Exited(a.i32(0) & 0xff));
    Ok(0)
}

fn exit_group(t: &mut Task, a: &Args) -> SysResult {
    t.exit_group(ExitStatus::Exited(a.i32(0) & 0xff));
    Ok(0)
}

fn set_tid_address(t: &mut Task, a: &Args) -> SysResult {
    t.clear_child_tid = a.ptr(0);
    Ok(t.tid as u64)
}

fn set_robust_list(t: &mut Task, a: &Args) -> SysResult {
    if a.usize(1) != ROBUST_LIST_HEAD_SIZE {
        return Err(Errno::EINVAL);
    }
    t.robust_list = (a.ptr(0), a.u64(1));
    Ok(0)
}

/// Highest canonical user address + 1 (Linux's TASK_SIZE_MAX with 4-level paging).
const TASK_SIZE_MAX: u64 = 0x7fff_ffff_f000;

fn arch_prctl(t: &mut Task, a: &Args) -> SysResult {
    let addr = a.u64(1);
    match a.u32(0) {
        c if c == ap::ARCH_SET_FS || c == ap::ARCH_SET_GS => {
            if addr >= TASK_SIZE_MAX {
                return Err(Errno::EPERM);
            }
            if c == ap::ARCH_SET_FS {
                t.cpu.regs.fs_base = addr;
            } else {
                t.cpu.regs.gs_base = addr;
            }
            Ok(0)
        }
        c if c == ap::ARCH_GET_FS => t.mm.write_obj(addr, &t.cpu.regs.fs_base).map(|_| 0),
        c if c == ap::ARCH_GET_GS => t.mm.write_obj(addr, &t.cpu.regs.gs_base).map(|_| 0),
        // CPUID is not faulting: report it enabled; enabling faulting is unsupported.
        c if c == ap::ARCH_GET_CPUID => Ok(1),
        c if c == ap::ARCH_SET_CPUID => Err(Errno::ENODEV),
        _ => Err(Errno::EINVAL),
    }
}

fn field(s: &str) -> [u8; UTS_FIELD_LEN] {
    let mut f = [0u8; UTS_FIELD_LEN];
    let n = s.len().min(UTS_FIELD_LEN - 1);
    f[..n].copy_from_slice(&s.as_bytes()[..n]);
    f
}

fn uname(t: &mut Task, a: &Args) -> SysResult {
    let u = Utsname {
        sysname: field("Linux"),
        nodename: field(&t.kernel.hostname),
        release: field(KERNEL_RELEASE),
        version: field(KERNEL_VERSION),
        machine: field("x86_64"),
        domainname: field(&t.kernel.domainname),
    };
    t.mm.write_obj(a.ptr(0), &u).map(|_| 0)
}

/// The persona field of personality(2) (the low byte); the rest are flags.
const PER_MASK: u32 = 0xff;

fn personality(t: &mut Task, a: &Args) -> SysResult {
    let persona = a.u32(0);
    let mut attrs = t.process.attrs.lock();
    let old = attrs.personality;
    // 0xffffffff only asks.
    if persona != u32::MAX {
        if persona & PER_MASK != 0 {
            return Err(Errno::EINVAL);
        }
        attrs.personality = persona;
    }
    Ok(old as u64)
}
