//! Memory syscalls: thin argument handling over the memory manager.

use abi::linux as l;
use abi::page_up;
use sentry::Errno;
use sentry::mm::{MmapArgs, MmapFile};
use sentry::task::Task;

use crate::args::{Args, Handler, SysResult};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (l::__NR_brk, Some(brk), Full),
        (
            l::__NR_mmap,
            Some(mmap),
            Partial(
                "MAP_SHARED file mappings share pages between processes and are written back on msync, munmap and exit; read/write of a gofer file are not coherent with its mappings until then; no MAP_HUGETLB",
            ),
        ),
        (l::__NR_munmap, Some(munmap), Full),
        (l::__NR_mprotect, Some(mprotect), Full),
        (
            l::__NR_mremap,
            Some(mremap),
            Partial("old_size 0 (duplicating a shared mapping) is EINVAL"),
        ),
        (
            l::__NR_madvise,
            Some(madvise),
            Partial("advice other than DONTNEED/FREE is accepted as a hint"),
        ),
        (l::__NR_mincore, Some(mincore), Full),
        (l::__NR_msync, Some(msync), Full),
    ]
}

/// ENOMEM when growing the address space by `grow` bytes (`replaced` of them
/// replacing mapped bytes) would pass RLIMIT_AS.
fn within_as_limit(t: &Task, grow: u64, replaced: u64) -> Result<(), Errno> {
    if t.mm.may_expand(grow, replaced, t.limit(l::RLIMIT_AS)) {
        Ok(())
    } else {
        Err(Errno::ENOMEM)
    }
}

fn brk(t: &mut Task, a: &Args) -> SysResult {
    // brk below the heap's start changes nothing and reports the break.
    let cur = t.mm.brk(0);
    if let (Some(old), Some(new)) = (page_up(cur), page_up(a.u64(0)))
        && new > old
        && within_as_limit(t, new - old, 0).is_err()
    {
        return Ok(cur);
    }
    Ok(t.mm.brk(a.u64(0)))
}

fn mmap(t: &mut Task, a: &Args) -> SysResult {
    let flags = a.u64(3);
    let file = if flags & l::MAP_ANONYMOUS as u64 == 0 {
        let f = t.fds.get(a.i32(4))?;
        Some(MmapFile {
            mappable: f.ops.mappable(),
            readable: f.readable(),
            writable: f.writable(),
            noexec: f.path.as_ref().is_some_and(|p| p.mount().flags.noexec),
            path: f
                .path
                .as_ref()
                .map(|p| String::from_utf8_lossy(&p.to_bytes()).into_owned()),
        })
    } else {
        None
    };
    if let Some(len) = page_up(a.u64(1)) {
        let fixed = flags & (l::MAP_FIXED | l::MAP_FIXED_NOREPLACE) as u64 == l::MAP_FIXED as u64;
        let replaced = if fixed {
            t.mm.mapped_in(a.u64(0), a.u64(0).saturating_add(len))
        } else {
            0
        };
        within_as_limit(t, len, replaced)?;
    }
    t.mm.mmap(MmapArgs {
        addr: a.u64(0),
        len: a.u64(1),
        prot: a.u64(2),
        flags,
        file,
        offset: a.u64(5),
    })
}

fn munmap(t: &mut Task, a: &Args) -> SysResult {
    t.mm.munmap(a.u64(0), a.u64(1)).map(|_| 0)
}

fn mprotect(t: &mut Task, a: &Args) -> SysResult {
    t.mm.mprotect(a.u64(0), a.u64(1), a.u64(2)).map(|_| 0)
}

fn mremap(t: &mut Task, a: &Args) -> SysResult {
    if let (Some(old), Some(new)) = (page_up(a.u64(1)), page_up(a.u64(2)))
        && new > old
    {
        within_as_limit(t, new - old, 0)?;
    }
    t.mm.mremap(a.u64(0), a.u64(1), a.u64(2), a.u64(3), a.u64(4))
}

fn madvise(t: &mut Task, a: &Args) -> SysResult {
    t.mm.madvise(a.u64(0), a.u64(1), a.u64(2)).map(|_| 0)
}

/// Pages answered per step, so a huge range needs no huge buffer.
const MINCORE_STEP: u64 = 64 * 1024 * abi::PAGE_SIZE;

fn mincore(t: &mut Task, a: &Args) -> SysResult {
    let (addr, len, vec) = (a.u64(0), a.u64(1), a.ptr(2));
    if !addr.is_multiple_of(abi::PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    let mut done = 0;
    while done < len {
        let step = (len - done).min(MINCORE_STEP);
        let resident = t.mm.mincore(addr + done, step)?;
        t.mm.copy_out(vec + done / abi::PAGE_SIZE, &resident)?;
        done += step;
    }
    Ok(0)
}

fn msync(t: &mut Task, a: &Args) -> SysResult {
    t.mm.msync(a.ptr(0), a.u64(1), a.u64(2)).map(|()| 0)
}
