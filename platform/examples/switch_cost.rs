//! Measures the platform's syscall round trip: application code that loops on a
//! syscall, served by `Context::switch` with nothing else in the way.
//! `cargo run --release -p platform --example switch_cost [ITERATIONS]`

use std::io::Write;
use std::os::fd::AsRawFd;
use std::time::Instant;

use platform::ptrace::PtracePlatform;
use platform::{CpuState, Exit, Platform, Prot};

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    // loop: mov eax, 39; syscall; jmp loop
    let code = [0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7];
    let fd =
        nix::sys::memfd::memfd_create(c"switch-cost", nix::sys::memfd::MemFdCreateFlag::empty())
            .unwrap();
    let mut memfile = std::fs::File::from(fd);
    memfile.set_len(1 << 20).unwrap();
    memfile.write_all(&code).unwrap();
    let platform = PtracePlatform::new(memfile.as_raw_fd()).unwrap();
    let ctx = platform.new_context().unwrap();
    let space = platform.new_address_space().unwrap();
    space.map(0x40_0000, 4096, 0, Prot::READ_EXEC).unwrap();
    let mut cpu = CpuState::new(platform::cpu_state::xsave_size());
    cpu.regs.rip = 0x40_0000;
    let start = Instant::now();
    for _ in 0..n {
        assert_eq!(ctx.switch(&space, &mut cpu).unwrap(), Exit::Syscall);
        cpu.set_return(1);
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    println!("switch round trip: {ns:.0} ns per syscall ({n} iterations)");
}
