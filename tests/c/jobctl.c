/* Job control: SIGSTOP/SIGTSTP stop a process, SIGCONT continues it; the
 * parent sees both through waitpid (WUNTRACED, WCONTINUED), waitid (WSTOPPED,
 * WCONTINUED, WNOWAIT) and SIGCHLD (CLD_STOPPED, CLD_CONTINUED; none with
 * SA_NOCLDSTOP); a stopped process still dies of SIGKILL; a SIGCONT handler
 * runs once the process continues. */
#define _GNU_SOURCE
#include "common.h"
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t chld_code[8], nchld;
static void on_chld(int s, siginfo_t *si, void *uc) {
    (void)s, (void)uc;
    if (nchld < 8)
        chld_code[nchld++] = si->si_code;
}

static int report[2];
static void on_cont(int s) {
    (void)s;
    write(report[1], "c", 1);
}

/* A child that pauses forever, once its SIGCONT handler (if any) is set. */
static pid_t spawn_sleeper(int handle_cont) {
    int ready[2];
    pipe(ready);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        if (handle_cont)
            signal(SIGCONT, on_cont);
        write(ready[1], "r", 1);
        for (;;)
            pause();
    }
    char b;
    read(ready[0], &b, 1);
    close(ready[0]);
    close(ready[1]);
    return c;
}

static void wait_for_chld(int n) {
    sigset_t none;
    sigemptyset(&none);
    for (int i = 0; i < 500 && nchld < n; i++)
        usleep(2000);
}

int main(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    pipe(report);

    pid_t c = spawn_sleeper(1);
    int st;
    CHECK("SIGSTOP", kill(c, SIGSTOP) == 0);
    CHECK("WUNTRACED reports the stop", waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    CHECK("a stop is reported once", waitpid(c, &st, WUNTRACED | WNOHANG) == 0);
    wait_for_chld(1);
    CHECK("SIGCHLD with CLD_STOPPED", nchld >= 1 && chld_code[0] == CLD_STOPPED);
    CHECK("SIGCONT", kill(c, SIGCONT) == 0);
    CHECK("WCONTINUED reports it", waitpid(c, &st, WCONTINUED) == c && WIFCONTINUED(st));
    wait_for_chld(2);
    CHECK("SIGCHLD with CLD_CONTINUED", nchld >= 2 && chld_code[1] == CLD_CONTINUED);
    char b;
    CHECK("the SIGCONT handler ran after continuing", read(report[0], &b, 1) == 1 && b == 'c');

    CHECK("stopped again", kill(c, SIGSTOP) == 0);
    siginfo_t si = {0};
    CHECK("waitid WSTOPPED|WNOWAIT", waitid(P_PID, c, &si, WSTOPPED | WNOWAIT) == 0 && si.si_code == CLD_STOPPED && si.si_status == SIGSTOP && si.si_pid == c);
    CHECK("still there after WNOWAIT", waitid(P_PID, c, &si, WSTOPPED | WNOHANG) == 0 && si.si_code == CLD_STOPPED);
    CHECK("SIGKILL kills a stopped process", kill(c, SIGKILL) == 0);
    CHECK("killed", waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    /* A process stopping itself with SIGTSTP. */
    fflush(stdout);
    c = fork();
    if (c == 0) {
        raise(SIGTSTP);
        _exit(7);
    }
    CHECK("SIGTSTP stops the raiser", waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP);
    kill(c, SIGCONT);
    CHECK("it goes on after SIGCONT", waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 7);

    /* SA_NOCLDSTOP: no SIGCHLD for stops. */
    sa.sa_flags |= SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    nchld = 0;
    c = spawn_sleeper(0);
    kill(c, SIGSTOP);
    CHECK("stop seen by waitpid", waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st));
    usleep(20000);
    CHECK("but no SIGCHLD with SA_NOCLDSTOP", nchld == 0);
    kill(c, SIGTERM);
    kill(c, SIGCONT);
    CHECK("SIGTERM acts once continued", waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    CHECK("SIGCONT to a running process is harmless", kill(getpid(), SIGCONT) == 0);

    /* A sleep that a stop and a continue interrupt goes on (restart_syscall)
     * and returns 0, not EINTR. */
    int ready[2];
    pipe(ready);
    fflush(stdout);
    c = fork();
    if (c == 0) {
        write(ready[1], "r", 1);
        struct timespec ts = {0, 300 * 1000 * 1000};
        _exit(nanosleep(&ts, NULL) == 0 ? 0 : 1);
    }
    char r;
    read(ready[0], &r, 1);
    usleep(50000);
    kill(c, SIGSTOP);
    waitpid(c, &st, WUNTRACED);
    kill(c, SIGCONT);
    CHECK("nanosleep goes on after stop and continue", waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return 0;
}
