//! Signal frames (x86-64 `rt_sigframe`): what a handler finds on its stack, and
//! `rt_sigreturn`, which puts the interrupted context back.
//!
//! Layout, from the top of the stack used: the red zone is skipped, then the
//! XSAVE area (64-byte aligned, followed by the FP_XSTATE_MAGIC2 word), then the
//! frame: the handler's return address (`sa_restorer`), the ucontext (registers,
//! mask, alternate stack), the siginfo. The handler starts with `rsp` at the
//! frame, as if called, and a fresh FP state.

use std::mem::offset_of;

use abi::Errno;
use abi::signal::{SI_KERNEL, SIGSEGV};
use abi::types::{KernelSigaction, RtSigframe, SigContext, SigInfo, StackT, UContext};
use zerocopy::IntoBytes;

use super::Task;
use super::signals::{SA_ONSTACK, SA_RESTORER, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK, UNBLOCKABLE};

const UC_FP_XSTATE: u64 = 1;
const UC_SIGCONTEXT_SS: u64 = 2;
const UC_STRICT_RESTORE_SS: u64 = 4;
/// Marks in the FXSAVE area's software-reserved bytes (offset 464) and after
/// the XSAVE area that say an extended state follows.
const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
const SW_RESERVED: usize = 464;
const XSAVE_HEADER: usize = 512;
const MXCSR: usize = 24;
const USER_CS: u64 = 0x33;
const USER_SS: u64 = 0x2b;
const RED_ZONE: u64 = 128;
const EFLAGS_TF: u64 = 0x100;
const EFLAGS_DF: u64 = 0x400;
const EFLAGS_RF: u64 = 0x1_0000;
/// Flags a handler may change through its context (Linux's FIX_EFLAGS).
const FIX_EFLAGS: u64 = 0x5_0dd5;

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

