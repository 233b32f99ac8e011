/* fork and the wait family: exit codes and fatal signals seen through
 * wait4/waitpid/waitid, WNOHANG on a running child, ECHILD, waiting for one
 * pid versus any, waitid's siginfo, WNOWAIT, zombies, getppid in the child.
 * Children report through exit codes and pipes; only the parent prints. */
#define _GNU_SOURCE
#include "procs.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* A child that exits with `code` at once. */
static pid_t child_exiting(int code) {
    pid_t p = fork_flushed();
    if (p == 0)
        _exit(code);
    return p;
}

/* A child that blocks until the write end of a pipe closes, then exits
 * with `code`; *release is that write end, kept by the parent only. */
static pid_t child_blocked(int code, int *release) {
    int p[2];
    if (pipe(p) != 0)
        FAIL("pipe: %s", errname(errno));
    pid_t pid = fork_flushed();
    if (pid == 0) {
        char c;
        close(p[1]);
        while (read(p[0], &c, 1) > 0)
            ;
        _exit(code);
    }
    close(p[0]);
    *release = p[1];
    return pid;
}

static const char *yes(int b) { return b ? "yes" : "no"; }

int main(void) {
    int status;
    siginfo_t si;
    pid_t me = getpid();
    /* An inherited SIG_IGN would make children reap themselves. */
    signal(SIGCHLD, SIG_DFL);

    CHECK_ERR("wait with no children", wait(&status), ECHILD);
    CHECK_ERR("waitpid -1 WNOHANG with no children", waitpid(-1, &status, WNOHANG), ECHILD);
    CHECK_ERR("waitid P_ALL with no children", waitid(P_ALL, 0, &si, WEXITED | WNOHANG), ECHILD);
    CHECK_ERR("waitpid of ourselves", waitpid(me, &status, 0), ECHILD);

    /* Exit codes. */
    static const int codes[] = {0, 7, 255};
    for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        pid_t p = child_exiting(codes[i]);
        pid_t w = waitpid(p, &status, 0);
        printf("exit(%d): waitpid returned the child: %s, WIFEXITED %d, WIFSIGNALED %d, WEXITSTATUS %d\n",
               codes[i], yes(w == p), !!WIFEXITED(status), !!WIFSIGNALED(status), WEXITSTATUS(status));
        if (w != p || !WIFEXITED(status) || WEXITSTATUS(status) != codes[i])
            FAIL("exit code %d", codes[i]);
    }
    /* Only the low 8 bits of the exit code survive. */
    pid_t p = child_exiting(256 + 9);
    CHECK("exit(265) is seen as 9", waitpid(p, &status, 0) == p && WIFEXITED(status) && WEXITSTATUS(status) == 9);
    p = child_exiting(0);
    CHECK("wait with a NULL status", wait(NULL) == p);

    /* Fatal signals. */
    p = fork_flushed();
    if (p == 0) {
        raise(SIGKILL);
        _exit(100);
    }
    CHECK("raise(SIGKILL) in the child", waitpid(p, &status, 0) == p && WIFSIGNALED(status) && !WIFEXITED(status) &&
                                             WTERMSIG(status) == SIGKILL && !WCOREDUMP(status));
    p = fork_flushed();
    if (p == 0) {
        for (;;)
            pause();
    }
    CHECK("kill(child, SIGKILL)", kill(p, SIGKILL) == 0);
    CHECK("killed child: WIFSIGNALED, WTERMSIG == SIGKILL",
          waitpid(p, &status, 0) == p && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    p = fork_flushed();
    if (p == 0) {
        for (;;)
            pause();
    }
    CHECK("kill(child, SIGTERM)", kill(p, SIGTERM) == 0);
    CHECK("waitid sees CLD_KILLED with si_status SIGTERM",
          waitid(P_PID, p, &si, WEXITED) == 0 && si.si_pid == p && si.si_signo == SIGCHLD &&
              si.si_code == CLD_KILLED && si.si_status == SIGTERM);

    /* WNOHANG while the child runs. */
    int release;
    p = child_blocked(3, &release);
    CHECK("WNOHANG on a running child returns 0", waitpid(p, &status, WNOHANG) == 0);
    CHECK("wait4 WNOHANG on a running child returns 0", wait4(-1, &status, WNOHANG, NULL) == 0);
    memset(&si, 0xff, sizeof si);
    si.si_pid = 12345;
    CHECK("waitid WNOHANG on a running child: 0 and si_pid 0",
          waitid(P_PID, p, &si, WEXITED | WNOHANG) == 0 && si.si_pid == 0);
    CHECK("close the pipe the child blocks on", close(release) == 0);
    CHECK("then waitpid collects exit 3", waitpid(p, &status, 0) == p && WIFEXITED(status) && WEXITSTATUS(status) == 3);

    /* A specific pid versus any: the second child exits first, but waitpid
     * of the first pid waits for the first one. */
    int rel_a;
    pid_t a = child_blocked(1, &rel_a);
    pid_t b = child_exiting(2);
    CHECK("fork returns distinct pids", a != b && a != me && b != me && a > 0 && b > 0);
    CHECK("waitpid(b) gets b", waitpid(b, &status, 0) == b && WIFEXITED(status) && WEXITSTATUS(status) == 2);
    CHECK("waitpid(b) again: ECHILD", waitpid(b, &status, WNOHANG) == -1 && errno == ECHILD);
    CHECK("waitpid(-1, WNOHANG) with a running child returns 0", waitpid(-1, &status, WNOHANG) == 0);
    close(rel_a);
    CHECK("waitpid(-1) gets a", waitpid(-1, &status, 0) == a && WIFEXITED(status) && WEXITSTATUS(status) == 1);
    CHECK_ERR("waitpid(-1) with no children left", waitpid(-1, &status, 0), ECHILD);

    /* waitid's siginfo for an exit. */
    p = child_exiting(42);
    memset(&si, 0, sizeof si);
    CHECK("waitid P_PID WEXITED", waitid(P_PID, p, &si, WEXITED) == 0);
    printf("si_signo is SIGCHLD: %s\n", yes(si.si_signo == SIGCHLD));
    printf("si_code is CLD_EXITED: %s\n", yes(si.si_code == CLD_EXITED));
    printf("si_status: %d\n", si.si_status);
    printf("si_pid matches: %s\n", yes(si.si_pid == p));
    printf("si_uid matches: %s\n", yes(si.si_uid == getuid()));
    CHECK_ERR("the child is gone after waitid", waitpid(p, &status, WNOHANG), ECHILD);

    /* WNOWAIT leaves the zombie waitable. */
    p = child_exiting(5);
    memset(&si, 0, sizeof si);
    CHECK("waitid WNOWAIT", waitid(P_PID, p, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == p &&
                                si.si_code == CLD_EXITED && si.si_status == 5);
    memset(&si, 0, sizeof si);
    CHECK("waitid P_ALL WNOWAIT sees it again", waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == p &&
                                                    si.si_status == 5);
    CHECK("a zombie still accepts kill(pid, 0)", kill(p, 0) == 0);
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    CHECK("wait4 with rusage reaps it", wait4(p, &status, 0, &ru) == p && WIFEXITED(status) && WEXITSTATUS(status) == 5);
    CHECK("rusage times are sane", ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 &&
                                       ru.ru_stime.tv_sec >= 0 && ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000);
    CHECK_ERR("kill(pid, 0) after reaping", kill(p, 0), ESRCH);

    /* Bad options. */
    CHECK_ERR("waitpid with WNOWAIT", waitpid(-1, &status, WNOWAIT), EINVAL);
    CHECK_ERR("waitid without WEXITED/WSTOPPED/WCONTINUED", waitid(P_ALL, 0, &si, WNOHANG), EINVAL);
    CHECK_ERR("waitid bad idtype", waitid((idtype_t)42, 0, &si, WEXITED), EINVAL);

    /* The child's view of its parent and itself. */
    int pp[2];
    CHECK("pipe", pipe(pp) == 0);
    p = fork_flushed();
    if (p == 0) {
        pid_t self = getpid();
        int bad = 0;
        if (getppid() != me)
            bad |= 1;
        if (self == me)
            bad |= 2;
        if (write(pp[1], &self, sizeof self) != sizeof self)
            bad |= 4;
        _exit(bad);
    }
    close(pp[1]);
    pid_t reported = 0;
    CHECK("child reports its pid", read(pp[0], &reported, sizeof reported) == sizeof reported);
    close(pp[0]);
    CHECK("child checks succeeded", waitpid(p, &status, 0) == p && WIFEXITED(status));
    printf("ppid matches: %s\n", yes(!(WEXITSTATUS(status) & 1)));
    printf("child pid differs from parent: %s\n", yes(!(WEXITSTATUS(status) & 2)));
    printf("getpid in the child equals fork's return: %s\n", yes(reported == p));
    if (WEXITSTATUS(status) != 0 || reported != p)
        FAIL("child view: bits %d", WEXITSTATUS(status));
    CHECK("parent pid unchanged", getpid() == me);
    return 0;
}
