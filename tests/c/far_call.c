/* Far calls and jumps to other code segments, each in a child with handlers
 * for the signals they raise. A far call to the 32-bit user code segment
 * (0x23) faults (SIGSEGV, SEGV_MAPERR, at a truncated stack address) before
 * the segment changes, and a handler catches it. A far jump there runs
 * 32-bit code, whose int3/ud2/hlt trap in 32-bit mode: the handler is never
 * reached and the process dies of SIGSEGV. A far jump to a data segment or
 * the null selector is a general protection fault (SIGSEGV, SI_KERNEL); one
 * to the 64-bit code segment (0x33) just runs the code there. A call with a
 * 32-bit stack to 32-bit code that returns with `lret` comes back to 64-bit
 * code. The code lives in a MAP_32BIT page, whose address fits the far
 * pointer's 32-bit offset. */
#define _GNU_SOURCE
#include "common.h"
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>

struct __attribute__((packed)) farptr {
    uint32_t off;
    uint16_t sel;
};

/* Global so the asm can address it RIP-relative. */
struct farptr target;
static unsigned char *code32;
static sigjmp_buf back;
static volatile int seen_sig, seen_code;
static volatile unsigned long seen_cs;
static volatile uintptr_t seen_rip;

static void handler(int sig, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    seen_sig = sig;
    seen_code = si->si_code;
    seen_cs = uc->uc_mcontext.gregs[REG_CSGSFS] & 0xffff;
    seen_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    siglongjmp(back, 1);
}

static void far_call(void) { __asm__ volatile("lcall *target(%%rip)" ::: "memory"); }
static void far_jump(void) { __asm__ volatile("ljmp *target(%%rip)" ::: "memory"); }

static void run_case(const char *label, uint16_t sel, unsigned off, int call) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = handler;
        sa.sa_flags = SA_SIGINFO;
        int sigs[] = {SIGSEGV, SIGTRAP, SIGILL, SIGBUS};
        for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            sigaction(sigs[i], &sa, NULL);
        target.off = (uint32_t)(uintptr_t)(code32 + off);
        target.sel = sel;
        if (!sigsetjmp(back, 1)) {
            if (call)
                far_call();
            else
                far_jump();
            printf("%s: went on\n", label);
        } else {
            uintptr_t want = (uintptr_t)(code32 + off);
            printf("%s: signal %d code %#x cs %#lx rip %s\n", label, seen_sig,
                   seen_code, seen_cs,
                   seen_rip == want       ? "at the target"
                   : seen_rip == want + 1 ? "after the target"
                                          : "elsewhere");
        }
        fflush(stdout);
        _exit(0);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        FAIL("%s: waitpid", label);
    if (WIFSIGNALED(status))
        printf("%s: killed by signal %d\n", label, WTERMSIG(status));
}

/* A round trip through 32-bit code, as gVisor's Call32Bit test makes it: on
 * a 32-bit stack at the end of the low page, `lcall` to an `lret` in the
 * 32-bit code segment, which returns to 64-bit code. */
static void round_trip(void) {
    static const unsigned char code[] = {
        0x67, 0xff, 0x5c, 0x24, 0x08, /* lcall *8(%esp) */
        0xc3,                         /* retq */
        0xcb,                         /* lret */
    };
    memset(code32 + 64, 0xcc, 64);
    memcpy(code32 + 64, code, sizeof code);
    uintptr_t stack = (uintptr_t)code32 + 4096;
    uintptr_t lcall = (uintptr_t)code32 + 64;
    uintptr_t lret = lcall + sizeof code - 1;
    __asm__ volatile("subl $0x8, %%ecx\n"
                     "movl $0x23, 4(%%ecx)\n"
                     "movl %%edx, 0(%%ecx)\n"
                     "pushq %%rbp\n"
                     "movq %%rsp, %%rbp\n"
                     "movq %%rcx, %%rsp\n"
                     "callq *%%rbx\n"
                     "leaveq\n"
                     : "+c"(stack)
                     : "b"(lcall), "d"(lret)
                     : "memory");
}

int main(void) {
    code32 = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (code32 == MAP_FAILED)
        FAIL("mmap MAP_32BIT: %s", errname(errno));
    CHECK("MAP_32BIT: below 2 GiB", (uintptr_t)code32 + 4096 <= 0x80000000UL);
    code32[0] = 0xcc;                    /* int3 */
    code32[16] = 0x0f, code32[17] = 0x0b; /* ud2 */
    code32[32] = 0xf4;                   /* hlt */

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        round_trip();
        printf("far call round trip through 32-bit code: returned\n");
        fflush(stdout);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("far call round trip through 32-bit code: killed by signal %d\n",
               WTERMSIG(status));
    run_case("lcall 0x23 (32-bit code)", 0x23, 0, 1);
    run_case("ljmp 0x23 to int3", 0x23, 0, 0);
    run_case("ljmp 0x23 to ud2", 0x23, 16, 0);
    run_case("ljmp 0x23 to hlt", 0x23, 32, 0);
    run_case("ljmp 0x2b (data segment)", 0x2b, 0, 0);
    run_case("ljmp 0x0 (null selector)", 0x0, 0, 0);
    run_case("ljmp 0x33 (64-bit code) to int3", 0x33, 0, 0);
    printf("still running\n");
    return 0;
}