impl Task {
    /// Sets up the stack and registers so that the application runs `action`'s
    /// handler for `signo` next. `mask` is the mask to restore on return.
    /// An error means the frame could not be written (the caller kills the
    /// process with SIGSEGV, as Linux does).
    pub(super) fn push_signal_frame(
        &mut self,
        signo: i32,
        info: SigInfo,
        action: &KernelSigaction,
        mask: u64,
    ) -> Result<(), Errno> {
        // x86-64 handlers return through sa_restorer; without one there is nowhere to go.
        if action.flags & SA_RESTORER == 0 {
            return Err(Errno::EFAULT);
        }
        let regs = self.cpu.regs;
        let alt = self.signals.altstack;
        let on_alt = self.signals.on_altstack(regs.rsp);
        let mut sp = if action.flags & SA_ONSTACK != 0 && alt.flags & SS_DISABLE == 0 && !on_alt {
            alt.sp.wrapping_add(alt.size)
        } else {
            regs.rsp.wrapping_sub(RED_ZONE)
        };

        self.ctx
            .load_fp(self.mm.address_space(), &mut self.cpu)
            .map_err(|_| Errno::EFAULT)?;
        let mut fp = self.cpu.fp.bytes().to_vec();
        let xsave_len = fp.len() as u32;
        if fp.len() > XSAVE_HEADER && u32_at(&fp, SW_RESERVED) != FP_XSTATE_MAGIC1 {
            let xfeatures = u64_at(&fp, XSAVE_HEADER);
            fp[SW_RESERVED..SW_RESERVED + 4].copy_from_slice(&FP_XSTATE_MAGIC1.to_le_bytes());
            fp[SW_RESERVED + 4..SW_RESERVED + 8].copy_from_slice(&(xsave_len + 4).to_le_bytes());
            fp[SW_RESERVED + 8..SW_RESERVED + 16].copy_from_slice(&xfeatures.to_le_bytes());
            fp[SW_RESERVED + 16..SW_RESERVED + 20].copy_from_slice(&xsave_len.to_le_bytes());
        }
        fp.extend_from_slice(&FP_XSTATE_MAGIC2.to_le_bytes());
        sp = sp.checked_sub(fp.len() as u64).ok_or(Errno::EFAULT)? & !63;
        let fp_addr = sp;
        self.mm.copy_out(fp_addr, &fp)?;

        sp = sp
            .checked_sub(size_of::<RtSigframe>() as u64)
            .ok_or(Errno::EFAULT)?;
        // As after a call: rsp + 8 is 16-byte aligned.
        sp = (sp & !15) - 8;
        let frame = RtSigframe {
            restorer: action.restorer,
            uc: UContext {
                flags: UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS,
                link: 0,
                stack: StackT {
                    flags: alt.flags | if on_alt { SS_ONSTACK } else { 0 },
                    ..alt
                },
                mcontext: SigContext {
                    r8: regs.r8,
                    r9: regs.r9,
                    r10: regs.r10,
                    r11: regs.r11,
                    r12: regs.r12,
                    r13: regs.r13,
                    r14: regs.r14,
                    r15: regs.r15,
                    rdi: regs.rdi,
                    rsi: regs.rsi,
                    rbp: regs.rbp,
                    rbx: regs.rbx,
                    rdx: regs.rdx,
                    rax: regs.rax,
                    rcx: regs.rcx,
                    rsp: regs.rsp,
                    rip: regs.rip,
                    eflags: regs.eflags,
                    cs: regs.cs as u16,
                    ss: regs.ss as u16,
                    oldmask: mask,
                    cr2: if info.signo() == abi::signal::SIGSEGV {
                        info.addr()
                    } else {
                        0
                    },
                    fpstate: fp_addr,
                    ..Default::default()
                },
                sigmask: mask,
            },
            info,
        };
        self.mm.copy_out(sp, frame.as_bytes())?;
        if alt.flags & SS_AUTODISARM != 0 && action.flags & SA_ONSTACK != 0 {
            self.signals.altstack = StackT {
                flags: SS_DISABLE,
                ..Default::default()
            };
        }

        let r = &mut self.cpu.regs;
        r.rsp = sp;
        r.rip = action.handler;
        r.rdi = signo as u64;
        r.rsi = sp + offset_of!(RtSigframe, info) as u64;
        r.rdx = sp + offset_of!(RtSigframe, uc) as u64;
        r.rax = 0;
        r.eflags &= !(EFLAGS_TF | EFLAGS_DF | EFLAGS_RF);
        r.cs = USER_CS;
        r.ss = USER_SS;
        self.cpu.fp.reset_to_init();
        Ok(())
    }

