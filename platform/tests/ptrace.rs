//! The ptrace platform runs raw machine code in a stub and reports its traps.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

use platform::ptrace::PtracePlatform;
use platform::{AddressSpace, Context, CpuState, Exit, Platform, Prot};

const CODE_ADDR: u64 = 0x40_0000;

struct Rig {
    _memfile: std::fs::File,
    space: Arc<dyn AddressSpace>,
    ctx: Arc<dyn Context>,
    cpu: CpuState,
}

/// A stub whose only mapping is `code` at CODE_ADDR, with rip there.
fn rig(code: &[u8]) -> Rig {
    let fd =
        nix::sys::memfd::memfd_create(c"platform-test", nix::sys::memfd::MemFdCreateFlag::empty())
            .unwrap();
    let mut memfile = std::fs::File::from(fd);
    memfile.set_len(1 << 20).unwrap();
    memfile.write_all(code).unwrap();
    let platform = PtracePlatform::new(memfile.as_raw_fd()).unwrap();
    let ctx = platform.new_context().unwrap();
    let space = platform.new_address_space().unwrap();
    space.map(CODE_ADDR, 4096, 0, Prot::READ_EXEC).unwrap();
    let mut cpu = CpuState::new(platform::cpu_state::xsave_size());
    cpu.regs.rip = CODE_ADDR;
    Rig {
        _memfile: memfile,
        space,
        ctx,
        cpu,
    }
}

#[test]
fn syscalls_trap_with_their_number_and_arguments() {
    // mov eax, 39; syscall; mov rdi, rax; mov eax, 60; syscall
    let code = [
        0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0x48, 0x89, 0xc7, 0xb8, 60, 0, 0, 0, 0x0f, 0x05,
    ];
    let mut r = rig(&code);
    assert_eq!(r.ctx.switch(&r.space, &mut r.cpu).unwrap(), Exit::Syscall);
    assert_eq!(r.cpu.regs.orig_rax, 39);
    r.cpu.set_return(1234);
    assert_eq!(r.ctx.switch(&r.space, &mut r.cpu).unwrap(), Exit::Syscall);
    assert_eq!(r.cpu.syscall_args(), (60, [1234, 0, 0, 0, 0, 0]));
}

#[test]
fn unmapped_access_is_a_fault_at_its_address() {
    // mov rax, [rbx]
    let mut r = rig(&[0x48, 0x8b, 0x03]);
    r.cpu.regs.rbx = 0x1234_5000;
    match r.ctx.switch(&r.space, &mut r.cpu).unwrap() {
        Exit::Fault { signo, addr, code } => {
            assert_eq!(
                (signo, addr, code),
                (libc::SIGSEGV, 0x1234_5000, abi::signal::SEGV_MAPERR)
            );
        }
        other => panic!("expected a fault, got {other:?}"),
    }
    assert_eq!(
        r.cpu.regs.rip, CODE_ADDR,
        "the faulting instruction has not run"
    );
}

#[test]
fn write_to_read_only_mapping_is_an_access_fault() {
    // mov [rbx], rax
    let mut r = rig(&[0x48, 0x89, 0x03]);
    r.space.map(0x50_0000, 4096, 8192, Prot::READ).unwrap();
    r.cpu.regs.rbx = 0x50_0000;
    match r.ctx.switch(&r.space, &mut r.cpu).unwrap() {
        Exit::Fault { code, addr, .. } => {
            assert_eq!((code, addr), (abi::signal::SEGV_ACCERR, 0x50_0000))
        }
        other => panic!("expected a fault, got {other:?}"),
    }
}

#[test]
fn breakpoint_is_a_signal() {
    let mut r = rig(&[0xcc]);
    match r.ctx.switch(&r.space, &mut r.cpu).unwrap() {
        Exit::Signal(info) => assert_eq!(info.signo(), libc::SIGTRAP),
        other => panic!("expected SIGTRAP, got {other:?}"),
    }
}

#[test]
fn fp_state_is_read_and_written() {
    // movq rax, xmm0; mov rdi, rax; mov eax, 60; syscall
    let code = [
        0x66, 0x48, 0x0f, 0x7e, 0xc0, 0x48, 0x89, 0xc7, 0xb8, 60, 0, 0, 0, 0x0f, 0x05,
    ];
    let mut r = rig(&code);
    r.ctx.load_fp(&r.space, &mut r.cpu).unwrap();
    let off = platform::cpu_state::XMM0_OFFSET;
    r.cpu.fp.bytes_mut()[off..off + 8].copy_from_slice(&0x1122_3344_5566_7788u64.to_le_bytes());
    assert_eq!(r.ctx.switch(&r.space, &mut r.cpu).unwrap(), Exit::Syscall);
    assert_eq!(r.cpu.regs.rdi, 0x1122_3344_5566_7788);
    r.ctx.load_fp(&r.space, &mut r.cpu).unwrap();
    assert_eq!(
        &r.cpu.fp.bytes()[off..off + 8],
        &0x1122_3344_5566_7788u64.to_le_bytes()
    );
}

#[test]
fn interrupt_stops_a_spinning_thread() {
    let mut r = rig(&[0xeb, 0xfe]); // jmp $
    let ctx = r.ctx.clone();
    let interrupter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        ctx.interrupt();
    });
    assert_eq!(
        r.ctx.switch(&r.space, &mut r.cpu).unwrap(),
        Exit::Interrupted
    );
    interrupter.join().unwrap();
    assert_eq!(r.cpu.regs.rip, CODE_ADDR);
}

#[test]
fn interrupt_before_switch_is_not_lost() {
    let mut r = rig(&[0xeb, 0xfe]);
    r.ctx.interrupt();
    assert_eq!(
        r.ctx.switch(&r.space, &mut r.cpu).unwrap(),
        Exit::Interrupted
    );
}

#[test]
fn unmap_makes_code_fault() {
    let mut r = rig(&[0x90, 0x90]);
    r.space.unmap(CODE_ADDR, 4096).unwrap();
    match r.ctx.switch(&r.space, &mut r.cpu).unwrap() {
        Exit::Fault { addr, .. } => assert_eq!(addr, CODE_ADDR),
        other => panic!("expected a fault, got {other:?}"),
    }
}
