//! ELF executables: mapping PT_LOAD segments the way Linux does (file-backed private
//! mappings, the partial last page zeroed, anonymous memory for the rest of .bss).

use std::sync::Arc;

use abi::linux as l;
use abi::{Errno, PAGE_SIZE, page_down, page_up};
use goblin::container::Ctx;
use goblin::elf::header::{EM_X86_64, ET_DYN, ET_EXEC, Header};
use goblin::elf::program_header::{PT_INTERP, PT_LOAD, PT_PHDR, ProgramHeader};

use super::Executable;
use crate::mm::{Mappable, MemoryManager, MmapArgs, MmapFile};

/// The main executable once mapped.
pub struct LoadedElf {
    pub entry: u64,
    pub phdr: u64,
    pub phnum: u64,
    pub phent: u64,
    pub brk_start: u64,
    pub interpreter: Option<String>,
}

struct Parsed {
    header: Header,
    phdrs: Vec<ProgramHeader>,
}

fn parse(file: &Executable, head: &[u8]) -> Result<Parsed, Errno> {
    let header = goblin::elf::Elf::parse_header(head).map_err(|_| Errno::ENOEXEC)?;
    let is_64_le = header.e_ident[4] == 2 && header.e_ident[5] == 1;
    if !is_64_le
        || header.e_machine != EM_X86_64
        || !(header.e_type == ET_EXEC || header.e_type == ET_DYN)
    {
        return Err(Errno::ENOEXEC);
    }
    let (phnum, phent) = (header.e_phnum as usize, header.e_phentsize as usize);
    if phent != 56 || phnum == 0 || phnum * phent > 65536 {
        return Err(Errno::ENOEXEC);
    }
    let mut table = vec![0u8; phnum * phent];
    if file.pread(header.e_phoff, &mut table)? != table.len() {
        return Err(Errno::ENOEXEC);
    }
    let phdrs =
        ProgramHeader::parse(&table, 0, phnum, Ctx::default()).map_err(|_| Errno::ENOEXEC)?;
    Ok(Parsed { header, phdrs })
}

fn prot_of(ph: &ProgramHeader) -> u64 {
    let mut p = 0;
    if ph.is_read() {
        p |= l::PROT_READ;
    }
    if ph.is_write() {
        p |= l::PROT_WRITE;
    }
    if ph.is_executable() {
        p |= l::PROT_EXEC;
    }
    p as u64
}

/// Maps every PT_LOAD segment with `bias`; returns the end of the highest segment.
fn map_segments(
    mm: &MemoryManager,
    file: &Executable,
    p: &Parsed,
    bias: u64,
) -> Result<u64, Errno> {
    let mut top = 0;
    for ph in p.phdrs.iter().filter(|ph| ph.p_type == PT_LOAD) {
        if ph.p_vaddr % PAGE_SIZE != ph.p_offset % PAGE_SIZE || ph.p_filesz > ph.p_memsz {
            return Err(Errno::ENOEXEC);
        }
        let vaddr = ph.p_vaddr.checked_add(bias).ok_or(Errno::ENOEXEC)?;
        let start = page_down(vaddr);
        let mem_end = vaddr.checked_add(ph.p_memsz).ok_or(Errno::ENOEXEC)?;
        let file_end = vaddr + ph.p_filesz; // p_filesz <= p_memsz: cannot overflow
        let prot = prot_of(ph);
        let fixed_private = (l::MAP_PRIVATE | l::MAP_FIXED) as u64;
        if ph.p_filesz > 0 {
            let mappable: Arc<dyn Mappable> = file.mappable()?;
            mm.mmap(MmapArgs {
                addr: start,
                len: page_up(file_end).ok_or(Errno::ENOEXEC)? - start,
                prot,
                flags: fixed_private,
                file: Some(MmapFile {
                    mappable: Some(mappable),
                    readable: true,
                    writable: false,
                    path: Some(file.path.clone()),
                    // Exec checked the mount already.
                    noexec: false,
                }),
                offset: page_down(ph.p_offset),
            })?;
            // The rest of the last file page belongs to .bss: zero it.
            let page_end = page_up(file_end).ok_or(Errno::ENOEXEC)?;
            if ph.p_memsz > ph.p_filesz && page_end > file_end {
                mm.copy_out_force(file_end, &vec![0u8; (page_end - file_end) as usize])?;
            }
        }
        let anon_start = page_up(file_end).ok_or(Errno::ENOEXEC)?.max(start);
        let anon_end = page_up(mem_end).ok_or(Errno::ENOEXEC)?;
        if anon_end > anon_start {
            mm.mmap(MmapArgs {
                addr: anon_start,
                len: anon_end - anon_start,
                prot,
                flags: fixed_private | l::MAP_ANONYMOUS as u64,
                file: None,
                offset: 0,
            })?;
        }
        top = top.max(mem_end);
    }
    Ok(top)
}

