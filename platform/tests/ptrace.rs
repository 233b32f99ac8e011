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

// --- Application threads: one stub thread per sentry thread. ---

/// Entry points in the threads' code page.
const WRITE: u64 = CODE_ADDR + 0x100; // loop { [rdi] = rsi; syscall }
const READ: u64 = CODE_ADDR + 0x110; // loop { rsi = [rdi]; syscall }
const SPIN: u64 = CODE_ADDR + 0x120; // loop {}
const SYSCALLS: u64 = CODE_ADDR + 0x130; // loop { syscall }
const DATA_ADDR: u64 = 0x50_0000;
const DATA_OFFSET: u64 = 0x1000;

/// An address space with the threads' code and one data page, made on the
/// calling thread (which gets the first context).
struct Threads {
    memfile: std::fs::File,
    platform: Arc<PtracePlatform>,
    space: Arc<dyn AddressSpace>,
}

fn threads() -> (Threads, Arc<dyn Context>) {
    let fd =
        nix::sys::memfd::memfd_create(c"platform-test", nix::sys::memfd::MemFdCreateFlag::empty())
            .unwrap();
    let memfile = std::fs::File::from(fd);
    memfile.set_len(1 << 20).unwrap();
    let mut page = vec![0xccu8; 4096];
    let mut put = |at: u64, code: &[u8]| {
        let at = (at - CODE_ADDR) as usize;
        page[at..at + code.len()].copy_from_slice(code);
    };
    put(WRITE, &[0x48, 0x89, 0x37, 0x0f, 0x05, 0xeb, 0xf9]);
    put(READ, &[0x48, 0x8b, 0x37, 0x0f, 0x05, 0xeb, 0xf9]);
    put(SPIN, &[0xeb, 0xfe]);
    put(SYSCALLS, &[0x0f, 0x05, 0xeb, 0xfc]);
    std::os::unix::fs::FileExt::write_all_at(&memfile, &page, 0).unwrap();
    let platform = Arc::new(PtracePlatform::new(memfile.as_raw_fd()).unwrap());
    let ctx = platform.new_context().unwrap();
    let space = platform.new_address_space().unwrap();
    space.map(CODE_ADDR, 4096, 0, Prot::READ_EXEC).unwrap();
    space
        .map(DATA_ADDR, 4096, DATA_OFFSET, Prot::READ_WRITE)
        .unwrap();
    let t = Threads {
        memfile,
        platform,
        space,
    };
    (t, ctx)
}

fn cpu_at(rip: u64) -> CpuState {
    let mut cpu = CpuState::new(platform::cpu_state::xsave_size());
    cpu.regs.rip = rip;
    cpu
}

/// Runs `cpu` until its next syscall, which must come.
fn run_to_syscall(ctx: &Arc<dyn Context>, space: &Arc<dyn AddressSpace>, cpu: &mut CpuState) {
    assert_eq!(ctx.switch(space, cpu).unwrap(), Exit::Syscall);
}

/// Creates a thread on the calling (parent) sentry thread and runs `f` on a new
/// sentry thread that adopts it.
fn spawn_thread<R: Send + 'static>(
    t: &Threads,
    f: impl FnOnce(Arc<dyn Context>, Arc<dyn AddressSpace>) -> R + Send + 'static,
) -> std::thread::JoinHandle<R> {
    let new = t.space.new_thread().unwrap();
    let (platform, space) = (t.platform.clone(), t.space.clone());
    std::thread::spawn(move || {
        let ctx = platform.new_context().unwrap();
        space.adopt_thread(new).unwrap();
        f(ctx, space)
    })
}

fn status_field(path: &str, field: &str) -> Option<String> {
    let status = std::fs::read_to_string(path).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .map(|v| v.trim().to_string())
}

/// The (pid, tid) of the stub thread that sentry thread `tracer` traces.
fn stub_traced_by(tracer: i32) -> Option<(i32, i32)> {
    let me = std::process::id().to_string();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if status_field(&format!("/proc/{pid}/status"), "PPid:").as_deref() != Some(&me) {
            continue;
        }
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let tid = task.file_name().to_string_lossy().parse::<i32>().unwrap();
            let path = format!("/proc/{pid}/task/{tid}/status");
            if status_field(&path, "TracerPid:") == Some(tracer.to_string()) {
                return Some((pid, tid));
            }
        }
    }
    None
}

fn my_tid() -> i32 {
    nix::unistd::gettid().as_raw()
}

