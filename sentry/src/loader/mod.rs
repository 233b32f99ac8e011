//! Loading a program into a fresh address space: ELF executables (static, static-PIE,
//! dynamically linked with their interpreter) and `#!` scripts, then the initial
//! stack with argv, envp and the auxiliary vector.

mod auxv;
mod elf;
mod script;
mod stack;

use std::sync::Arc;

use abi::Errno;

use abi::types::Stat;

use crate::fs::FileOps;
use crate::mm::{Mappable, MemoryManager};

pub use auxv::HostAuxv;

/// Bytes of a file examined to recognise its format (Linux's BINPRM_BUF_SIZE).
const HEADER_BYTES: usize = 256;
/// How many `#!` interpreters may chain (Linux's BINPRM_MAX_RECURSION).
const MAX_INTERPRETER_DEPTH: usize = 4;

/// What to run.
pub struct ExecRequest {
    /// The file name as given (relative names resolve against the working directory).
    pub path: String,
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
}

/// An executable file, opened for reading.
pub struct Executable {
    pub file: Arc<dyn FileOps>,
    pub stat: Stat,
    /// Its absolute path in the sandbox.
    pub path: String,
}

impl Executable {
    pub(crate) fn pread(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.file.read(offset, buf)
    }
    pub(crate) fn mappable(&self) -> Result<Arc<dyn Mappable>, Errno> {
        self.file.mappable().ok_or(Errno::EACCES)
    }
}

/// Finds and opens files for the loader (the task's view of the filesystem).
pub trait ExecOpener {
    /// Opens `path` (absolute, or relative to the working directory) for reading.
    fn open(&self, path: &str) -> Result<Executable, Errno>;
}

/// Identity values the auxiliary vector reports.
#[derive(Clone, Copy, Debug)]
pub struct AuxIds {
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
}

/// Where the new program starts.
#[derive(Debug)]
pub struct LoadedImage {
    pub entry: u64,
    pub stack_pointer: u64,
    /// The executable that was finally loaded (the interpreter of a script).
    pub exe_path: String,
    /// Where argv and envp strings were put.
    pub args: crate::task::ArgRanges,
}

/// Opens an executable: a regular file with an execute bit.
fn open_executable(opener: &dyn ExecOpener, path: &str) -> Result<Executable, Errno> {
    let exe = opener.open(path)?;
    if exe.stat.mode & libc::S_IFMT != libc::S_IFREG || exe.stat.mode & 0o111 == 0 {
        return Err(Errno::EACCES);
    }
    Ok(exe)
}

/// Loads `req` into `mm` (which must be empty).
pub fn load(
    mm: &MemoryManager,
    opener: &dyn ExecOpener,
    mut req: ExecRequest,
    ids: AuxIds,
    host: &HostAuxv,
) -> Result<LoadedImage, Errno> {
    if req.path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let execfn = req.path.clone().into_bytes();
    let mut path = req.path.clone();
    for _ in 0..=MAX_INTERPRETER_DEPTH {
        let file = open_executable(opener, &path)?;
        let mut header = vec![0u8; HEADER_BYTES];
        let n = file.pread(0, &mut header)?;
        header.truncate(n);
        if header.starts_with(b"#!") {
            let (interp, arg) = script::parse(&header)?;
            // argv[0] is replaced by the interpreter (and its argument), then the script.
            let mut argv = vec![interp.clone().into_bytes()];
            argv.extend(arg.map(String::into_bytes));
            argv.push(req.path.clone().into_bytes());
            argv.extend(req.argv.iter().skip(1).cloned());
            req.argv = argv;
            req.path = interp.clone();
            path = interp;
            continue;
        }
        let main = elf::load_main(mm, &file, &header)?;
        let interp = match &main.interpreter {
            Some(ipath) => {
                let ifile = open_executable(opener, ipath).map_err(|e| {
                    if e == Errno::EACCES {
                        Errno::ELIBBAD
                    } else {
                        e
                    }
                })?;
                let mut ih = vec![0u8; HEADER_BYTES];
                let n = ifile.pread(0, &mut ih)?;
                ih.truncate(n);
                Some(elf::load_interpreter(mm, &ifile, &ih)?)
            }
            None => None,
        };
        mm.set_brk_start(main.brk_start);
        let entry = interp.as_ref().map_or(main.entry, |i| i.entry);
        let auxv = auxv::build(&main, interp.as_ref().map(|i| i.base), ids, host);
        let (sp, args) = stack::build(mm, &req.argv, &req.envp, &execfn, &auxv)?;
        return Ok(LoadedImage {
            entry,
            stack_pointer: sp,
            exe_path: file.path.clone(),
            args,
        });
    }
    Err(Errno::ELOOP)
}
