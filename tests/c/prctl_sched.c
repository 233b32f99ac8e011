/* prctl (parent-death signal, subreaper, dumpable, no_new_privs), personality,
 * nice values, scheduling policies and affinity, getcpu, membarrier, sysinfo. */
#define _GNU_SOURCE
#include "common.h"
#include <linux/membarrier.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

static int report[2];

static void on_usr1(int sig) {
    (void)sig;
    char c = 'd';
    write(report[1], &c, 1);
}

/* A child that forks a grandchild asking for SIGUSR1 when its parent dies,
 * then exits: the grandchild is signalled and adopted by us (a subreaper). */
static void parent_death(void) {
    int ready[2];
    CHECK("pipes", pipe(report) == 0 && pipe(ready) == 0);
    fflush(stdout);
    pid_t mid = fork();
    if (mid == 0) {
        pid_t g = fork();
        if (g == 0) {
            /* Blocked until sigsuspend, so it cannot come before we wait. */
            sigset_t usr1, none;
            sigemptyset(&usr1);
            sigemptyset(&none);
            sigaddset(&usr1, SIGUSR1);
            sigprocmask(SIG_BLOCK, &usr1, NULL);
            signal(SIGUSR1, on_usr1);
            prctl(PR_SET_PDEATHSIG, SIGUSR1);
            int sig = 0;
            prctl(PR_GET_PDEATHSIG, &sig);
            char c = sig == SIGUSR1 ? 'r' : 'x';
            write(ready[1], &c, 1);
            sigsuspend(&none);
            /* Adopted by the subreaper, not init. */
            c = getppid() == (pid_t)getpgrp() ? 'a' : 'n';
            write(report[1], &c, 1);
            _exit(0);
        }
        char c;
        read(ready[0], &c, 1);
        _exit(c == 'r' ? 0 : 1);
    }
    int status;
    CHECK("middle child exits", waitpid(mid, &status, 0) == mid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char got[2] = {0};
    CHECK("parent-death signal delivered", read(report[0], &got[0], 1) == 1 && got[0] == 'd');
    CHECK("orphan adopted by the subreaper", read(report[0], &got[1], 1) == 1 && got[1] == 'a');
    int st;
    CHECK("the subreaper reaps it", wait(&st) > 0 && WIFEXITED(st));
}

static void unprivileged(void) {
    CHECK("drop to uid 1000", setresgid(1000, 1000, 1000) == 0 && setresuid(1000, 1000, 1000) == 0);
    int nice0 = getpriority(PRIO_PROCESS, 0);
    CHECK("raise nice", setpriority(PRIO_PROCESS, 0, nice0 + 2) == 0);
    CHECK_ERR("lower nice without CAP_SYS_NICE", setpriority(PRIO_PROCESS, 0, nice0), EACCES);
    struct sched_param sp = {10};
    CHECK_ERR("SCHED_FIFO without CAP_SYS_NICE", sched_setscheduler(0, SCHED_FIFO, &sp), EPERM);
    CHECK_ERR("setpriority on root's process", setpriority(PRIO_PROCESS, getppid(), 19), EPERM);
}

/* In a child of its own group (the sandbox runs us as init, whose orphans
 * would come back to it anyway). */
static void subreaper(void) {
    int on = 1;
    CHECK("PR_GET_CHILD_SUBREAPER", prctl(PR_GET_CHILD_SUBREAPER, &on) == 0 && on == 0);
    CHECK("PR_SET_CHILD_SUBREAPER", prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    CHECK("PR_GET_CHILD_SUBREAPER", prctl(PR_GET_CHILD_SUBREAPER, &on) == 0 && on == 1);
    CHECK("own process group", setpgid(0, 0) == 0);
    parent_death();
    CHECK("setpriority PRIO_PGRP", setpriority(PRIO_PGRP, 0, 4) == 0 && getpriority(PRIO_PGRP, 0) == 4);
}

int main(void) {
    fflush(stdout);
    pid_t sub = fork();
    if (sub == 0) {
        subreaper();
        fflush(stdout);
        _exit(0);
    }
    int sst;
    CHECK("subreaper child", waitpid(sub, &sst, 0) == sub && WIFEXITED(sst) && WEXITSTATUS(sst) == 0);

    CHECK("PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE) == 1);
    CHECK("PR_SET_DUMPABLE 0", prctl(PR_SET_DUMPABLE, 0) == 0 && prctl(PR_GET_DUMPABLE) == 0);
    CHECK_ERR("PR_SET_DUMPABLE 2", prctl(PR_SET_DUMPABLE, 2), EINVAL);
    CHECK("PR_SET_DUMPABLE 1", prctl(PR_SET_DUMPABLE, 1) == 0);
    CHECK("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0);
    CHECK_ERR("PR_SET_NO_NEW_PRIVS 0", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EINVAL);
    CHECK_ERR("PR_GET_NO_NEW_PRIVS junk", prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), EINVAL);
    CHECK_ERR("PR_SET_PDEATHSIG 65", prctl(PR_SET_PDEATHSIG, 65), EINVAL);
    CHECK_ERR("unknown option", prctl(9999, 0, 0, 0, 0), EINVAL);

    CHECK("personality query", personality(0xffffffff) == PER_LINUX);
    CHECK("personality ADDR_NO_RANDOMIZE", personality(PER_LINUX | ADDR_NO_RANDOMIZE) == PER_LINUX &&
          personality(0xffffffff) == (PER_LINUX | ADDR_NO_RANDOMIZE));
    CHECK("personality back", personality(PER_LINUX) == (PER_LINUX | ADDR_NO_RANDOMIZE));

    int nice0 = getpriority(PRIO_PROCESS, 0);
    CHECK("setpriority +3", setpriority(PRIO_PROCESS, 0, nice0 + 3) == 0 && getpriority(PRIO_PROCESS, 0) == nice0 + 3);
    CHECK("lower it again as root", setpriority(PRIO_PROCESS, 0, nice0) == 0);
    CHECK_ERR("bad which", getpriority(7, 0), EINVAL);
    CHECK_ERR("unknown pid", setpriority(PRIO_PROCESS, 99999999, 0), ESRCH);

    CHECK("SCHED_OTHER", sched_getscheduler(0) == SCHED_OTHER);
    CHECK("FIFO range", sched_get_priority_min(SCHED_FIFO) == 1 && sched_get_priority_max(SCHED_FIFO) == 99);
    CHECK("OTHER range", sched_get_priority_min(SCHED_OTHER) == 0 && sched_get_priority_max(SCHED_BATCH) == 0);
    CHECK_ERR("bad policy", sched_get_priority_max(42), EINVAL);
    struct sched_param sp = {0};
    CHECK("SCHED_BATCH", sched_setscheduler(0, SCHED_BATCH, &sp) == 0 && sched_getscheduler(0) == SCHED_BATCH);
    sp.sched_priority = 1;
    CHECK_ERR("SCHED_BATCH priority 1", sched_setscheduler(0, SCHED_BATCH, &sp), EINVAL);
    sp.sched_priority = 10;
    CHECK("SCHED_FIFO 10 as root", sched_setscheduler(0, SCHED_FIFO, &sp) == 0);
    struct sched_param got = {0};
    CHECK("sched_getparam", sched_getparam(0, &got) == 0 && got.sched_priority == 10);
    sp.sched_priority = 0;
    CHECK("back to SCHED_OTHER", sched_setscheduler(0, SCHED_OTHER, &sp) == 0 && sched_getscheduler(0) == SCHED_OTHER);
    CHECK_ERR("sched_getscheduler(-1)", sched_getscheduler(-1), EINVAL);

    cpu_set_t all, one;
    CHECK("sched_getaffinity", sched_getaffinity(0, sizeof all, &all) == 0);
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    CHECK("affinity to CPU 0", sched_setaffinity(0, sizeof one, &one) == 0);
    /* Linux takes the length as an unsigned int and checks len * 8 in that
     * width: 2^29 bytes wraps to 0 bits (too few), (size_t)-8 becomes
     * 0xfffffff8, big enough. Raw syscalls: glibc clamps the length. */
    CHECK_ERR("affinity length wrapping to 0 bits",
              syscall(SYS_sched_getaffinity, 0, 0x20000000UL, &all), EINVAL);
    CHECK("affinity length past 32 bits", syscall(SYS_sched_getaffinity, 0, (size_t)-8, &all) > 0);
    cpu_set_t now;
    CHECK("read back", sched_getaffinity(0, sizeof now, &now) == 0 && CPU_COUNT(&now) == 1 && CPU_ISSET(0, &now));
    unsigned cpu = 99, node = 99;
    CHECK("getcpu on CPU 0", syscall(SYS_getcpu, &cpu, &node, NULL) == 0 && cpu == 0 && node == 0);
    CPU_ZERO(&one);
    CPU_SET(1000, &one);
    CHECK_ERR("affinity to no real CPU", sched_setaffinity(0, sizeof one, &one), EINVAL);
    CHECK("restore affinity", sched_setaffinity(0, sizeof all, &all) == 0);

    int q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    CHECK("membarrier query", q >= 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
          (q & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED));
    CHECK_ERR("private expedited unregistered", syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), EPERM);
    CHECK("register", syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0);
    CHECK("private expedited", syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0);
    CHECK_ERR("membarrier flags", syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 1, 0), EINVAL);

    struct sysinfo si;
    CHECK("sysinfo", sysinfo(&si) == 0 && si.totalram > 0 && si.procs >= 1 && si.mem_unit >= 1);

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        unprivileged();
        fflush(stdout);
        _exit(0);
    }
    int status;
    CHECK("unprivileged child", waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return 0;
}
