/* signalfd: blocked signals read as records, readiness, blocking, SIGCHLD. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static struct signalfd_siginfo si;

static short ready(int fd) {
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    poll(&p, 1, 0);
    return p.revents;
}

int main(void) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGUSR2);
    sigaddset(&mask, SIGCHLD);
    CHECK("block", sigprocmask(SIG_BLOCK, &mask, NULL) == 0);

    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK("signalfd", fd >= 0);
    CHECK("cloexec", fcntl(fd, F_GETFD) == FD_CLOEXEC);
    CHECK("nonblock", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    printf("nothing pending: %#x\n", ready(fd));
    CHECK_ERR("read empty", read(fd, &si, sizeof si), EAGAIN);
    CHECK_ERR("short read", read(fd, &si, sizeof si - 1), EINVAL);
    CHECK_ERR("write", write(fd, &si, sizeof si), EINVAL);
    CHECK_ERR("bad flags", signalfd(-1, &mask, 1), EINVAL);
    CHECK_ERR("bad size", syscall(SYS_signalfd4, -1, &mask, 4, 0), EINVAL);
    CHECK_ERR("bad fd", signalfd(999, &mask, 0), EBADF);
    CHECK_ERR("not a signalfd", signalfd(1, &mask, 0), EINVAL);
    CHECK_ERR("bad mask", syscall(SYS_signalfd4, -1, (void *)1, 8, 0), EFAULT);

    CHECK("kill self", kill(getpid(), SIGUSR1) == 0);
    printf("pending: %#x\n", ready(fd));
    CHECK("read", read(fd, &si, sizeof si) == sizeof si);
    printf("signo %u code %d pid ok %d uid ok %d\n", si.ssi_signo, si.ssi_code,
           si.ssi_pid == (uint32_t)getpid(), si.ssi_uid == getuid());
    CHECK_ERR("taken", read(fd, &si, sizeof si), EAGAIN);

    /* Two pending signals in one read, lowest first. */
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR1);
    struct signalfd_siginfo two[3];
    CHECK("two records", read(fd, two, sizeof two) == 2 * sizeof si);
    printf("order: %u %u\n", two[0].ssi_signo, two[1].ssi_signo);

    /* sigqueue carries its value. */
    union sigval val = {.sival_int = 1234};
    CHECK("sigqueue", sigqueue(getpid(), SIGUSR2, val) == 0);
    CHECK("read queued", read(fd, &si, sizeof si) == sizeof si);
    printf("queued: signo %u code %d int %d\n", si.ssi_signo, si.ssi_code, si.ssi_int);

    /* A new mask on the same descriptor: SIGUSR1 is no longer read. */
    sigset_t only2;
    sigemptyset(&only2);
    sigaddset(&only2, SIGUSR2);
    CHECK("update mask", signalfd(fd, &only2, 0) == fd);
    CHECK("still nonblock", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    kill(getpid(), SIGUSR1);
    printf("outside the mask: %#x\n", ready(fd));
    CHECK_ERR("not read", read(fd, &si, sizeof si), EAGAIN);
    sigset_t pend;
    sigpending(&pend);
    printf("still pending: %d\n", sigismember(&pend, SIGUSR1));
    CHECK("mask back", signalfd(fd, &mask, 0) == fd);
    CHECK("read it now", read(fd, &si, sizeof si) == sizeof si && si.ssi_signo == SIGUSR1);

    struct stat st;
    CHECK("fstat", fstat(fd, &st) == 0);
    printf("mode: %o\n", st.st_mode);
    print_fd_link(fd);

    /* epoll reports a signal that arrives while it waits. */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
    CHECK("epoll add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
    CHECK("epoll empty", epoll_wait(ep, &ev, 1, 0) == 0);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        usleep(50 * 1000);
        kill(getppid(), SIGUSR2);
        usleep(50 * 1000);
        _exit(3);
    }
    int n = epoll_wait(ep, &ev, 1, 5000);
    printf("epoll: %d events %#x data %u\n", n, ev.events, ev.data.u32);
    CHECK("read from epoll", read(fd, &si, sizeof si) == sizeof si);
    printf("from child: signo %u from child %d\n", si.ssi_signo, si.ssi_pid == (uint32_t)child);

    /* SIGCHLD, blocked and default-ignored, is kept for the signalfd. */
    struct pollfd p = {fd, POLLIN, 0};
    printf("poll for SIGCHLD: %d\n", poll(&p, 1, 5000));
    CHECK("read SIGCHLD", read(fd, &si, sizeof si) == sizeof si);
    printf("sigchld: signo %u code %d pid ok %d status %d\n", si.ssi_signo, si.ssi_code,
           si.ssi_pid == (uint32_t)child, si.ssi_status);
    CHECK("reap", waitpid(child, NULL, 0) == child);

    /* A blocking read waits for the signal. */
    int b = signalfd(-1, &mask, 0);
    fflush(stdout);
    child = fork();
    if (child == 0) {
        usleep(50 * 1000);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    CHECK("blocking read", read(b, &si, sizeof si) == sizeof si && si.ssi_signo == SIGUSR1);
    /* The child's SIGCHLD comes too. */
    CHECK("blocking SIGCHLD", read(b, &si, sizeof si) == sizeof si && si.ssi_signo == SIGCHLD);
    waitpid(child, NULL, 0);

    /* The same blocked SIGCHLD is there for sigwaitinfo too. */
    fflush(stdout);
    child = fork();
    if (child == 0)
        _exit(4);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    siginfo_t info;
    CHECK("sigwaitinfo SIGCHLD", sigwaitinfo(&chld, &info) == SIGCHLD && info.si_pid == child);
    waitpid(child, NULL, 0);
    return 0;
}
