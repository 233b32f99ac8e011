/*
 * Blocking calls give way to a signal that ends the process: a child blocked in
 * each kind of wait is killed by SIGTERM from its parent. A blocked signal does
 * not interrupt, and ppoll's mask is the one in force during its wait.
 */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int p[2];
static char dir[] = "/tmp/compat-blocking-XXXXXX";

static void pipe_read(void) {
    char c;
    read(p[0], &c, 1);
}

static void pipe_write(void) {
    /* Its own pipe, which nobody drains. */
    static char big[200000];
    int q[2];
    pipe(q);
    write(q[1], big, sizeof big);
}

static void sleep_long(void) {
    struct timespec ts = {30, 0};
    nanosleep(&ts, NULL);
}

static void clock_sleep_long(void) {
    struct timespec ts = {30, 0};
    clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

static void poll_forever(void) {
    struct pollfd fd = {p[0], POLLIN, 0};
    poll(&fd, 1, -1);
}

static void select_forever(void) {
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    select(p[0] + 1, &r, NULL, NULL, NULL);
}

static void epoll_forever(void) {
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    epoll_wait(ep, &ev, 1, -1);
}

static void eventfd_block(void) {
    int e = eventfd(0, 0);
    uint64_t v;
    read(e, &v, sizeof v);
}

static void wait_for_child(void) {
    /* The grandchild ends when the child dies: its pipe then has no writer. */
    int q[2];
    pipe(q);
    if (fork() == 0) {
        char c;
        close(q[1]);
        read(q[0], &c, 1);
        _exit(0);
    }
    close(q[0]);
    wait(NULL);
}

static void futex_wait(void) {
    static int word;
    syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

static void fifo_open(void) {
    char path[64];
    snprintf(path, sizeof path, "%s/fifo", dir);
    open(path, O_RDONLY);
}

static void flock_wait(void) {
    char path[64];
    snprintf(path, sizeof path, "%s/lock", dir);
    int fd = open(path, O_RDWR);
    flock(fd, LOCK_EX);
}

static void ppoll_unblocking(void) {
    /* SIGTERM is blocked, but not while ppoll waits. */
    sigset_t term, none;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &term, NULL);
    struct pollfd fd = {p[0], POLLIN, 0};
    ppoll(&fd, 1, NULL, &none);
}

/* Forks a child running `fn`, kills it once it is (very likely) blocked, and
 * reports how it ended. */
static void run(const char *label, void (*fn)(void)) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        _exit(99);
    }
    usleep(100 * 1000);
    kill(pid, SIGTERM);
    int st;
    if (waitpid(pid, &st, 0) != pid)
        FAIL("%s: waitpid", label);
    if (WIFSIGNALED(st))
        printf("%s: killed by signal %d\n", label, WTERMSIG(st));
    else
        printf("%s: exited %d\n", label, WEXITSTATUS(st));
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM)
        FAIL("%s: not killed by SIGTERM", label);
}

/* A child with SIGTERM blocked waits 300ms (nanosleep, or ppoll whose own mask
 * blocks it too): the signal stays pending and the wait ends normally. */
static void blocked_child(const char *label, int use_ppoll) {
    int ready[2];
    if (pipe(ready) != 0)
        FAIL("pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t term;
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        sigprocmask(SIG_BLOCK, &term, NULL);
        write(ready[1], "r", 1);
        struct timespec ts = {0, 300 * 1000 * 1000};
        int r;
        if (use_ppoll) {
            struct pollfd fd = {p[0], POLLIN, 0};
            r = ppoll(&fd, 1, &ts, &term);
        } else {
            r = nanosleep(&ts, NULL);
        }
        _exit(r == 0 ? 7 : 8);
    }
    char c;
    read(ready[0], &c, 1);
    usleep(50 * 1000);
    kill(pid, SIGTERM);
    int st;
    waitpid(pid, &st, 0);
    close(ready[0]);
    close(ready[1]);
    CHECK(label, WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

int main(void) {
    CHECK("mkdtemp", mkdtemp(dir) != NULL);
    char path[64];
    snprintf(path, sizeof path, "%s/fifo", dir);
    CHECK("mkfifo", mkfifo(path, 0600) == 0);
    snprintf(path, sizeof path, "%s/lock", dir);
    int lockfd = open(path, O_CREAT | O_RDWR, 0600);
    CHECK("lock held", lockfd >= 0 && flock(lockfd, LOCK_EX) == 0);
    CHECK("pipe", pipe(p) == 0);

    run("read on an empty pipe", pipe_read);
    run("write to a full pipe", pipe_write);
    run("nanosleep", sleep_long);
    run("clock_nanosleep", clock_sleep_long);
    run("poll", poll_forever);
    run("select", select_forever);
    run("epoll_wait", epoll_forever);
    run("eventfd read", eventfd_block);
    run("wait4", wait_for_child);
    run("futex wait", futex_wait);
    run("FIFO open", fifo_open);
    run("flock", flock_wait);
    run("ppoll unblocking SIGTERM", ppoll_unblocking);
    blocked_child("blocked SIGTERM does not interrupt nanosleep", 0);
    blocked_child("blocked SIGTERM does not interrupt ppoll", 1);

    char buf[8];
    CHECK("pipe still empty", fcntl(p[0], F_SETFL, O_NONBLOCK) == 0 && read(p[0], buf, 1) == -1 && errno == EAGAIN);
    unlink(path);
    snprintf(path, sizeof path, "%s/fifo", dir);
    unlink(path);
    rmdir(dir);
    return 0;
}
