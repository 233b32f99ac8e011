/* Signal delivery: handlers with siginfo, masks while a handler runs,
 * SA_RESETHAND, SA_NODEFER, nested handlers, the alternate stack, faults
 * handled and fixed up (SIGSEGV + mprotect, SIGFPE + siglongjmp), FP state
 * kept across a handler, sigpending, sigsuspend, sigtimedwait, SA_RESTART
 * versus EINTR for a blocked wait, SIGCHLD handlers, and abort(). */
#define _GNU_SOURCE
#include "common.h"
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t hits, last_signo, last_code, sender_ok, usr1_blocked_inside;
static volatile sig_atomic_t order[4], norder;

static void on_usr1(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    hits++;
    last_signo = sig;
    last_code = si->si_code;
    sender_ok = si->si_pid == getpid() && si->si_uid == getuid();
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    usr1_blocked_inside = sigismember(&cur, SIGUSR1);
}

static void set_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
    struct sigaction sa = {0};
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0)
        FAIL("sigaction %d", sig);
}

static void on_usr2_nested(int sig, siginfo_t *si, void *uc) {
    (void)sig, (void)si, (void)uc;
    order[norder++] = 2;
}

static void on_usr1_raises(int sig, siginfo_t *si, void *uc) {
    (void)sig, (void)si, (void)uc;
    order[norder++] = 1;
    raise(SIGUSR2);
    order[norder++] = 3;
}

static char *altstack;
static volatile sig_atomic_t on_alt;
static void on_alt_handler(int sig, siginfo_t *si, void *uc) {
    (void)sig, (void)si, (void)uc;
    char local;
    on_alt = &local >= altstack && &local < altstack + SIGSTKSZ * 4;
    stack_t ss;
    sigaltstack(NULL, &ss);
    if (!(ss.ss_flags & SS_ONSTACK))
        on_alt = 0;
}

static char *page;
static volatile sig_atomic_t segv_ok;
static void on_segv(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    segv_ok = sig == SIGSEGV && si->si_addr == page + 10 && si->si_code == SEGV_ACCERR;
    mprotect(page, 4096, PROT_READ | PROT_WRITE);
}

static sigjmp_buf fpe_jump;
static volatile sig_atomic_t fpe_code;
static void on_fpe(int sig, siginfo_t *si, void *uc) {
    (void)sig, (void)uc;
    fpe_code = si->si_code;
    siglongjmp(fpe_jump, 1);
}

static void on_fp_clobber(int sig) {
    (void)sig;
    volatile double x = 1e300;
    for (int i = 0; i < 10; i++)
        x = x * 3.7 + 1.0;
    (void)x;
}

/* A handler that clobbers xmm5 and, the first time, raises a second signal
 * whose handler clobbers it too: the interrupted code's xmm5 must survive. */
static volatile sig_atomic_t xmm_depth;
static void on_xmm_clobber(int sig) {
    (void)sig;
    __asm__ volatile("pcmpeqd %%xmm5, %%xmm5" ::: "xmm5");
    if (xmm_depth++ == 0)
        raise(SIGUSR2);
    __asm__ volatile("pxor %%xmm5, %%xmm5" ::: "xmm5");
}

/* Loads xmm5, sends SIGUSR1 to itself with a raw syscall (no function call
 * that could clobber the register legally), and reads xmm5 back. */
static unsigned long long xmm5_across_signal(unsigned long long value) {
    unsigned long long out;
    __asm__ volatile(
        "movq %[v], %%xmm5\n\t"
        "mov $39, %%eax\n\t" /* getpid */
        "syscall\n\t"
        "mov %%rax, %%rdi\n\t"
        "mov $10, %%esi\n\t" /* SIGUSR1 */
        "mov $62, %%eax\n\t" /* kill */
        "syscall\n\t"
        "movq %%xmm5, %[out]\n\t"
        : [out] "=r"(out)
        : [v] "r"(value)
        : "rax", "rdi", "rsi", "rcx", "r11", "xmm5", "memory");
    return out;
}

static volatile sig_atomic_t chld_hits;
static void on_chld(int sig) {
    (void)sig;
    chld_hits++;
}

static void on_plain(int sig) { last_signo = sig; hits++; }

