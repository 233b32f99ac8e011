/*
 * A broad pass over simple syscalls: identity, clocks, randomness, signal
 * bookkeeping, resource limits, affinity, prctl names, stdout-is-a-pipe
 * (the harness pipes stdout) and EFAULT on bad user pointers. Host-specific
 * values (pids, times, CPU counts) are checked, never printed.
 */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define BAD_PTR ((void *)1)

static long ns_between(struct timespec a, struct timespec b) {
    return (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
}

static void identity(void) {
    struct utsname u;
    CHECK("uname", uname(&u) == 0);
    printf("sysname: %s\n", u.sysname);
    printf("machine: %s\n", u.machine);
    CHECK("getpid == gettid in a single-threaded process",
          getpid() == syscall(SYS_gettid));
    CHECK("getppid >= 0", getppid() >= 0);
    printf("uid: %d euid: %d gid: %d egid: %d\n", (int)getuid(),
           (int)geteuid(), (int)getgid(), (int)getegid());
    static int clear_tid; /* static: the kernel may write it at exit */
    CHECK("set_tid_address returns the tid",
          syscall(SYS_set_tid_address, &clear_tid) == syscall(SYS_gettid));
    /* glibc registers rseq itself, so the outcome of a second registration
     * varies (EBUSY, EINVAL, ENOSYS in a sandbox); only survive the call. */
    (void)syscall(SYS_rseq, NULL, 0, 0, 0);
}

static void clocks(void) {
    struct timespec a, b, c, res;
    CHECK("clock_gettime MONOTONIC", clock_gettime(CLOCK_MONOTONIC, &a) == 0);
    CHECK("clock_gettime MONOTONIC again",
          clock_gettime(CLOCK_MONOTONIC, &b) == 0);
    CHECK("MONOTONIC does not go back", ns_between(a, b) >= 0);
    struct timespec nap = {0, 2000000};
    CHECK("nanosleep 2 ms", nanosleep(&nap, NULL) == 0);
    clock_gettime(CLOCK_MONOTONIC, &c);
    CHECK("MONOTONIC advanced across the sleep", ns_between(a, c) >= 2000000);

    struct timespec rt;
    CHECK("clock_gettime REALTIME", clock_gettime(CLOCK_REALTIME, &rt) == 0);
    time_t now = time(NULL);
    CHECK("REALTIME within 2 s of time()", labs(rt.tv_sec - now) <= 2);
    struct timeval tv;
    CHECK("gettimeofday", gettimeofday(&tv, NULL) == 0);
    CHECK("gettimeofday sane",
          tv.tv_usec >= 0 && tv.tv_usec < 1000000 && labs(tv.tv_sec - now) <= 2);

    CHECK("clock_getres MONOTONIC", clock_getres(CLOCK_MONOTONIC, &res) == 0);
    printf("MONOTONIC resolution: %ld.%09ld\n", (long)res.tv_sec, res.tv_nsec);

    /* Raw syscalls: the vDSO would crash on a bad pointer, not return EFAULT. */
    CHECK_ERR("clock_gettime invalid clock",
              syscall(SYS_clock_gettime, 12345, &rt), EINVAL);
    CHECK_ERR("clock_getres invalid clock",
              syscall(SYS_clock_getres, 12345, &res), EINVAL);
    CHECK_ERR("clock_gettime bad pointer",
              syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD_PTR), EFAULT);
    CHECK_ERR("gettimeofday bad pointer",
              syscall(SYS_gettimeofday, BAD_PTR, NULL), EFAULT);
}

static void randomness(void) {
    unsigned char buf[32] = {0};
    CHECK("getrandom 32 bytes", getrandom(buf, sizeof buf, 0) == sizeof buf);
    unsigned char any = 0;
    for (size_t i = 0; i < sizeof buf; i++)
        any |= buf[i];
    CHECK("random bytes not all zero", any != 0);
    CHECK_ERR("getrandom invalid flags",
              syscall(SYS_getrandom, buf, sizeof buf, 0x100), EINVAL);
    CHECK_ERR("getrandom bad pointer",
              syscall(SYS_getrandom, BAD_PTR, sizeof buf, 0), EFAULT);
}

static void on_usr1(int sig) { (void)sig; }

