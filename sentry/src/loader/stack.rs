//! The initial stack: strings at the top, then the auxiliary vector, envp, argv and
//! argc, with the stack pointer 16-byte aligned at argc (the x86-64 SysV ABI).

use abi::linux as l;
use abi::{Errno, PAGE_SIZE, page_up};

use super::auxv::{AT_EXECFN, AT_PLATFORM, AT_RANDOM};
use crate::mm::{MemoryManager, MmapArgs};

/// Initial size of the stack area; it grows down on faults up to RLIMIT_STACK.
const INITIAL_STACK: u64 = 128 * 1024;
const PLATFORM: &[u8] = b"x86_64\0";

/// Maps the stack and writes the initial frame; returns the stack pointer.
pub fn build(
    mm: &MemoryManager,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    execfn: &[u8],
    auxv: &[(u64, u64)],
) -> Result<(u64, crate::task::ArgRanges), Errno> {
    let strings: usize =
        argv.iter().chain(envp).map(|s| s.len() + 1).sum::<usize>() + execfn.len() + 1;
    let pointers = (argv.len() + envp.len() + 3 + 2 * (auxv.len() + 1)) * 8;
    // Linux caps the argument area at a quarter of the stack limit; we cap at 32 MiB.
    if strings + pointers > 32 << 20 {
        return Err(Errno::E2BIG);
    }
    let top = mm.layout().stack_top;
    let size = page_up(INITIAL_STACK + strings as u64 + pointers as u64 + PAGE_SIZE)
        .ok_or(Errno::E2BIG)?;
    let bottom = mm.mmap(MmapArgs {
        addr: top - size,
        len: size,
        prot: (l::PROT_READ | l::PROT_WRITE) as u64,
        flags: (l::MAP_PRIVATE | l::MAP_ANONYMOUS | l::MAP_FIXED | l::MAP_GROWSDOWN) as u64,
        file: None,
        offset: 0,
    })?;
    mm.name_area(bottom, "[stack]");

    let mut sp = top - 8; // an 8-byte zero word ends the stack, as on Linux
    let push_bytes = |sp: &mut u64, bytes: &[u8]| -> Result<u64, Errno> {
        *sp -= bytes.len() as u64;
        mm.copy_out(*sp, bytes)?;
        Ok(*sp)
    };
    let mut with_nul = execfn.to_vec();
    with_nul.push(0);
    let execfn_addr = push_bytes(&mut sp, &with_nul)?;
    let push_strings = |sp: &mut u64, list: &[Vec<u8>]| -> Result<Vec<u64>, Errno> {
        let mut addrs = Vec::with_capacity(list.len());
        for s in list.iter().rev() {
            let mut b = s.clone();
            b.push(0);
            addrs.push(push_bytes(sp, &b)?);
        }
        addrs.reverse();
        Ok(addrs)
    };
    let env_end = sp;
    let env_addrs = push_strings(&mut sp, envp)?;
    let env_start = sp;
    let arg_addrs = push_strings(&mut sp, argv)?;
    let ranges = crate::task::ArgRanges {
        arg_start: sp,
        arg_end: env_start,
        env_start,
        env_end,
    };
    let platform_addr = push_bytes(&mut sp, PLATFORM)?;
    let mut random = [0u8; 16];
    crate::host::random_bytes(&mut random, 0)?;
    sp &= !15;
    let random_addr = push_bytes(&mut sp, &random)?;

    let mut words: Vec<u64> = Vec::new();
    words.push(argv.len() as u64);
    words.extend(&arg_addrs);
    words.push(0);
    words.extend(&env_addrs);
    words.push(0);
    for &(key, value) in auxv {
        let value = match key {
            AT_RANDOM => random_addr,
            AT_EXECFN => execfn_addr,
            AT_PLATFORM => platform_addr,
            _ => value,
        };
        words.extend([key, value]);
    }
    words.extend([l::AT_NULL as u64, 0]);
    sp -= (words.len() * 8) as u64;
    sp &= !15;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    mm.copy_out(sp, &bytes)?;
    Ok((sp, ranges))
}
