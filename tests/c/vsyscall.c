/* The vsyscall page at 0xffffffffff600000, which old static binaries call:
 * gettimeofday at its start, time at +0x400, getcpu at +0x800. The kernel
 * (in its default xonly mode, and in emulate mode) emulates these calls and
 * returns to the caller; any other address in the page is a SIGSEGV. Reading
 * the page faults in xonly mode and works in emulate mode; with vsyscall=none
 * every call faults. Each probe runs in a child and prints what it saw, so the
 * output is the same natively and sandboxed whatever the host's mode. */
#define _GNU_SOURCE
#include "common.h"
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#define VSYSCALL 0xffffffffff600000UL

static sigjmp_buf back;
static volatile int seen_sig, seen_code;
static volatile uintptr_t seen_addr;

static void on_segv(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    seen_sig = sig;
    seen_code = si->si_code;
    seen_addr = (uintptr_t)si->si_addr;
    siglongjmp(back, 1);
}

static void call_time(void) {
    time_t (*vtime)(time_t *) = (time_t(*)(time_t *))(VSYSCALL + 0x400);
    time_t stored = 0;
    time_t t = vtime(&stored);
    time_t now = time(NULL);
    printf("time: plausible %d, stored the same %d\n",
           t > 1000000000 && t <= now && now - t < 10, stored == t);
}

static void call_gettimeofday(void) {
    int (*vgtod)(struct timeval *, void *) =
        (int (*)(struct timeval *, void *))VSYSCALL;
    struct timeval tv = {0, 0};
    int r = vgtod(&tv, NULL);
    printf("gettimeofday: returned %d, plausible %d\n", r,
           tv.tv_sec > 1000000000 && tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    /* NULL pointers mean "write nothing". */
    printf("gettimeofday(NULL, NULL): returned %d\n", vgtod(NULL, NULL));
}

static void call_getcpu(void) {
    long (*vgetcpu)(unsigned *, unsigned *, void *) =
        (long (*)(unsigned *, unsigned *, void *))(VSYSCALL + 0x800);
    unsigned cpu = 99999, node = 99999;
    long r = vgetcpu(&cpu, &node, NULL);
    printf("getcpu: returned %ld, filled %d\n", r, cpu < 99999 && node < 99999);
}

/* Bad pointers: one in the user range but unmapped faults when the call
 * writes it (SIGSEGV, SI_KERNEL); one outside the user range is refused
 * before the call (SIGSEGV, SEGV_MAPERR at the pointer). */
static void call_time_unmapped(void) {
    time_t (*vtime)(time_t *) = (time_t(*)(time_t *))(VSYSCALL + 0x400);
    vtime((time_t *)0x1000);
    printf("time into unmapped memory: returned\n");
}

static void call_time_kernel(void) {
    time_t (*vtime)(time_t *) = (time_t(*)(time_t *))(VSYSCALL + 0x400);
    vtime((time_t *)0xffff800000000000UL);
    printf("time into kernel memory: returned\n");
}

static void call_misaligned(void) {
    void (*f)(void) = (void (*)(void))(VSYSCALL + 0x100);
    f();
    printf("misaligned entry: returned\n");
}

static void read_page(void) {
    volatile unsigned char b = *(volatile unsigned char *)VSYSCALL;
    (void)b;
    printf("read: readable\n");
}

/* Runs `probe` in a child with a SIGSEGV handler; prints a fault instead of
 * the probe's line when there is one. */
static void probe(const char *label, void (*fn)(void)) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_segv;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSEGV, &sa, NULL);
        if (!sigsetjmp(back, 1))
            fn();
        else
            printf("%s: signal %d code %#x at %s\n", label, seen_sig,
                   seen_code,
                   seen_addr == 0                        ? "0"
                   : seen_addr >= VSYSCALL              ? "the vsyscall page"
                   : seen_addr == 0xffff800000000000UL ? "the pointer"
                                                         : "elsewhere");
        fflush(stdout);
        _exit(0);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        FAIL("%s: waitpid", label);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        FAIL("%s: child status %#x", label, status);
}

int main(void) {
    probe("time", call_time);
    probe("gettimeofday", call_gettimeofday);
    probe("getcpu", call_getcpu);
    probe("time into unmapped memory", call_time_unmapped);
    probe("time into kernel memory", call_time_kernel);
    probe("misaligned entry", call_misaligned);
    probe("read", read_page);
    /* Many calls in a row: each is served and returns. */
    time_t (*vtime)(time_t *) = (time_t(*)(time_t *))(VSYSCALL + 0x400);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        long ok = 0;
        for (int i = 0; i < 1000; i++)
            ok += vtime(NULL) > 0;
        printf("1000 calls: %ld returned a time\n", ok);
        fflush(stdout);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf("1000 calls: child %s %d\n", WIFEXITED(status) ? "exited" : "killed by",
           WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return 0;
}
