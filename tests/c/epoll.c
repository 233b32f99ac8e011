/* epoll: level- and edge-triggered, one-shot, nesting, timeouts, errors. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

static int add(int ep, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* One epoll_wait with timeout 0; prints what it got. */
static int wait0(const char *label, int ep, int max) {
    struct epoll_event evs[8];
    int n = epoll_wait(ep, evs, max, 0);
    printf("%s: %d", label, n);
    for (int i = 0; i < n; i++)
        printf(" [%#x %llu]", evs[i].events, (unsigned long long)evs[i].data.u64);
    printf("\n");
    return n;
}

int main(void) {
    int p[2], q[2];
    char buf[16];
    struct epoll_event ev = {.events = EPOLLIN};
    CHECK_ERR("epoll_create(0)", epoll_create(0), EINVAL);
    CHECK_ERR("epoll_create1 bad flags", epoll_create1(1), EINVAL);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK("epoll_create1(EPOLL_CLOEXEC)", ep >= 0 && fcntl(ep, F_GETFD) == FD_CLOEXEC);
    snprintf(buf, sizeof buf, "%d", ep);
    print_fd_link(ep);
    CHECK("epoll_create(1)", epoll_create(1) >= 0);

    CHECK("pipes", pipe(p) == 0 && pipe(q) == 0);
    int file = open("/proc/self/exe", O_RDONLY);
    CHECK_ERR("regular file", epoll_ctl(ep, EPOLL_CTL_ADD, file, &ev), EPERM);
    CHECK_ERR("not an epoll", epoll_ctl(p[0], EPOLL_CTL_ADD, q[0], &ev), EINVAL);
    CHECK_ERR("bad epfd", epoll_ctl(-1, EPOLL_CTL_ADD, q[0], &ev), EBADF);
    CHECK_ERR("bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, -1, &ev), EBADF);
    CHECK_ERR("itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
    CHECK_ERR("bad op", epoll_ctl(ep, 99, p[0], &ev), EINVAL);
    CHECK_ERR("bad event pointer", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], (void *)1), EFAULT);
    CHECK_ERR("MOD missing", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), ENOENT);
    CHECK_ERR("DEL missing", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
    CHECK("ADD", add(ep, p[0], EPOLLIN, 10) == 0);
    CHECK_ERR("ADD again", add(ep, p[0], EPOLLIN, 10), EEXIST);
    CHECK("ADD write end", add(ep, q[1], EPOLLOUT, 21) == 0);

    CHECK_ERR("maxevents 0", epoll_wait(ep, &ev, 0, 0), EINVAL);
    CHECK_ERR("bad events pointer", epoll_wait(ep, (void *)-4096L, 1, 0), EFAULT);
    CHECK_ERR("epoll_wait not an epoll", epoll_wait(p[0], &ev, 1, 0), EINVAL);
    CHECK_ERR("epoll_wait bad fd", epoll_wait(-1, &ev, 1, 0), EBADF);

    /* Level-triggered: reported while ready. */
    wait0("only the write end", ep, 8);
    CHECK("write", write(p[1], "x", 1) == 1);
    wait0("both", ep, 8);
    wait0("both again", ep, 8);
    wait0("one at a time", ep, 1);
    wait0("the other", ep, 1);
    CHECK("DEL write end", epoll_ctl(ep, EPOLL_CTL_DEL, q[1], NULL) == 0);
    CHECK("MOD", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &(struct epoll_event){.events = EPOLLIN | EPOLLOUT, .data.u64 = 11}) == 0);
    wait0("after MOD", ep, 8);
    CHECK("drain", read(p[0], buf, sizeof buf) == 1);
    wait0("drained", ep, 8);

    /* Edge-triggered: once per change. */
    int et = epoll_create1(0);
    CHECK("ADD EPOLLET", add(et, q[0], EPOLLIN | EPOLLET, 30) == 0);
    wait0("ET nothing", et, 8);
    CHECK("write", write(q[1], "ab", 2) == 2);
    wait0("ET edge", et, 8);
    wait0("ET no new edge", et, 8);
    CHECK("drain", read(q[0], buf, sizeof buf) == 2);
    CHECK("write", write(q[1], "c", 1) == 1);
    wait0("ET next edge", et, 8);
    CHECK("drain", read(q[0], buf, sizeof buf) == 1);

    /* One-shot: once, until re-armed. */
    int os = epoll_create1(0);
    CHECK("ADD EPOLLONESHOT", add(os, q[0], EPOLLIN | EPOLLONESHOT, 40) == 0);
    CHECK("write", write(q[1], "d", 1) == 1);
    wait0("oneshot", os, 8);
    wait0("oneshot disabled", os, 8);
    CHECK("re-arm", epoll_ctl(os, EPOLL_CTL_MOD, q[0], &(struct epoll_event){.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 41}) == 0);
    wait0("re-armed", os, 8);

    /* EPOLLEXCLUSIVE: accepted with ADD only, and with few flags. */
    int ex = epoll_create1(0);
    CHECK("ADD EPOLLEXCLUSIVE", add(ex, q[0], EPOLLIN | EPOLLEXCLUSIVE, 50) == 0);
    CHECK_ERR("MOD EPOLLEXCLUSIVE", epoll_ctl(ex, EPOLL_CTL_MOD, q[0], &(struct epoll_event){.events = EPOLLIN | EPOLLEXCLUSIVE}), EINVAL);
    CHECK_ERR("MOD an exclusive item", epoll_ctl(ex, EPOLL_CTL_MOD, q[0], &ev), EINVAL);
    CHECK_ERR("EPOLLEXCLUSIVE with EPOLLONESHOT", add(ex, q[1], EPOLLOUT | EPOLLEXCLUSIVE | EPOLLONESHOT, 0), EINVAL);
    wait0("exclusive", ex, 8);
    CHECK("drain", read(q[0], buf, sizeof buf) == 1);

    /* Nesting: an epoll is readable while it has events. */
    int outer = epoll_create1(0);
    CHECK("nest", add(outer, ex, EPOLLIN, 60) == 0);
    wait0("outer idle", outer, 8);
    CHECK("write", write(q[1], "e", 1) == 1);
    wait0("outer sees inner", outer, 8);
    CHECK_ERR("loop", add(ex, outer, EPOLLIN, 0), ELOOP);
    CHECK("drain", read(q[0], buf, sizeof buf) == 1);

    /* Hang-up, and items whose file is closed everywhere go away. */
    int hp[2];
    CHECK("pipe", pipe(hp) == 0);
    int hup = epoll_create1(0);
    CHECK("ADD", add(hup, hp[0], EPOLLIN, 70) == 0);
    CHECK("close write end", close(hp[1]) == 0);
    wait0("hang-up", hup, 8);
    CHECK("close read end", close(hp[0]) == 0);
    wait0("closed file gone", hup, 8);

    /* Timeouts. */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    CHECK("30ms timeout", epoll_wait(et, &ev, 1, 30) == 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    CHECK("waited 30ms", (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= 30);
    struct timespec ts = {0, 0};
    CHECK("epoll_pwait2 zero", syscall(SYS_epoll_pwait2, et, &ev, 1, &ts, NULL, 8) == 0);
    ts = (struct timespec){0, 20 * 1000 * 1000};
    CHECK("epoll_pwait2 20ms", syscall(SYS_epoll_pwait2, et, &ev, 1, &ts, NULL, 8) == 0);
    ts = (struct timespec){0, -1};
    CHECK_ERR("epoll_pwait2 bad timespec", syscall(SYS_epoll_pwait2, et, &ev, 1, &ts, NULL, 8), EINVAL);
    sigset_t mask;
    sigemptyset(&mask);
    CHECK("epoll_pwait", epoll_pwait(et, &ev, 1, 0, &mask) == 0);
    CHECK_ERR("epoll_pwait bad sigsetsize", syscall(SYS_epoll_pwait, et, &ev, 1, 0, &mask, 7), EINVAL);

    /* An infinite wait ends when another process writes. */
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        usleep(50 * 1000);
        write(q[1], "y", 1);
        _exit(0);
    }
    CHECK("woken by a writer", epoll_wait(et, &ev, 1, -1) == 1 && ev.data.u64 == 30 && ev.events == EPOLLIN);
    waitpid(child, NULL, 0);
    return 0;
}
