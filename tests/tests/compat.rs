//! Native-vs-sandbox comparison of every C program in `tests/c`, each built
//! static, static-pie and dynamic. The programs check Linux behaviour
//! themselves; here the sandbox must match their stdout and exit status.

use tests::{Expect, Variant, assert_same_expect};

/// SIGSEGV on x86_64 Linux.
const SIGSEGV: i32 = 11;

/// `compat!(module: "program" [args...] => expectation)` makes one test
/// per build variant, named `module::static_exe` and so on.
macro_rules! compat {
    ($module:ident: $prog:literal [$($arg:literal),*] => $expect:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn static_exe() {
                assert_same_expect($prog, Variant::Static, &[$($arg),*], $expect);
            }

            #[test]
            fn static_pie() {
                assert_same_expect($prog, Variant::StaticPie, &[$($arg),*], $expect);
            }

            #[test]
            fn dynamic() {
                assert_same_expect($prog, Variant::Dynamic, &[$($arg),*], $expect);
            }
        }
    };
}

compat!(hello: "hello" [] => Expect::exit(0).with_stdout("hello, world\n"));
compat!(print_argv: "print_argv" ["one", "", "two words", "--flag"] => Expect::exit(0));
compat!(auxv: "auxv" ["first", "second"] => Expect::exit(0));
compat!(malloc: "malloc" [] => Expect::exit(0));
compat!(mprotect_fault: "mprotect_fault" [] => Expect::signal(SIGSEGV));
compat!(bigmap: "bigmap" [] => Expect::exit(0));
compat!(syscalls_basic: "syscalls_basic" [] => Expect::exit(0));
compat!(enosys: "enosys" [] => Expect::exit(0));
compat!(exit_code_0: "exit_code" ["0"] => Expect::exit(0));
compat!(exit_code_3: "exit_code" ["3"] => Expect::exit(3));
compat!(exit_code_255: "exit_code" ["255"] => Expect::exit(255));
compat!(bad_args: "bad_args" [] => Expect::exit(0));
compat!(files: "files" [] => Expect::exit(0));
compat!(devices: "devices" [] => Expect::exit(0));
compat!(pipes: "pipes" [] => Expect::signal(13));
compat!(attrs: "attrs" [] => Expect::exit(0));
compat!(procfs: "procfs" ["arg one", "two"] => Expect::exit(0));
compat!(xattrs: "xattrs" [] => Expect::exit(0));
compat!(transfer: "transfer" [] => Expect::exit(0));
compat!(locks: "locks" [] => Expect::exit(0));
compat!(openat2: "openat2" [] => Expect::exit(0));
compat!(fifo: "fifo" [] => Expect::exit(0));
compat!(mounts: "mounts" [] => Expect::exit(0));
compat!(fork_wait: "fork_wait" [] => Expect::exit(0));
compat!(cow: "cow" [] => Expect::exit(0));
compat!(exec: "exec" [] => Expect::exit(0));
compat!(pgrp: "pgrp" [] => Expect::exit(0));
compat!(proc_pipes: "proc_pipes" [] => Expect::exit(0));
compat!(signals: "signals" [] => Expect::exit(0));
compat!(threads: "threads" [] => Expect::exit(0));
compat!(timers: "timers" [] => Expect::exit(0));
compat!(poll: "poll" [] => Expect::exit(0));
compat!(select: "select" [] => Expect::exit(0));
compat!(epoll: "epoll" [] => Expect::exit(0));
compat!(eventfd: "eventfd" [] => Expect::exit(0));
compat!(signalfd: "signalfd" [] => Expect::exit(0));
compat!(timerfd: "timerfd" [] => Expect::exit(0));
compat!(pidfd: "pidfd" [] => Expect::exit(0));
compat!(blocking_kill: "blocking_kill" [] => Expect::exit(0));
compat!(identity: "identity" [] => Expect::exit(0));
compat!(rlimits: "rlimits" [] => Expect::exit(0));
compat!(prctl_sched: "prctl_sched" [] => Expect::exit(0));
compat!(futex: "futex" [] => Expect::exit(0));
compat!(shared_maps: "shared_maps" [] => Expect::exit(0));
compat!(jobctl: "jobctl" [] => Expect::exit(0));
compat!(magic_links: "magic_links" [] => Expect::exit(0));
compat!(vfork: "vfork" [] => Expect::exit(0));
compat!(pty: "pty" [] => Expect::exit(0));
compat!(pty_jobctl: "pty_jobctl" [] => Expect::exit(0));
compat!(rt_queue: "rt_queue" [] => Expect::exit(0));
compat!(proc_tasks: "proc_tasks" [] => Expect::exit(0));
compat!(pidfd_getfd: "pidfd_getfd" [] => Expect::exit(0));
compat!(inotify: "inotify" [] => Expect::exit(0));
compat!(thread_reuse: "thread_reuse" [] => Expect::exit(0));
compat!(sparse: "sparse" [] => Expect::exit(0));
compat!(fsize: "fsize" [] => Expect::exit(0));
compat!(big_offsets: "big_offsets" [] => Expect::exit(0));
compat!(caps_chroot: "caps_chroot" [] => Expect::exit(0));
compat!(etxtbsy: "etxtbsy" [] => Expect::exit(0));
compat!(fd_listing: "fd_listing" [] => Expect::exit(0));
compat!(bad_registers: "bad_registers" [] => Expect::exit(0));
compat!(vsyscall: "vsyscall" [] => Expect::exit(0));
compat!(far_call: "far_call" [] => Expect::exit(0));
compat!(unmap_edges: "unmap_edges" [] => Expect::exit(0));
compat!(efault_end: "efault_end" [] => Expect::exit(0));
compat!(big_offsets_sparse: "big_offsets" ["sparse"] => Expect::exit(0));
