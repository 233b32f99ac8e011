/* Interval timers: alarm, setitimer (REAL, VIRTUAL, PROF; one-shot and
 * periodic), POSIX timers (SIGEV_SIGNAL with its siginfo, SIGEV_NONE,
 * TIMER_ABSTIME, delete), and the CPU-time reports times and getrusage. */
#define _GNU_SOURCE
#include "common.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alrm, vtalrm, prof, usr1, usr1_code, usr1_value;

static void on_alrm(int s) { (void)s; alrm++; }
static void on_vtalrm(int s) { (void)s; vtalrm++; }
static void on_prof(int s) { (void)s; prof++; }
static void on_usr1(int s, siginfo_t *si, void *uc) {
    (void)s, (void)uc;
    usr1++;
    usr1_code = si->si_code;
    usr1_value = si->si_value.sival_int;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Waits (with the signals unblocked) until *count reaches want, for 5 s at most. */
static int wait_for(volatile sig_atomic_t *count, int want) {
    sigset_t none;
    sigemptyset(&none);
    double end = now() + 5;
    while (*count < want && now() < end)
        sigsuspend(&none);
    return *count >= want;
}

/* Spins on the CPU until *count is non-zero, for 5 s of wall time at most. */
static int spin_until(volatile sig_atomic_t *count) {
    double end = now() + 5;
    volatile unsigned long x = 0;
    while (!*count && now() < end)
        x++;
    return *count > 0;
}

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Uses `secs` of CPU time (whatever the machine's load), within 10 s of wall time. */
static void burn(double secs) {
    double end = cpu_now() + secs, give_up = now() + 10;
    volatile unsigned long x = 0;
    while (cpu_now() < end && now() < give_up)
        x++;
}

int main(void) {
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    signal(SIGALRM, on_alrm);
    signal(SIGVTALRM, on_vtalrm);
    signal(SIGPROF, on_prof);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);

    CHECK("alarm with none set", alarm(10) == 0);
    CHECK("alarm returns the seconds left", alarm(0) == 10);

    struct itimerval it = {.it_value = {0, 20000}};
    CHECK("setitimer REAL one-shot", setitimer(ITIMER_REAL, &it, NULL) == 0);
    struct itimerval got;
    getitimer(ITIMER_REAL, &got);
    CHECK("getitimer while armed", got.it_value.tv_sec == 0 && got.it_value.tv_usec > 0 && got.it_value.tv_usec <= 20000);
    CHECK("SIGALRM arrives", wait_for(&alrm, 1));
    getitimer(ITIMER_REAL, &got);
    CHECK("disarmed after firing", got.it_value.tv_sec == 0 && got.it_value.tv_usec == 0);

    alrm = 0;
    struct itimerval periodic = {.it_interval = {0, 5000}, .it_value = {0, 5000}};
    setitimer(ITIMER_REAL, &periodic, NULL);
    CHECK("periodic SIGALRM, again and again", wait_for(&alrm, 3));
    struct itimerval off = {0}, old;
    setitimer(ITIMER_REAL, &off, &old);
    CHECK("old value has the interval", old.it_interval.tv_usec == 5000);

    struct itimerval cpu = {.it_value = {0, 30000}};
    setitimer(ITIMER_VIRTUAL, &cpu, NULL);
    CHECK("SIGVTALRM after CPU time", spin_until(&vtalrm));
    setitimer(ITIMER_PROF, &cpu, NULL);
    CHECK("SIGPROF after CPU time", spin_until(&prof));

    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 42;
    timer_t tid;
    CHECK("timer_create", timer_create(CLOCK_MONOTONIC, &ev, &tid) == 0);
    struct itimerspec ts = {.it_value = {0, 20 * 1000 * 1000}};
    CHECK("timer_settime", timer_settime(tid, 0, &ts, NULL) == 0);
    struct itimerspec cur;
    timer_gettime(tid, &cur);
    CHECK("timer_gettime while armed", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 20 * 1000 * 1000);
    CHECK("the timer's signal arrives", wait_for(&usr1, 1));
    CHECK("si_code SI_TIMER, si_value", usr1_code == SI_TIMER && usr1_value == 42);
    CHECK("timer_getoverrun", timer_getoverrun(tid) >= 0);

    struct timespec mono;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    mono.tv_nsec += 20 * 1000 * 1000;
    if (mono.tv_nsec >= 1000000000) {
        mono.tv_sec++;
        mono.tv_nsec -= 1000000000;
    }
    struct itimerspec abs_ts = {.it_value = mono};
    CHECK("TIMER_ABSTIME", timer_settime(tid, TIMER_ABSTIME, &abs_ts, NULL) == 0);
    CHECK("fires at the absolute time", wait_for(&usr1, 2));
    CHECK("timer_delete", timer_delete(tid) == 0);
    CHECK_ERR("timer_settime after delete", timer_settime(tid, 0, &ts, NULL), EINVAL);

    struct sigevent none = {.sigev_notify = SIGEV_NONE};
    timer_t quiet;
    CHECK("SIGEV_NONE timer", timer_create(CLOCK_MONOTONIC, &none, &quiet) == 0);
    struct itimerspec long_ts = {.it_value = {10, 0}};
    timer_settime(quiet, 0, &long_ts, NULL);
    timer_gettime(quiet, &cur);
    CHECK("counts down without a signal", cur.it_value.tv_sec == 9 || cur.it_value.tv_sec == 10);
    timer_delete(quiet);
    CHECK_ERR("timer_create on a bad clock", timer_create(12345, NULL, &quiet), EINVAL);

    struct tms t0, t1;
    clock_t c0 = times(&t0);
    burn(0.05);
    clock_t c1 = times(&t1);
    CHECK("times advances", c1 > c0 && t1.tms_utime + t1.tms_stime >= t0.tms_utime + t0.tms_stime);
    struct rusage ru;
    CHECK("getrusage self", getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec > 0);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        burn(0.05);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    CHECK("getrusage children", getrusage(RUSAGE_CHILDREN, &ru) == 0 && ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec > 10000);
    CHECK_ERR("getrusage bad who", getrusage(7, &ru), EINVAL);
    return 0;
}