/// Span of the PT_LOAD segments: (lowest page, highest end).
fn span(p: &Parsed) -> Result<(u64, u64), Errno> {
    let loads = p.phdrs.iter().filter(|ph| ph.p_type == PT_LOAD);
    let lo = loads
        .clone()
        .map(|ph| page_down(ph.p_vaddr))
        .min()
        .ok_or(Errno::ENOEXEC)?;
    let hi = loads
        .map(|ph| ph.p_vaddr.saturating_add(ph.p_memsz))
        .max()
        .ok_or(Errno::ENOEXEC)?;
    Ok((lo, page_up(hi).ok_or(Errno::ENOEXEC)?))
}

/// Reserves room for a position-independent object near `hint`; returns its bias.
fn reserve(mm: &MemoryManager, p: &Parsed, hint: u64) -> Result<u64, Errno> {
    let (lo, hi) = span(p)?;
    let at = mm.mmap(MmapArgs {
        addr: hint,
        len: hi - lo,
        prot: l::PROT_NONE as u64,
        flags: (l::MAP_PRIVATE | l::MAP_ANONYMOUS) as u64,
        file: None,
        offset: 0,
    })?;
    Ok(at - lo)
}

fn read_interpreter_path(file: &Executable, p: &Parsed) -> Result<Option<String>, Errno> {
    let Some(ph) = p.phdrs.iter().find(|ph| ph.p_type == PT_INTERP) else {
        return Ok(None);
    };
    if ph.p_filesz < 2 || ph.p_filesz > 4096 {
        return Err(Errno::ENOEXEC);
    }
    let mut buf = vec![0u8; ph.p_filesz as usize];
    if file.pread(ph.p_offset, &mut buf)? != buf.len() || buf.last() != Some(&0) {
        return Err(Errno::ENOEXEC);
    }
    // The path ends at its first NUL, as Linux opens it as a C string (a
    // patched PT_INTERP may be padded with several).
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    buf.truncate(end);
    String::from_utf8(buf).map(Some).map_err(|_| Errno::ENOEXEC)
}

/// Loads the main executable.
pub fn load_main(mm: &MemoryManager, file: &Executable, head: &[u8]) -> Result<LoadedElf, Errno> {
    let p = parse(file, head)?;
    let interpreter = read_interpreter_path(file, &p)?;
    let bias = if p.header.e_type == ET_DYN {
        reserve(mm, &p, mm.layout().pie_base)?
    } else {
        0
    };
    let top = map_segments(mm, file, &p, bias)?;
    let phdr = match p.phdrs.iter().find(|ph| ph.p_type == PT_PHDR) {
        Some(ph) => ph.p_vaddr.wrapping_add(bias),
        None => p
            .phdrs
            .iter()
            .find(|ph| {
                ph.p_type == PT_LOAD
                    && ph.p_offset <= p.header.e_phoff
                    && p.header.e_phoff < ph.p_offset + ph.p_filesz
            })
            .map(|ph| {
                ph.p_vaddr
                    .wrapping_add(bias)
                    .wrapping_add(p.header.e_phoff - ph.p_offset)
            })
            .unwrap_or(0),
    };
    Ok(LoadedElf {
        entry: p.header.e_entry.wrapping_add(bias),
        phdr,
        phnum: p.phdrs.len() as u64,
        phent: p.header.e_phentsize as u64,
        brk_start: page_up(top).ok_or(Errno::ENOEXEC)?,
        interpreter,
    })
}

/// The dynamic loader, placed wherever mmap puts it.
pub struct LoadedInterpreter {
    pub entry: u64,
    /// AT_BASE.
    pub base: u64,
}

pub fn load_interpreter(
    mm: &MemoryManager,
    file: &Executable,
    head: &[u8],
) -> Result<LoadedInterpreter, Errno> {
    let p = parse(file, head).map_err(|_| Errno::ELIBBAD)?;
    if p.header.e_type != ET_DYN && p.header.e_type != ET_EXEC {
        return Err(Errno::ELIBBAD);
    }
    let bias = if p.header.e_type == ET_DYN {
        reserve(mm, &p, 0)?
    } else {
        0
    };
    map_segments(mm, file, &p, bias)?;
    let (lo, _) = span(&p)?;
    Ok(LoadedInterpreter {
        entry: p.header.e_entry.wrapping_add(bias),
        base: lo + bias,
    })
}