int main(void) {
    /* A handler with siginfo; the signal is blocked while it runs. */
    set_handler(SIGUSR1, on_usr1, 0);
    CHECK("kill self", kill(getpid(), SIGUSR1) == 0);
    CHECK("handler ran once", hits == 1 && last_signo == SIGUSR1);
    CHECK("si_code SI_USER", last_code == SI_USER);
    CHECK("si_pid and si_uid are ours", sender_ok);
    CHECK("blocked inside the handler", usr1_blocked_inside);
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    CHECK("unblocked after it", !sigismember(&cur, SIGUSR1));

    set_handler(SIGUSR1, on_usr1, SA_NODEFER);
    raise(SIGUSR1);
    CHECK("SA_NODEFER: not blocked inside", hits == 2 && !usr1_blocked_inside);
    CHECK("raise: si_code SI_TKILL", last_code == SI_TKILL);

    set_handler(SIGUSR1, on_usr1, SA_RESETHAND);
    raise(SIGUSR1);
    struct sigaction now;
    sigaction(SIGUSR1, NULL, &now);
    CHECK("SA_RESETHAND: back to SIG_DFL", hits == 3 && now.sa_handler == SIG_DFL);

    /* Nested: a handler raising another signal runs the second handler at once. */
    set_handler(SIGUSR1, on_usr1_raises, 0);
    set_handler(SIGUSR2, on_usr2_nested, 0);
    raise(SIGUSR1);
    printf("nested order: %d %d %d\n", order[0], order[1], order[2]);

    /* Blocked signals stay pending until unblocked. */
    set_handler(SIGUSR1, on_usr1, 0);
    hits = 0;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1);
    sigset_t pend;
    sigpending(&pend);
    CHECK("pending while blocked", sigismember(&pend, SIGUSR1) && hits == 0);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    CHECK("delivered when unblocked", hits == 1);

    /* sigtimedwait takes a blocked pending signal without running the handler. */
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1);
    siginfo_t si;
    struct timespec ts = {0, 10 * 1000 * 1000};
    CHECK("sigtimedwait returns it", sigtimedwait(&block, &si, &ts) == SIGUSR1 && si.si_signo == SIGUSR1 && hits == 1);
    CHECK_ERR("sigtimedwait times out", sigtimedwait(&block, &si, &ts), EAGAIN);

    /* sigsuspend: wait with the signal unblocked; the old mask comes back. */
    pid_t child = fork();
    if (child == 0) {
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    sigset_t empty;
    sigemptyset(&empty);
    CHECK_ERR("sigsuspend", sigsuspend(&empty), EINTR);
    sigprocmask(SIG_SETMASK, NULL, &cur);
    CHECK("handler ran and mask restored", hits == 2 && sigismember(&cur, SIGUSR1));
    waitpid(child, NULL, 0);
    sigprocmask(SIG_UNBLOCK, &block, NULL);

    /* The alternate stack. */
    altstack = malloc(SIGSTKSZ * 4);
    stack_t ss = {.ss_sp = altstack, .ss_size = SIGSTKSZ * 4, .ss_flags = 0};
    CHECK("sigaltstack", sigaltstack(&ss, NULL) == 0);
    stack_t small = {.ss_sp = altstack, .ss_size = 100, .ss_flags = 0};
    CHECK_ERR("sigaltstack too small", sigaltstack(&small, NULL), ENOMEM);
    set_handler(SIGUSR2, on_alt_handler, SA_ONSTACK);
    raise(SIGUSR2);
    CHECK("SA_ONSTACK handler runs on the alternate stack", on_alt);
    stack_t old;
    sigaltstack(NULL, &old);
    CHECK("not on it afterwards", !(old.ss_flags & SS_ONSTACK) && old.ss_sp == altstack);

    /* SIGSEGV handler fixes the fault and returns: the access is retried. */
    page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    set_handler(SIGSEGV, on_segv, 0);
    page[10] = 42;
    CHECK("SIGSEGV handled, write retried", segv_ok && page[10] == 42);

    /* SIGFPE from a division by zero, left with siglongjmp. */
    set_handler(SIGFPE, on_fpe, 0);
    volatile int zero = 0;
    if (sigsetjmp(fpe_jump, 1) == 0) {
        int q, d = zero;
        __asm__ volatile("cltd; idivl %1" : "=a"(q) : "r"(d), "a"(1) : "edx");
        (void)q;
        FAIL("no SIGFPE");
    }
    CHECK("SIGFPE FPE_INTDIV", fpe_code == FPE_INTDIV);

    /* FP state is the interrupted code's again after a handler. */
    signal(SIGUSR1, on_fp_clobber);
    volatile double a = 1.0 / 3.0;
    double before = a * 7.0;
    for (int i = 0; i < 50; i++)
        raise(SIGUSR1);
    double after = a * 7.0;
    CHECK("FP values survive handlers", before == after);

    /* An FP register of the interrupted code survives nested handlers. */
    signal(SIGUSR1, on_xmm_clobber);
    signal(SIGUSR2, on_xmm_clobber);
    CHECK("xmm5 kept across nested handlers", xmm5_across_signal(0x1234567890abcdefULL) == 0x1234567890abcdefULL && xmm_depth == 2);
    signal(SIGUSR2, SIG_DFL);

    /* A read blocked on a pipe: a handler without SA_RESTART makes it fail
     * with EINTR; with SA_RESTART it goes on and gets the data. */
    for (int restart = 0; restart <= 1; restart++) {
        struct sigaction sr = {0};
        sr.sa_handler = on_plain;
        sr.sa_flags = restart ? SA_RESTART : 0;
        sigaction(SIGUSR1, &sr, NULL);
        int p[2];
        pipe(p);
        fflush(stdout);
        pid_t parent = getpid();
        pid_t c = fork();
        if (c == 0) {
            usleep(30000);
            kill(parent, SIGUSR1);
            usleep(30000);
            write(p[1], "d", 1);
            _exit(0);
        }
        hits = 0;
        char d = 0;
        long n = read(p[0], &d, 1);
        if (restart)
            CHECK("SA_RESTART: the read goes on and gets the data", n == 1 && d == 'd' && hits == 1);
        else
            CHECK("no SA_RESTART: the read fails with EINTR", n == -1 && errno == EINTR && hits == 1);
        waitpid(c, NULL, 0);
        close(p[0]);
        close(p[1]);
    }
    signal(SIGUSR1, SIG_DFL);

    /* A blocked wait: SA_RESTART resumes it, without it fails with EINTR. */
    signal(SIGUSR1, SIG_DFL);
    for (int restart = 1; restart >= 0; restart--) {
        struct sigaction sa = {0};
        sa.sa_handler = on_plain;
        sa.sa_flags = restart ? SA_RESTART : 0;
        sigaction(SIGUSR2, &sa, NULL);
        int go[2];
        pipe(go);
        fflush(stdout);
        pid_t c = fork();
        if (c == 0) {
            close(go[1]);
            char b;
            read(go[0], &b, 1); /* wait until the parent is in waitpid */
            usleep(20000);
            kill(getppid(), SIGUSR2);
            usleep(20000);
            _exit(5);
        }
        close(go[0]);
        hits = 0;
        write(go[1], "x", 1);
        int status = 0;
        pid_t r = waitpid(c, &status, 0);
        if (restart)
            CHECK("SA_RESTART: waitpid resumed", r == c && WEXITSTATUS(status) == 5 && hits == 1);
        else {
            CHECK("no SA_RESTART: EINTR", r == -1 && errno == EINTR && hits == 1);
            waitpid(c, NULL, 0);
        }
        close(go[1]);
    }

    /* SIGCHLD handler. */
    signal(SIGCHLD, on_chld);
    fflush(stdout);
    child = fork();
    if (child == 0)
        _exit(0);
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
        ;
    CHECK("SIGCHLD handler ran", chld_hits == 1);
    signal(SIGCHLD, SIG_DFL);

    /* abort() kills with SIGABRT even with SIGABRT blocked. */
    fflush(stdout);
    child = fork();
    if (child == 0) {
        sigset_t ab;
        sigemptyset(&ab);
        sigaddset(&ab, SIGABRT);
        sigprocmask(SIG_BLOCK, &ab, NULL);
        abort();
    }
    int status;
    waitpid(child, &status, 0);
    CHECK("abort: SIGABRT", WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    return 0;
}