/// The live (not zombie) threads of process `pid`, waiting up to a second for
/// exiting ones to go.
fn live_threads(pid: i32, expect: usize) -> usize {
    let count = || {
        std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|d| {
                d.flatten()
                    .filter(|t| {
                        let path = format!("/proc/{pid}/task/{}/status", t.file_name().display());
                        status_field(&path, "State:").is_some_and(|s| !s.starts_with('Z'))
                    })
                    .count()
            })
            .unwrap_or(0)
    };
    for _ in 0..100 {
        if count() == expect {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    count()
}

fn process_is_gone(pid: i32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn threads_share_memory_and_mappings() {
    let (t, ctx) = threads();
    let (pid, leader) = stub_traced_by(my_tid()).unwrap();
    assert_eq!(pid, leader);
    let mut cpu = cpu_at(WRITE);
    cpu.regs.rdi = DATA_ADDR;
    cpu.regs.rsi = 0xfeed;
    run_to_syscall(&ctx, &t.space, &mut cpu);

    let other = spawn_thread(&t, |ctx, space| {
        let (pid, tid) = stub_traced_by(my_tid()).unwrap();
        // Same process, own thread, unblocked signals, on its tracer's CPUs.
        let sigblk = status_field(&format!("/proc/{pid}/task/{tid}/status"), "SigBlk:");
        let mine = nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0)).unwrap();
        let its = nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(tid)).unwrap();
        let same_cpus = (0..nix::sched::CpuSet::count())
            .all(|c| mine.is_set(c).unwrap() == its.is_set(c).unwrap());

        let mut cpu = cpu_at(READ);
        cpu.regs.rdi = DATA_ADDR;
        run_to_syscall(&ctx, &space, &mut cpu);
        let seen = cpu.regs.rsi;
        // A mapping made from this thread, written through here.
        space
            .map(0x60_0000, 4096, 0x2000, Prot::READ_WRITE)
            .unwrap();
        let mut cpu = cpu_at(WRITE);
        cpu.regs.rdi = 0x60_0008;
        cpu.regs.rsi = 0x7777;
        run_to_syscall(&ctx, &space, &mut cpu);
        space.release_thread().unwrap();
        (pid, tid, sigblk, same_cpus, seen)
    });
    let (other_pid, other_tid, sigblk, same_cpus, seen) = other.join().unwrap();
    assert_eq!(other_pid, pid);
    assert_ne!(other_tid, leader);
    assert_eq!(sigblk.as_deref(), Some("0000000000000000"));
    assert!(same_cpus, "the stub thread follows its tracer's affinity");
    assert_eq!(
        seen, 0xfeed,
        "the second thread reads the first one's write"
    );

    // The second thread's mapping is the first one's too.
    let mut cpu = cpu_at(READ);
    cpu.regs.rdi = 0x60_0008;
    run_to_syscall(&ctx, &t.space, &mut cpu);
    assert_eq!(cpu.regs.rsi, 0x7777);
    let mut word = [0u8; 8];
    std::os::unix::fs::FileExt::read_exact_at(&t.memfile, &mut word, 0x2008).unwrap();
    assert_eq!(u64::from_le_bytes(word), 0x7777);
}

#[test]
fn threads_switch_concurrently_and_interrupts_stay_apart() {
    let (t, ctx) = threads();
    let (ctx_tx, ctx_rx) = std::sync::mpsc::channel();
    let other = spawn_thread(&t, move |ctx, space| {
        ctx_tx.send(ctx.clone()).unwrap();
        let mut cpu = cpu_at(SYSCALLS);
        for i in 0..500 {
            run_to_syscall(&ctx, &space, &mut cpu);
            cpu.set_return(i);
        }
        // Spin until interrupted.
        let mut cpu = cpu_at(SPIN);
        let exit = ctx.switch(&space, &mut cpu).unwrap();
        space.release_thread().unwrap();
        exit
    });
    let other_ctx: Arc<dyn Context> = ctx_rx.recv().unwrap();
    let mut cpu = cpu_at(SYSCALLS);
    for i in 0..500 {
        run_to_syscall(&ctx, &t.space, &mut cpu);
        cpu.set_return(i);
    }
    // Let the other thread reach its spin, interrupt it, and keep going here:
    // every exit of this thread is still a syscall.
    std::thread::sleep(Duration::from_millis(50));
    other_ctx.interrupt();
    for i in 0..500 {
        run_to_syscall(&ctx, &t.space, &mut cpu);
        cpu.set_return(i);
    }
    assert_eq!(other.join().unwrap(), Exit::Interrupted);
    run_to_syscall(&ctx, &t.space, &mut cpu);
}

#[test]
fn a_released_thread_leaves_the_others_running() {
    let (t, ctx) = threads();
    let (pid, _) = stub_traced_by(my_tid()).unwrap();
    let other = spawn_thread(&t, |ctx, space| {
        let mut cpu = cpu_at(SYSCALLS);
        run_to_syscall(&ctx, &space, &mut cpu);
        space.release_thread().unwrap();
        // Released: this sentry thread no longer runs anything here.
        assert!(ctx.switch(&space, &mut cpu).is_err());
    });
    other.join().unwrap();
    assert_eq!(live_threads(pid, 1), 1);
    let mut cpu = cpu_at(SYSCALLS);
    run_to_syscall(&ctx, &t.space, &mut cpu);
}

