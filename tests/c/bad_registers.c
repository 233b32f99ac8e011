/* Register values an application controls, checked before they reach the
 * CPU: clone and clone3 with CLONE_SETTLS and a TLS base outside the user
 * range fail with EPERM and make no child; arch_prctl refuses such bases with
 * EPERM; a signal frame whose rip is not canonical, or whose cs is not a code
 * segment, is restored and then faults into a SIGSEGV (si_code SI_KERNEL)
 * that a handler catches, in the process itself; so does a frame whose FP
 * state the CPU would refuse to load (a reserved MXCSR bit, an unknown or
 * compacted XSAVE header). */
#define _GNU_SOURCE
#include "common.h"
#include <asm/prctl.h>
#include <linux/sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>

/* Linux's TASK_SIZE_MAX with 4-level paging. */
#define TASK_SIZE_MAX 0x7ffffffff000UL
#define NON_CANONICAL 0x8000000000000000UL

static long raw_clone(unsigned long flags, unsigned long tls) {
    return syscall(SYS_clone, flags, 0, 0, 0, tls);
}

static long raw_clone3(unsigned long flags, unsigned long tls) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = flags;
    args.exit_signal = SIGCHLD;
    args.tls = tls;
    return syscall(SYS_clone3, &args, sizeof args);
}

/* A clone that should fail: a child that was made anyway exits at once. */
static void check_clone_refused(const char *label, long r) {
    if (r == 0)
        syscall(SYS_exit, 0);
    int e = errno;
    if (r > 0)
        waitpid((pid_t)r, NULL, 0);
    printf("%s: %s\n", label, r == -1 ? errname(e) : "made a child");
    if (r != -1 || e != EPERM)
        FAIL("%s: want EPERM", label);
}

static sigjmp_buf back;
static volatile int mode, seen_sig, seen_code;
static volatile uintptr_t seen_rip;

/* The XSAVE header after the 512-byte legacy area of the frame's FP state. */
static uint64_t *xsave_header(ucontext_t *uc) {
    return (uint64_t *)((char *)uc->uc_mcontext.fpregs + 512);
}

/* First entry (from raise): spoils the frame as `mode` says and returns
 * through it. Second entry: the fault the restored frame caused. */
static void handler(int sig, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    switch (mode) {
    case 1:
        g[REG_RIP] = (greg_t)NON_CANONICAL;
        mode = 0;
        return;
    case 2: /* the user data segment as the code segment */
        g[REG_CSGSFS] = (g[REG_CSGSFS] & ~0xffffL) | 0x2b;
        mode = 0;
        return;
    case 3: /* the null selector */
        g[REG_CSGSFS] &= ~0xffffL;
        mode = 0;
        return;
    case 4: /* a reserved MXCSR bit */
        uc->uc_mcontext.fpregs->mxcsr |= 0x80000000u;
        mode = 0;
        return;
    case 5: /* xstate_bv names a component no CPU has (bit 62) */
        xsave_header(uc)[0] |= 1UL << 62;
        mode = 0;
        return;
    case 6: /* xcomp_bv set: a compacted image, which user frames never are */
        xsave_header(uc)[1] = 1;
        mode = 0;
        return;
    }
    seen_sig = sig;
    seen_code = si->si_code;
    seen_rip = (uintptr_t)g[REG_RIP];
    siglongjmp(back, 1);
}

static void check_bad_frame(const char *label, int how) {
    mode = how;
    seen_sig = 0;
    if (!sigsetjmp(back, 1)) {
        raise(SIGUSR1);
        FAIL("%s: the spoiled frame returned normally", label);
    }
    printf("%s: signal %d code %#x rip %s\n", label, seen_sig, seen_code,
           seen_rip == NON_CANONICAL ? "non-canonical" : "as before");
    if (seen_sig != SIGSEGV || seen_code != 0x80)
        FAIL("%s: want SIGSEGV with SI_KERNEL", label);
}

int main(void) {
    check_clone_refused("clone tls non-canonical",
                        raw_clone(CLONE_SETTLS | SIGCHLD, NON_CANONICAL));
    check_clone_refused("clone tls at TASK_SIZE_MAX",
                        raw_clone(CLONE_SETTLS | SIGCHLD, TASK_SIZE_MAX));
    check_clone_refused(
        "clone thread tls non-canonical",
        raw_clone(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                      CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS,
                  NON_CANONICAL));
    check_clone_refused("clone3 tls non-canonical",
                        raw_clone3(CLONE_SETTLS, NON_CANONICAL));
    CHECK_ERR("wait: no child was made", waitpid(-1, NULL, WNOHANG), ECHILD);

    /* A base just below the limit is fine; the child exits at once. */
    long pid = raw_clone(CLONE_SETTLS | SIGCHLD, TASK_SIZE_MAX - 4096);
    if (pid == 0)
        syscall(SYS_exit, 7);
    int status = 0;
    CHECK("clone tls below TASK_SIZE_MAX",
          pid > 0 && waitpid((pid_t)pid, &status, 0) == pid &&
              WIFEXITED(status) && WEXITSTATUS(status) == 7);

    CHECK_ERR("arch_prctl SET_FS non-canonical",
              syscall(SYS_arch_prctl, ARCH_SET_FS, NON_CANONICAL), EPERM);
    CHECK_ERR("arch_prctl SET_GS at TASK_SIZE_MAX",
              syscall(SYS_arch_prctl, ARCH_SET_GS, TASK_SIZE_MAX), EPERM);
    CHECK("arch_prctl SET_GS below TASK_SIZE_MAX",
          syscall(SYS_arch_prctl, ARCH_SET_GS, TASK_SIZE_MAX - 4096) == 0 &&
              syscall(SYS_arch_prctl, ARCH_SET_GS, 0) == 0);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    check_bad_frame("sigreturn to a non-canonical rip", 1);
    check_bad_frame("sigreturn with a data segment as cs", 2);
    check_bad_frame("sigreturn with a null cs", 3);
    check_bad_frame("sigreturn with a reserved MXCSR bit", 4);
    check_bad_frame("sigreturn with an unknown xstate component", 5);
    check_bad_frame("sigreturn with a compacted xsave header", 6);
    /* The FP state after those faults is the init state: usable. */
    volatile double x = 1.5;
    CHECK("floating point still works", x * 2 == 3.0);
    printf("still running\n");
    return 0;
}
