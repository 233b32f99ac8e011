//! The auxiliary vector.

use abi::PAGE_SIZE;
use abi::linux as l;

use super::AuxIds;
use super::elf::LoadedElf;

/// Values the sandbox reports as the host does: they describe the CPU the
/// application really runs on.
#[derive(Clone, Copy, Debug)]
pub struct HostAuxv {
    pub hwcap: u64,
    pub hwcap2: u64,
    pub minsigstksz: u64,
    pub clktck: u64,
}

impl HostAuxv {
    pub fn of_this_process() -> HostAuxv {
        let get = crate::host::auxval;
        HostAuxv {
            hwcap: get(l::AT_HWCAP),
            hwcap2: get(l::AT_HWCAP2),
            minsigstksz: get(l::AT_MINSIGSTKSZ),
            clktck: match get(l::AT_CLKTCK) {
                0 => 100,
                v => v,
            },
        }
    }
}

/// Entries whose values the stack builder fills in (pointers into the stack).
pub const AT_RANDOM: u64 = l::AT_RANDOM as u64;
pub const AT_EXECFN: u64 = l::AT_EXECFN as u64;
pub const AT_PLATFORM: u64 = l::AT_PLATFORM as u64;

/// The vector without its terminating AT_NULL; stack pointers are placeholders.
pub fn build(
    main: &LoadedElf,
    interp_base: Option<u64>,
    ids: AuxIds,
    host: &HostAuxv,
) -> Vec<(u64, u64)> {
    let mut v = vec![
        (l::AT_HWCAP as u64, host.hwcap),
        (l::AT_PAGESZ as u64, PAGE_SIZE),
        (l::AT_CLKTCK as u64, host.clktck),
        (l::AT_PHDR as u64, main.phdr),
        (l::AT_PHENT as u64, main.phent),
        (l::AT_PHNUM as u64, main.phnum),
        (l::AT_BASE as u64, interp_base.unwrap_or(0)),
        (l::AT_FLAGS as u64, 0),
        (l::AT_ENTRY as u64, main.entry),
        (l::AT_UID as u64, ids.uid as u64),
        (l::AT_EUID as u64, ids.euid as u64),
        (l::AT_GID as u64, ids.gid as u64),
        (l::AT_EGID as u64, ids.egid as u64),
        (l::AT_SECURE as u64, 0),
        (AT_RANDOM, 0),
        (l::AT_HWCAP2 as u64, host.hwcap2),
        (AT_EXECFN, 0),
        (AT_PLATFORM, 0),
    ];
    if host.minsigstksz != 0 {
        v.push((l::AT_MINSIGSTKSZ as u64, host.minsigstksz));
    }
    v
}
