/* Process groups and sessions across fork: getpgrp/getpgid, setpgid making a
 * child a group leader (from the child and from the parent), setsid in a
 * child, the EPERM/ESRCH/EINVAL cases, and kill(-pgid) reaching every
 * member of a group. Children report through exit-code bits; only the
 * parent prints. The checks run in a child that starts its own session, so
 * that its group and session are visible even when the caller's session
 * leader lives outside our PID namespace (getsid and getpgid return 0 then). */
#define _GNU_SOURCE
#include "procs.h"
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* Prints one line per bit of a child's report, then fails on any. */
static void report(const char *what, int code, const char *const *checks, int n) {
    for (int i = 0; i < n; i++)
        printf("%s: %s: %s\n", what, checks[i], code < 256 && !(code & (1 << i)) ? "ok" : "WRONG");
    if (code != 0)
        FAIL("%s: exit code %d", what, code);
}

static void block_on(int fd) {
    char c;
    while (read(fd, &c, 1) > 0)
        ;
}

static int run_checks(void) {
    signal(SIGCHLD, SIG_DFL);
    pid_t me = getpid();
    pid_t pgrp = getpgrp();
    CHECK("getpgrp equals getpgid(0)", pgrp == getpgid(0));
    CHECK("getpgid(getpid()) too", getpgid(me) == pgrp);
    CHECK("getsid(0) equals getsid(getpid())", getsid(0) == getsid(me) && getsid(0) == me);

    /* setpgid(0, 0) in a child. */
    pid_t p = fork_flushed();
    if (p == 0) {
        int bad = 0;
        bad |= (getpgrp() != pgrp) << 0;
        bad |= (setpgid(0, 0) != 0) << 1;
        bad |= (getpgid(0) != getpid()) << 2;
        bad |= (getpgrp() != getpid()) << 3;
        bad |= (getsid(0) != getsid(getppid())) << 4;
        bad |= (setsid() != -1 || errno != EPERM) << 5;
        _exit(bad);
    }
    static const char *const leader[] = {
        "inherits the parent's group", "setpgid(0, 0)", "getpgid(0) == getpid()", "getpgrp() == getpid()",
        "session unchanged", "setsid as a group leader: EPERM"};
    report("child leader", exit_code_of(p), leader, 6);
    CHECK("parent's group unchanged", getpgrp() == pgrp);

    /* The parent moves a blocked child into a new group. */
    int hold[2];
    CHECK("pipe", pipe(hold) == 0);
    p = fork_flushed();
    if (p == 0) {
        close(hold[1]);
        block_on(hold[0]);
        _exit((getpgrp() != getpid()) << 0);
    }
    close(hold[0]);
    CHECK("child starts in our group", getpgid(p) == pgrp);
    CHECK("setpgid(child, child) from the parent", setpgid(p, p) == 0);
    CHECK("getpgid(child) == child", getpgid(p) == p);
    CHECK("setpgid(child, our group) moves it back", setpgid(p, pgrp) == 0 && getpgid(p) == pgrp);
    CHECK("setpgid(child, 0) means its own pid", setpgid(p, 0) == 0 && getpgid(p) == p);
    CHECK_ERR("setpgid(child, -1)", setpgid(p, -1), EINVAL);
    close(hold[1]);
    static const char *const moved[] = {"child sees itself as leader"};
    report("moved child", exit_code_of(p), moved, 1);

    /* setsid in a child. */
    CHECK("pipe", pipe(hold) == 0);
    p = fork_flushed();
    if (p == 0) {
        close(hold[1]);
        int bad = 0;
        pid_t self = getpid();
        bad |= (setsid() != self) << 0;
        bad |= (getsid(0) != self) << 1;
        bad |= (getpgrp() != self) << 2;
        bad |= (getpgid(0) != self) << 3;
        bad |= (setsid() != -1 || errno != EPERM) << 4;
        bad |= (setpgid(0, 0) != -1 || errno != EPERM) << 5;
        block_on(hold[0]);
        _exit(bad);
    }
    close(hold[0]);
    int tries = 0;
    while (getsid(p) != p && tries++ < 10000)
        usleep(1000);
    CHECK("parent sees the child's new session", getsid(p) == p);
    CHECK("and its new group", getpgid(p) == p);
    CHECK_ERR("setpgid of a child in another session", setpgid(p, p), EPERM);
    close(hold[1]);
    static const char *const session[] = {
        "setsid returns the pid", "getsid(0) == pid", "getpgrp() == pid", "getpgid(0) == pid",
        "setsid again: EPERM", "setpgid(0, 0) as session leader: EPERM"};
    report("child setsid", exit_code_of(p), session, 6);

    /* Nonexistent processes and non-children. */
    p = fork_flushed();
    if (p == 0)
        _exit(0);
    exit_code_of(p); /* reaped: its pid names no process now */
    CHECK_ERR("getpgid of a reaped pid", getpgid(p), ESRCH);
    CHECK_ERR("getsid of a reaped pid", getsid(p), ESRCH);
    CHECK_ERR("setpgid of a reaped pid", setpgid(p, p), ESRCH);
    CHECK_ERR("getpgid(INT_MAX)", getpgid(INT_MAX), ESRCH);
    CHECK_ERR("setpgid(0, -1)", setpgid(0, -1), EINVAL);
    CHECK_ERR("setpgid(0, a group that does not exist)", setpgid(0, p), EPERM);

    int pids[2], rel[2];
    CHECK("pipe", pipe(pids) == 0 && pipe(rel) == 0);
    p = fork_flushed();
    if (p == 0) {
        close(pids[0]);
        close(rel[1]);
        pid_t g = fork();
        if (g == 0) {
            block_on(rel[0]);
            _exit(0);
        }
        close(rel[0]);
        if (g < 0 || write(pids[1], &g, sizeof g) != sizeof g)
            _exit(1);
        _exit(exit_code_of(g));
    }
    close(pids[1]);
    close(rel[0]);
    pid_t grandchild = 0;
    CHECK("grandchild pid received", read(pids[0], &grandchild, sizeof grandchild) == sizeof grandchild);
    close(pids[0]);
    CHECK("grandchild is in our group", getpgid(grandchild) == pgrp);
    CHECK_ERR("setpgid of a grandchild", setpgid(grandchild, grandchild), ESRCH);
    CHECK_ERR("waitpid of a grandchild", waitpid(grandchild, NULL, WNOHANG), ECHILD);
    close(rel[1]);
    CHECK("child and grandchild exit 0", exit_code_of(p) == 0);

    /* kill(-pgid) reaches the whole group, and only it. */
    pid_t a = fork_flushed();
    if (a == 0) {
        setpgid(0, 0);
        for (;;)
            pause();
    }
    CHECK("setpgid(a, a)", setpgid(a, a) == 0);
    pid_t b = fork_flushed();
    if (b == 0) {
        setpgid(0, a);
        for (;;)
            pause();
    }
    CHECK("setpgid(b, a)", setpgid(b, a) == 0);
    CHECK("both in group a", getpgid(a) == a && getpgid(b) == a);
    CHECK("kill(-a, 0)", kill(-a, 0) == 0);
    CHECK("killpg(a, SIGTERM)", kill(-a, SIGTERM) == 0);
    int status;
    CHECK("a died of SIGTERM", waitpid(a, &status, 0) == a && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    CHECK("b died of SIGTERM", waitpid(b, &status, 0) == b && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    CHECK_ERR("kill(-a, 0) once the group is empty", kill(-a, 0), ESRCH);
    CHECK("parent untouched", getpid() == me && getpgrp() == pgrp);
    return 0;
}

int main(void) {
    pid_t p = fork_flushed();
    if (p == 0) {
        if (setsid() != getpid())
            FAIL("setsid in a fresh child: %s", errname(errno));
        int code = run_checks();
        fflush(stdout);
        _exit(code);
    }
    return exit_code_of(p);
}