#[test]
fn the_first_thread_can_end_before_the_others() {
    // The sentry thread that made the address space releases its thread and
    // exits; the thread it created lives on, and the last one drops the space.
    let (tx, rx) = std::sync::mpsc::channel();
    let creator = std::thread::spawn(move || {
        let (t, ctx) = threads();
        let mut cpu = cpu_at(SYSCALLS);
        run_to_syscall(&ctx, &t.space, &mut cpu);
        let new = t.space.new_thread().unwrap();
        t.space.release_thread().unwrap();
        tx.send((t, new)).unwrap();
    });
    let (t, new) = rx.recv().unwrap();
    creator.join().unwrap();
    let ctx = t.platform.new_context().unwrap();
    t.space.adopt_thread(new).unwrap();
    let (pid, _) = stub_traced_by(my_tid()).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let mut cpu = cpu_at(WRITE);
    cpu.regs.rdi = DATA_ADDR;
    cpu.regs.rsi = 5;
    run_to_syscall(&ctx, &t.space, &mut cpu);
    run_to_syscall(&ctx, &t.space, &mut cpu);
    assert_eq!(live_threads(pid, 1), 1);
    drop(t);
    assert!(process_is_gone(pid));
}

#[test]
fn dropping_the_space_kills_every_thread() {
    let (t, ctx) = threads();
    let (pid, _) = stub_traced_by(my_tid()).unwrap();
    let mut cpu = cpu_at(SYSCALLS);
    run_to_syscall(&ctx, &t.space, &mut cpu);
    // Two more threads, traced by sentry threads that outlive the space.
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let mut others = Vec::new();
    let mut done = Vec::new();
    for _ in 0..2 {
        let ready = ready_tx.clone();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        done.push(done_tx);
        others.push(spawn_thread(&t, move |ctx, space| {
            let mut cpu = cpu_at(SYSCALLS);
            run_to_syscall(&ctx, &space, &mut cpu);
            drop(space);
            ready.send(()).unwrap();
            let _ = done_rx.recv();
        }));
    }
    for _ in 0..2 {
        ready_rx.recv().unwrap();
    }
    assert_eq!(live_threads(pid, 3), 3);
    drop(t);
    assert!(process_is_gone(pid), "no stub process (or zombie) is left");
    drop(done);
    for o in others {
        o.join().unwrap();
    }
}

#[test]
fn fifty_threads_come_and_go() {
    let (t, ctx) = threads();
    let (pid, _) = stub_traced_by(my_tid()).unwrap();
    for i in 0..50 {
        let other = spawn_thread(&t, move |ctx, space| {
            let mut cpu = cpu_at(WRITE);
            cpu.regs.rdi = DATA_ADDR;
            cpu.regs.rsi = i;
            run_to_syscall(&ctx, &space, &mut cpu);
            space.release_thread().unwrap();
        });
        other.join().unwrap();
        let mut cpu = cpu_at(READ);
        cpu.regs.rdi = DATA_ADDR;
        run_to_syscall(&ctx, &t.space, &mut cpu);
        assert_eq!(cpu.regs.rsi, i);
    }
    assert_eq!(live_threads(pid, 1), 1);
}

#[test]
fn an_adopted_thread_can_create_threads() {
    // Threads made by a seized stub thread start with an event stop, not SIGSTOP.
    let (t, ctx) = threads();
    let (pid, _) = stub_traced_by(my_tid()).unwrap();
    let platform = t.platform.clone();
    let child = spawn_thread(&t, move |ctx, space| {
        let mut cpu = cpu_at(SYSCALLS);
        run_to_syscall(&ctx, &space, &mut cpu);
        let new = space.new_thread().unwrap();
        let space2 = space.clone();
        let grandchild = std::thread::spawn(move || {
            let ctx = platform.new_context().unwrap();
            space2.adopt_thread(new).unwrap();
            let mut cpu = cpu_at(WRITE);
            cpu.regs.rdi = DATA_ADDR;
            cpu.regs.rsi = 42;
            run_to_syscall(&ctx, &space2, &mut cpu);
            space2.release_thread().unwrap();
        });
        grandchild.join().unwrap();
        run_to_syscall(&ctx, &space, &mut cpu);
        space.release_thread().unwrap();
    });
    child.join().unwrap();
    let mut cpu = cpu_at(READ);
    cpu.regs.rdi = DATA_ADDR;
    run_to_syscall(&ctx, &t.space, &mut cpu);
    assert_eq!(cpu.regs.rsi, 42);
    assert_eq!(live_threads(pid, 1), 1);
}