    /// rt_sigreturn: restores the registers, FP state, mask and alternate stack
    /// saved by the frame the handler returned from. An error means the frame is
    /// bad (the caller kills the process with SIGSEGV).
    pub fn sigreturn(&mut self) -> Result<(), Errno> {
        // The handler's `ret` popped the return address: the frame starts 8 below.
        let frame_addr = self.cpu.regs.rsp.wrapping_sub(8);
        let frame: RtSigframe = self.mm.read_obj(frame_addr)?;
        let mc = frame.uc.mcontext;

        // The FP state the hardware supports bounds what the frame may restore.
        self.ctx
            .load_fp(self.mm.address_space(), &mut self.cpu)
            .map_err(|_| Errno::EFAULT)?;
        let supported = platform::cpu_state::xfeatures();
        let mxcsr_mask = platform::cpu_state::mxcsr_mask();
        // The frame's FP image, or None for the init state; `fp_ok` false when
        // the CPU would refuse to load it (reserved MXCSR bits, features it
        // does not have, a compacted or dirty header): Linux then restores the
        // registers, resets the FP state and sends SIGSEGV.
        let mut fp_ok = true;
        let fp = if mc.fpstate != 0 {
            let mut fp = vec![0u8; self.cpu.fp.bytes().len()];
            self.mm.copy_in(mc.fpstate, &mut fp)?;
            fp_ok &= u32_at(&fp, MXCSR) & !mxcsr_mask == 0;
            if fp.len() >= XSAVE_HEADER + 64 && u32_at(&fp, SW_RESERVED) != FP_XSTATE_MAGIC1 {
                // A legacy FXSAVE image: Linux loads x87 and SSE state from it
                // and nothing else.
                fp[XSAVE_HEADER..XSAVE_HEADER + 8].copy_from_slice(&3u64.to_le_bytes());
                fp[XSAVE_HEADER + 8..XSAVE_HEADER + 64].fill(0);
            }
            if fp.len() >= XSAVE_HEADER + 64 {
                fp_ok &= u64_at(&fp, XSAVE_HEADER) & !supported == 0;
                fp_ok &= fp[XSAVE_HEADER + 8..XSAVE_HEADER + 64]
                    .iter()
                    .all(|&b| b == 0);
            }
            Some(fp)
        } else {
            None
        };

        let r = &mut self.cpu.regs;
        r.r8 = mc.r8;
        r.r9 = mc.r9;
        r.r10 = mc.r10;
        r.r11 = mc.r11;
        r.r12 = mc.r12;
        r.r13 = mc.r13;
        r.r14 = mc.r14;
        r.r15 = mc.r15;
        r.rdi = mc.rdi;
        r.rsi = mc.rsi;
        r.rbp = mc.rbp;
        r.rbx = mc.rbx;
        r.rdx = mc.rdx;
        r.rax = mc.rax;
        r.rcx = mc.rcx;
        r.rsp = mc.rsp;
        r.rip = mc.rip;
        r.eflags = (r.eflags & !FIX_EFLAGS) | (mc.eflags & FIX_EFLAGS);
        // As Linux: the frame's selectors with user privilege. A selector the CPU
        // refuses (or a non-canonical rip) faults on the way back to user mode:
        // the platform reports that as the SIGSEGV Linux sends.
        r.cs = u64::from(mc.cs | 3);
        r.ss = u64::from(mc.ss | 3);
        if frame.uc.flags & UC_STRICT_RESTORE_SS == 0 && r.cs == USER_CS {
            // Linux's force_valid_ss: without the strict flag a 64-bit frame's
            // stack segment is the user data segment.
            r.ss = USER_SS;
        }
        // Not in a syscall any more: nothing to restart.
        r.orig_rax = u64::MAX;
        self.signals.mask = frame.uc.sigmask & !UNBLOCKABLE;
        match fp {
            Some(fp) if fp_ok => self.cpu.fp.bytes_mut().copy_from_slice(&fp),
            Some(_) => {
                tracing::debug!(
                    "rt_sigreturn: an FP state the CPU would refuse (mxcsr mask {mxcsr_mask:#x}, features {supported:#x})"
                );
                self.cpu.fp.reset_to_init();
                self.forced = Some(SigInfo::new(SIGSEGV, SI_KERNEL));
                return Ok(());
            }
            None => self.cpu.fp.reset_to_init(),
        }
        let stack = frame.uc.stack;
        if self.set_altstack(stack).is_err() {
            tracing::debug!(
                "rt_sigreturn: the frame's alternate stack is not valid; kept the old one"
            );
        }
        Ok(())
    }

    /// sigaltstack's change (also what rt_sigreturn restores): `EPERM` while on
    /// the current alternate stack, `EINVAL` for unknown flags, `ENOMEM` for a
    /// stack below MINSIGSTKSZ.
    pub fn set_altstack(&mut self, new: StackT) -> Result<(), Errno> {
        const MINSIGSTKSZ: u64 = 2048;
        if self.signals.on_altstack(self.cpu.regs.rsp) {
            return Err(Errno::EPERM);
        }
        let mode = new.flags & !SS_AUTODISARM;
        if mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK {
            return Err(Errno::EINVAL);
        }
        self.signals.altstack = if mode == SS_DISABLE {
            StackT {
                flags: SS_DISABLE,
                ..Default::default()
            }
        } else {
            if new.size < MINSIGSTKSZ {
                return Err(Errno::ENOMEM);
            }
            StackT {
                flags: new.flags & SS_AUTODISARM,
                pad: 0,
                ..new
            }
        };
        Ok(())
    }
}
