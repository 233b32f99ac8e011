/* Real-time signals queue, each instance with its own value, and are taken
 * lowest number first and oldest first; standard signals do not queue.
 * RLIMIT_SIGPENDING bounds the queue: sigqueue gets EAGAIN, kill still makes
 * the signal pending. */
#define _GNU_SOURCE
#include "common.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

static int order[32], values[32], handled;

static void record(int sig, siginfo_t *si, void *ctx) {
    (void)ctx;
    if (handled < 32) {
        order[handled] = sig;
        values[handled] = si->si_value.sival_int;
    }
    handled++;
}

static void queue(int sig, int value) {
    union sigval v = {.sival_int = value};
    if (sigqueue(getpid(), sig, v) != 0)
        FAIL("sigqueue %d: %s", sig, errname(errno));
}

static sigset_t only(int a, int b) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, a);
    if (b)
        sigaddset(&s, b);
    return s;
}

/* Instances are handled in order once unblocked. */
static void delivery(void) {
    int rt = SIGRTMIN, rt1 = SIGRTMIN + 1;
    sigset_t all = only(SIGUSR1, rt), old;
    sigaddset(&all, rt1);
    /* Each handler blocks all three, so that they run one after another
     * rather than nested. */
    struct sigaction sa = {.sa_sigaction = record, .sa_flags = SA_SIGINFO, .sa_mask = all};
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(rt, &sa, NULL);
    sigaction(rt1, &sa, NULL);
    sigprocmask(SIG_BLOCK, &all, &old);
    queue(rt1, 100);
    queue(rt, 1);
    queue(rt, 2);
    queue(SIGUSR1, 7);
    queue(SIGUSR1, 8);
    queue(rt, 3);
    kill(getpid(), rt1);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("handled %d\n", handled);
    for (int i = 0; i < handled && i < 32; i++)
        printf("  %s %d\n", order[i] == SIGUSR1 ? "SIGUSR1" : order[i] == rt ? "RTMIN" : "RTMIN+1",
               values[i]);
}

/* sigtimedwait takes one instance at a time; the signal stays pending. */
static void waiting(void) {
    int rt = SIGRTMIN + 2;
    sigset_t s = only(rt, 0), pending;
    sigprocmask(SIG_BLOCK, &s, NULL);
    queue(rt, 10);
    queue(rt, 20);
    struct timespec none = {0, 0};
    siginfo_t si;
    CHECK("first", sigtimedwait(&s, &si, &none) == rt && si.si_value.sival_int == 10 &&
                       si.si_code == SI_QUEUE && si.si_pid == getpid());
    sigpending(&pending);
    CHECK("still pending", sigismember(&pending, rt));
    CHECK("second", sigtimedwait(&s, &si, &none) == rt && si.si_value.sival_int == 20);
    sigpending(&pending);
    CHECK("no longer pending", !sigismember(&pending, rt));
    CHECK_ERR("none left", sigtimedwait(&s, &si, &none), EAGAIN);
}

/* A signalfd reads every queued instance. */
static void through_signalfd(void) {
    int rt = SIGRTMIN + 3;
    sigset_t s = only(rt, SIGUSR2);
    sigprocmask(SIG_BLOCK, &s, NULL);
    int fd = signalfd(-1, &s, SFD_NONBLOCK);
    CHECK("signalfd", fd >= 0);
    for (int i = 0; i < 3; i++)
        queue(rt, 30 + i);
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR2);
    struct signalfd_siginfo got[8];
    ssize_t n = read(fd, got, sizeof got);
    printf("signalfd read %zd instances\n", n / (ssize_t)sizeof got[0]);
    for (ssize_t i = 0; i < n / (ssize_t)sizeof got[0]; i++)
        printf("  %s %d\n", got[i].ssi_signo == SIGUSR2 ? "SIGUSR2" : "RTMIN+3", got[i].ssi_int);
    close(fd);
}

/* The limit: in a child with a user of its own, since Linux counts queued
 * signals per user. */
static void limit(void) {
    pid_t child = fork();
    if (child == 0) {
        if (setresgid(54321, 54321, 54321) != 0 || setresuid(54321, 54321, 54321) != 0)
            FAIL("setresuid: %s", errname(errno));
        struct rlimit rl = {4, 4};
        CHECK("RLIMIT_SIGPENDING 4", setrlimit(RLIMIT_SIGPENDING, &rl) == 0);
        int rt = SIGRTMIN + 4;
        sigset_t s = only(rt, 0);
        sigprocmask(SIG_BLOCK, &s, NULL);
        int queued = 0;
        union sigval v = {.sival_int = 0};
        while (queued < 10 && sigqueue(getpid(), rt, v) == 0)
            queued++;
        printf("queued before the limit: %d (%s)\n", queued, errname(errno));
        CHECK("kill over the limit still succeeds", kill(getpid(), rt) == 0);
        struct timespec none = {0, 0};
        int taken = 0;
        while (sigtimedwait(&s, NULL, &none) == rt)
            taken++;
        printf("taken: %d\n", taken);
        errno = 0;
        CHECK("room again", sigqueue(getpid(), rt, v) == 0);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    CHECK("child exited 0", WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    delivery();
    waiting();
    through_signalfd();
    limit();
    return 0;
}
