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

/// The MXCSR bits this CPU supports (FXSAVE's MXCSR_MASK; 0xffbf when the CPU
/// leaves it zero). Setting any other bit makes loading the state fault.
pub fn mxcsr_mask() -> u32 {
    static MASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *MASK.get_or_init(|| {
        #[repr(C, align(16))]
        struct Area([u8; 512]);
        let mut area = Area([0; 512]);
        // SAFETY: FXSAVE (baseline on x86-64) writes exactly 512 bytes to a
        // 16-byte aligned buffer we own; it changes no register.
        unsafe { std::arch::x86_64::_fxsave64(area.0.as_mut_ptr()) };
        match u32::from_le_bytes(area.0[28..32].try_into().expect("4 bytes")) {
            0 => 0xffbf,
            m => m,
        }
    })
}

/// The state components the OS enabled for user mode (XCR0): an XSAVE image
/// whose `xstate_bv` names any other makes loading it fault.
pub fn xfeatures() -> u64 {
    static XCR0: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *XCR0.get_or_init(|| {
        // CPUID.1:ECX.OSXSAVE (bit 27): XGETBV is usable.
        if std::arch::x86_64::__cpuid(1).ecx & (1 << 27) == 0 {
            return 3;
        }
        let (lo, hi): (u32, u32);
        // SAFETY: XGETBV with ECX=0 reads XCR0 into EDX:EAX; OSXSAVE says the
        // instruction is enabled. No memory is touched.
        unsafe {
            std::arch::asm!("xgetbv", in("ecx") 0, out("eax") lo, out("edx") hi,
                options(nomem, nostack, preserves_flags));
        }
        (u64::from(hi) << 32) | u64::from(lo)
    })
}
