//! The stub page: the only code of a stub process.
//!
//! It holds `syscall; int3` at its start. Injected host calls run there (the stub's
//! seccomp filter admits nothing else), and the `int3` hands control back to the
//! tracer. The page is mapped at the same fixed address in the sentry before any
//! stub is forked, so every stub inherits it, and it marks the top of the
//! application's address space.

use nix::errno::Errno;

use crate::{Error, Result};

/// `syscall` (0f 05) then `int3` (cc).
const STUB_CODE: [u8; 3] = [0x0f, 0x05, 0xcc];
const PAGE: usize = 4096;

/// Candidate addresses, highest first: well above where the sentry's heap and
/// libraries live, well below where its stack may be placed.
const CANDIDATES: [u64; 4] = [
    0x7e00_0000_0000,
    0x7d00_0000_0000,
    0x7c00_0000_0000,
    0x6000_0000_0000,
];

#[derive(Debug)]
pub(crate) struct StubPage {
    addr: u64,
}

impl StubPage {
    /// The process's stub page, mapped on first use.
    pub fn get() -> Result<&'static StubPage> {
        static PAGE: std::sync::OnceLock<std::result::Result<StubPage, String>> =
            std::sync::OnceLock::new();
        PAGE.get_or_init(|| StubPage::map().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Error::Unsupported(e.clone()))
    }

    /// Maps the stub page in the sentry at the first free candidate address.
    fn map() -> Result<StubPage> {
        for &addr in &CANDIDATES {
            // SAFETY: MAP_FIXED_NOREPLACE never replaces an existing mapping; we own
            // the new anonymous page exclusively.
            let p = unsafe {
                libc::mmap(
                    addr as *mut libc::c_void,
                    PAGE,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
                    -1,
                    0,
                )
            };
            if p == libc::MAP_FAILED || p as u64 != addr {
                continue;
            }
            // SAFETY: `p` is a fresh, writable, exclusively owned page of PAGE bytes.
            let page = unsafe { std::slice::from_raw_parts_mut(p.cast::<u8>(), PAGE) };
            page.fill(0xcc);
            page[..STUB_CODE.len()].copy_from_slice(&STUB_CODE);
            // SAFETY: changes the protection of the page we just mapped.
            if unsafe { libc::mprotect(p, PAGE, libc::PROT_READ | libc::PROT_EXEC) } != 0 {
                return Err(Error::Host {
                    what: "mprotect(stub page)",
                    errno: Errno::last(),
                });
            }
            return Ok(StubPage { addr });
        }
        Err(Error::Unsupported(
            "no free address for the ptrace stub page".into(),
        ))
    }

    /// Address of the `syscall` instruction.
    pub fn syscall_addr(&self) -> u64 {
        self.addr
    }

    /// Address seccomp reports for a syscall made from the stub (after `syscall`).
    pub fn syscall_return_addr(&self) -> u64 {
        self.addr + 2
    }

    /// Where `rip` stands after the `int3` that ends an injection.
    pub fn trap_addr(&self) -> u64 {
        self.addr + 3
    }

    /// Start of the page: the end of the application's usable address range.
    pub fn start(&self) -> u64 {
        self.addr
    }

    pub fn end(&self) -> u64 {
        self.addr + PAGE as u64
    }
}
