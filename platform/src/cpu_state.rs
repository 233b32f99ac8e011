//! The full user register set of an application thread.

/// General-purpose registers in the kernel's `user_regs_struct` layout.
pub type Regs = libc::user_regs_struct;

/// XSAVE area of a thread (legacy FXSAVE region, header, extended components).
#[derive(Clone, Debug)]
pub struct FpState {
    bytes: Vec<u8>,
    /// `bytes` holds the thread's current state (otherwise the thread itself does).
    loaded: bool,
    /// `bytes` was changed by the sentry and must be written back before running.
    dirty: bool,
}

/// Offset of XMM0 inside the FXSAVE/XSAVE area.
pub const XMM0_OFFSET: usize = 160;

impl FpState {
    pub fn new(size: usize) -> FpState {
        FpState {
            bytes: vec![0; size],
            loaded: false,
            dirty: false,
        }
    }
    pub fn is_loaded(&self) -> bool {
        self.loaded
    }
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }
    /// The raw XSAVE bytes; only meaningful once loaded.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// Puts the state a new program starts with (Linux's `fpstate_init`): x87 control
    /// word 0x37f, MXCSR 0x1f80, all registers zero. Nothing of the sentry's own
    /// registers reaches the application.
    pub fn reset_to_init(&mut self) {
        self.bytes.fill(0);
        self.bytes[0..2].copy_from_slice(&0x037fu16.to_le_bytes()); // FCW
        self.bytes[24..28].copy_from_slice(&0x1f80u32.to_le_bytes()); // MXCSR
        // XSAVE header: x87 and SSE state are given; every other component is in its
        // initial state. Standard (non-compacted) format, as ptrace expects.
        self.bytes[512..520].copy_from_slice(&3u64.to_le_bytes());
        self.loaded = true;
        self.dirty = true;
    }

    /// Mutable XSAVE bytes; marks the state to be written back to the thread.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        self.dirty = true;
        &mut self.bytes
    }
    pub(crate) fn buffer_for_load(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }
    pub(crate) fn mark_loaded(&mut self) {
        self.loaded = true;
        self.dirty = false;
    }
    pub(crate) fn mark_written(&mut self) {
        self.dirty = false;
    }
    /// After the thread ran, our copy is stale.
    pub(crate) fn invalidate(&mut self) {
        self.loaded = false;
        self.dirty = false;
    }
}

/// Registers plus FP state of one application thread.
#[derive(Clone, Debug)]
pub struct CpuState {
    pub regs: Regs,
    pub fp: FpState,
}

impl CpuState {
    /// Zeroed registers with user segment selectors, as a new process starts.
    pub fn new(fp_size: usize) -> CpuState {
        // SAFETY: user_regs_struct is plain integers; all-zero is a valid value.
        let mut regs: Regs = unsafe { std::mem::zeroed() };
        regs.cs = 0x33;
        regs.ss = 0x2b;
        regs.eflags = 0x202;
        regs.orig_rax = u64::MAX;
        CpuState {
            regs,
            fp: FpState::new(fp_size),
        }
    }

    /// The syscall number and its six arguments, in the x86-64 syscall convention.
    pub fn syscall_args(&self) -> (u64, [u64; 6]) {
        let r = &self.regs;
        (r.orig_rax, [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9])
    }

    /// Sets a syscall's return value.
    pub fn set_return(&mut self, value: u64) {
        self.regs.rax = value;
    }
}

/// Size of the XSAVE area for the features this CPU has enabled (CPUID leaf 0xD).
pub fn xsave_size() -> usize {
    // CPUID is always available on x86-64; leaf 0xD sub-leaf 0 EBX is the size
    // needed for the features enabled in XCR0.
    let leaf = std::arch::x86_64::__cpuid_count(0xd, 0);
    (leaf.ebx as usize).max(512 + 64)
}