static void signals(void) {
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sa.sa_flags = SA_RESTART;
    CHECK("sigaction SIGUSR1", sigaction(SIGUSR1, &sa, NULL) == 0);
    CHECK("sigaction read back", sigaction(SIGUSR1, NULL, &old) == 0);
    CHECK("handler read back", old.sa_handler == on_usr1);
    CHECK("SA_RESTART read back", (old.sa_flags & SA_RESTART) != 0);
    CHECK("sa_mask read back", sigismember(&old.sa_mask, SIGUSR2) == 1 &&
                                   sigismember(&old.sa_mask, SIGINT) == 0);
    CHECK_ERR("sigaction SIGKILL", sigaction(SIGKILL, &sa, NULL), EINVAL);
    CHECK_ERR("sigaction SIGSTOP", sigaction(SIGSTOP, &sa, NULL), EINVAL);
    CHECK_ERR("rt_sigaction signal 65",
              syscall(SYS_rt_sigaction, 65, NULL, NULL, 8), EINVAL);
    CHECK_ERR("rt_sigaction bad sigsetsize",
              syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4), EINVAL);

    sigset_t set, cur;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGKILL);
    CHECK("sigprocmask block", sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    CHECK("sigprocmask read back", sigprocmask(SIG_BLOCK, NULL, &cur) == 0);
    CHECK("SIGUSR1 blocked", sigismember(&cur, SIGUSR1) == 1);
    CHECK("SIGKILL silently not blocked", sigismember(&cur, SIGKILL) == 0);
    CHECK_ERR("rt_sigprocmask bad how",
              syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8), EINVAL);
    CHECK("sigprocmask unblock", sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);
}

static void limits(void) {
    struct rlimit rl;
    CHECK("getrlimit NOFILE", getrlimit(RLIMIT_NOFILE, &rl) == 0);
    CHECK("soft <= hard", rl.rlim_cur <= rl.rlim_max);
    CHECK("hard limit allows 64", rl.rlim_max >= 64);

    struct rlimit lower = {64, rl.rlim_max};
    CHECK("setrlimit soft 64", setrlimit(RLIMIT_NOFILE, &lower) == 0);
    CHECK("getrlimit reads 64", getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
                                    rl.rlim_cur == 64);

    struct rlimit newer = {32, rl.rlim_max}, prev;
    CHECK("prlimit64 set 32, get old",
          syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &newer, &prev) == 0);
    CHECK("prlimit64 old soft was 64", prev.rlim_cur == 64);
    CHECK("prlimit64 reads 32",
          syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &prev) == 0 &&
              prev.rlim_cur == 32);
    CHECK_ERR("F_DUPFD above the limit", fcntl(1, F_DUPFD, 40), EINVAL);

    struct rlimit inverted = {100, 50};
    CHECK_ERR("setrlimit soft > hard", setrlimit(RLIMIT_NOFILE, &inverted),
              EINVAL);
}

static void affinity(void) {
    cpu_set_t cs;
    CPU_ZERO(&cs);
    CHECK("sched_getaffinity", sched_getaffinity(0, sizeof cs, &cs) == 0);
    CHECK("at least one CPU", CPU_COUNT(&cs) > 0);
    CHECK_ERR("sched_getaffinity 1-byte mask",
              syscall(SYS_sched_getaffinity, 0, 1, &cs), EINVAL);
}

static void names(void) {
    char name[16] = {0};
    CHECK("PR_SET_NAME", prctl(PR_SET_NAME, "compat-test") == 0);
    CHECK("PR_GET_NAME", prctl(PR_GET_NAME, name) == 0);
    printf("name: %s\n", name);
    CHECK("PR_SET_NAME long", prctl(PR_SET_NAME, "0123456789abcdefXYZ") == 0);
    memset(name, 0, sizeof name);
    CHECK("PR_GET_NAME long", prctl(PR_GET_NAME, name) == 0);
    printf("truncated name: %s\n", name);
}

static void stdout_pipe(void) {
    struct stat st;
    CHECK("fstat(1)", fstat(1, &st) == 0);
    if (!S_ISFIFO(st.st_mode))
        FAIL("stdout must be a pipe: run via the harness or `| cat`");
    printf("stdout is a FIFO: ok\n");
    struct termios t;
    CHECK_ERR("ioctl(1, TCGETS) on a pipe", ioctl(1, TCGETS, &t), ENOTTY);
}

static void bad_pointers(void) {
    CHECK_ERR("uname bad pointer", syscall(SYS_uname, BAD_PTR), EFAULT);
    CHECK_ERR("write bad pointer", syscall(SYS_write, 1, BAD_PTR, 10), EFAULT);
}

int main(void) {
    identity();
    clocks();
    randomness();
    signals();
    limits();
    affinity();
    names();
    stdout_pipe();
    bad_pointers();
    return 0;
}
