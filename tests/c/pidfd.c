/* pidfd: pidfd_open, pidfd_send_signal, readiness at exit, waitid(P_PIDFD). */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif

static int pidfd_open(pid_t pid, unsigned flags) {
    return syscall(SYS_pidfd_open, pid, flags);
}

static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags) {
    return syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

static short ready(int fd) {
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    poll(&p, 1, 0);
    return p.revents;
}

static volatile pid_t thread_tid;
static void *thread_main(void *arg) {
    (void)arg;
    thread_tid = gettid();
    pause();
    return NULL;
}

static volatile int got;
static volatile int got_code;
static void on_usr1(int sig, siginfo_t *info, void *uc) {
    (void)sig;
    (void)uc;
    got = info->si_value.sival_int;
    got_code = info->si_code;
}

int main(void) {
    int self = pidfd_open(getpid(), 0);
    CHECK("open self", self >= 0);
    CHECK("cloexec", fcntl(self, F_GETFD) == FD_CLOEXEC);
    printf("self running: %#x\n", ready(self));
    CHECK_ERR("bad flags", pidfd_open(getpid(), 1), EINVAL);
    CHECK_ERR("pid 0", pidfd_open(0, 0), EINVAL);
    CHECK_ERR("no such process", pidfd_open(4000000, 0), ESRCH);
    char buf[8];
    CHECK_ERR("read", read(self, buf, sizeof buf), EINVAL);

    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    while (!thread_tid)
        usleep(1000);
    /* EINVAL per pidfd_open(2); recent kernels say ENOENT. */
    errno = 0;
    CHECK("a thread is refused",
          pidfd_open(thread_tid, 0) == -1 && (errno == EINVAL || errno == ENOENT));

    struct stat st;
    CHECK("fstat", fstat(self, &st) == 0);
    print_fd_link(self);

    /* Signals through the pidfd, with and without a siginfo. */
    struct sigaction sa = {.sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO};
    sigaction(SIGUSR1, &sa, NULL);
    CHECK("signal 0", pidfd_send_signal(self, 0, NULL, 0) == 0);
    CHECK("send", pidfd_send_signal(self, SIGUSR1, NULL, 0) == 0);
    printf("handled: code %d\n", got_code);
    siginfo_t info = {0};
    info.si_signo = SIGUSR1;
    info.si_code = SI_QUEUE;
    info.si_value.sival_int = 77;
    CHECK("send info", pidfd_send_signal(self, SIGUSR1, &info, 0) == 0);
    printf("handled: code %d value %d\n", got_code, got);
    CHECK_ERR("signo mismatch", pidfd_send_signal(self, SIGUSR2, &info, 0), EINVAL);
    CHECK_ERR("bad flags", pidfd_send_signal(self, SIGUSR1, NULL, 8), EINVAL);
    CHECK_ERR("bad signal", pidfd_send_signal(self, 99, NULL, 0), EINVAL);
    CHECK_ERR("not a pidfd", pidfd_send_signal(1, SIGUSR1, NULL, 0), EBADF);
    CHECK_ERR("bad fd", pidfd_send_signal(999, SIGUSR1, NULL, 0), EBADF);

    /* A child: not ready while it runs, ready once it exits, then waitid. */
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    int fd = pidfd_open(child, PIDFD_NONBLOCK);
    CHECK("open child", fd >= 0);
    CHECK("nonblock", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    printf("child running: %#x\n", ready(fd));
    siginfo_t si;
    CHECK_ERR("waitid nonblocking", waitid(P_PIDFD, fd, &si, WEXITED), EAGAIN);
    memset(&si, 0, sizeof si);
    CHECK("waitid WNOHANG", waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG) == 0 && si.si_pid == 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 9};
    CHECK("epoll add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
    CHECK("epoll empty", epoll_wait(ep, &ev, 1, 0) == 0);
    CHECK("kill child", pidfd_send_signal(fd, SIGTERM, NULL, 0) == 0);
    int n = epoll_wait(ep, &ev, 1, 5000);
    printf("epoll: %d events %#x data %u\n", n, ev.events, ev.data.u32);
    printf("zombie: %#x\n", ready(fd));
    CHECK("signal a zombie", pidfd_send_signal(fd, SIGTERM, NULL, 0) == 0);
    memset(&si, 0, sizeof si);
    CHECK("waitid", waitid(P_PIDFD, fd, &si, WEXITED) == 0);
    printf("waited: pid ok %d code %d status %d\n", si.si_pid == child, si.si_code, si.si_status);
    printf("reaped: %#x\n", ready(fd));
    CHECK_ERR("signal after reaping", pidfd_send_signal(fd, SIGTERM, NULL, 0), ESRCH);
    CHECK_ERR("wait again", waitid(P_PIDFD, fd, &si, WEXITED), ECHILD);

    /* A blocking waitid on a blocking pidfd. */
    fflush(stdout);
    child = fork();
    if (child == 0) {
        usleep(50 * 1000);
        _exit(5);
    }
    int b = pidfd_open(child, 0);
    struct pollfd p = {b, POLLIN, 0};
    n = poll(&p, 1, 5000);
    printf("poll: %d revents %#x\n", n, p.revents);
    memset(&si, 0, sizeof si);
    CHECK("blocking waitid", waitid(P_PIDFD, b, &si, WEXITED) == 0 && si.si_pid == child);
    printf("exit status %d\n", si.si_status);

    /* A zombie can still be opened. */
    fflush(stdout);
    child = fork();
    if (child == 0)
        _exit(1);
    memset(&si, 0, sizeof si);
    waitid(P_PID, child, &si, WEXITED | WNOWAIT);
    int z = pidfd_open(child, 0);
    CHECK("open zombie", z >= 0);
    printf("zombie ready: %#x\n", ready(z));
    CHECK("reap zombie", waitid(P_PIDFD, z, &si, WEXITED) == 0 && si.si_status == 1);
    CHECK_ERR("waitid not a pidfd", waitid(P_PIDFD, 1, &si, WEXITED), EBADF);
    CHECK_ERR("waitid bad fd", waitid(P_PIDFD, 999, &si, WEXITED), EBADF);
    CHECK_ERR("open reaped", pidfd_open(child, 0), ESRCH);
    return 0;
}
