/* timerfd: expiration counts, relative and absolute times, readiness, blocking. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static uint64_t n;

static short ready(int fd) {
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    poll(&p, 1, 0);
    return p.revents;
}

static struct itimerspec spec(long ms, long interval_ms) {
    struct itimerspec s = {
        .it_value = {ms / 1000, (ms % 1000) * 1000000},
        .it_interval = {interval_ms / 1000, (interval_ms % 1000) * 1000000},
    };
    return s;
}

int main(void) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    CHECK("create", fd >= 0);
    CHECK("cloexec", fcntl(fd, F_GETFD) == FD_CLOEXEC);
    CHECK("nonblock", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    CHECK_ERR("bad clock", timerfd_create(99, 0), EINVAL);
    CHECK_ERR("cputime clock", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
    CHECK_ERR("bad flags", timerfd_create(CLOCK_MONOTONIC, 1), EINVAL);
    CHECK("realtime", timerfd_create(CLOCK_REALTIME, 0) >= 0);
    CHECK("boottime", timerfd_create(CLOCK_BOOTTIME, 0) >= 0);

    struct itimerspec cur;
    CHECK("gettime disarmed", timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 &&
                                  cur.it_value.tv_nsec == 0);
    printf("disarmed: %#x\n", ready(fd));
    CHECK_ERR("read disarmed", read(fd, &n, 8), EAGAIN);
    CHECK_ERR("short read", read(fd, &n, 4), EINVAL);
    CHECK_ERR("write", write(fd, &n, 8), EINVAL);

    struct itimerspec s = spec(10000, 0), old;
    CHECK("arm 10s", timerfd_settime(fd, 0, &s, NULL) == 0);
    CHECK("gettime armed", timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec >= 9 &&
                               cur.it_value.tv_sec <= 10 && cur.it_interval.tv_sec == 0);
    s = spec(20, 0);
    CHECK("rearm 20ms", timerfd_settime(fd, 0, &s, &old) == 0);
    CHECK("old value", old.it_value.tv_sec >= 9 && old.it_value.tv_sec <= 10);
    usleep(100 * 1000);
    printf("expired: %#x\n", ready(fd));
    CHECK("read one", read(fd, &n, 8) == 8 && n == 1);
    CHECK_ERR("reset by read", read(fd, &n, 8), EAGAIN);
    CHECK("one-shot disarmed", timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 &&
                                   cur.it_value.tv_nsec == 0);

    /* A periodic timer counts every expiration between reads. */
    s = spec(10, 10);
    CHECK("periodic", timerfd_settime(fd, 0, &s, NULL) == 0);
    usleep(105 * 1000);
    CHECK("several", read(fd, &n, 8) == 8 && n >= 5);
    CHECK("interval", timerfd_gettime(fd, &cur) == 0 && cur.it_interval.tv_nsec == 10000000);
    s = spec(0, 0);
    CHECK("disarm", timerfd_settime(fd, 0, &s, NULL) == 0);
    usleep(30 * 1000);
    CHECK_ERR("disarm clears the count", read(fd, &n, 8), EAGAIN);

    /* Absolute times on the timer's clock; one in the past fires at once. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    s = spec(0, 0);
    s.it_value = now;
    s.it_value.tv_nsec += 30 * 1000000;
    if (s.it_value.tv_nsec >= 1000000000) {
        s.it_value.tv_sec++;
        s.it_value.tv_nsec -= 1000000000;
    }
    CHECK("absolute", timerfd_settime(fd, TFD_TIMER_ABSTIME, &s, NULL) == 0);
    CHECK_ERR("not yet", read(fd, &n, 8), EAGAIN);
    struct pollfd p = {fd, POLLIN, 0};
    printf("poll absolute: %d\n", poll(&p, 1, 5000));
    CHECK("fired", read(fd, &n, 8) == 8 && n == 1);
    s.it_value.tv_sec = 1;
    s.it_value.tv_nsec = 0;
    CHECK("past", timerfd_settime(fd, TFD_TIMER_ABSTIME, &s, NULL) == 0);
    p.revents = 0;
    printf("poll past: %d\n", poll(&p, 1, 5000));
    CHECK("fired at once", read(fd, &n, 8) == 8 && n == 1);

    int rt = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    clock_gettime(CLOCK_REALTIME, &now);
    s = spec(0, 0);
    s.it_value.tv_sec = now.tv_sec + 1000;
    CHECK("realtime absolute", timerfd_settime(rt, TFD_TIMER_ABSTIME, &s, NULL) == 0);
    CHECK("realtime remaining", timerfd_gettime(rt, &cur) == 0 && cur.it_value.tv_sec >= 998 &&
                                    cur.it_value.tv_sec <= 1000);

    CHECK_ERR("bad settime flags", timerfd_settime(fd, 4, &s, NULL), EINVAL);
    s.it_value.tv_nsec = 1000000000;
    CHECK_ERR("bad nsec", timerfd_settime(fd, 0, &s, NULL), EINVAL);
    s.it_value.tv_nsec = 0;
    CHECK_ERR("not a timerfd", timerfd_settime(1, 0, &s, NULL), EINVAL);
    CHECK_ERR("bad fd", timerfd_settime(999, 0, &s, NULL), EBADF);
    CHECK_ERR("gettime not a timerfd", timerfd_gettime(1, &cur), EINVAL);
    CHECK_ERR("bad spec pointer", timerfd_settime(fd, 0, (void *)1, NULL), EFAULT);

    struct stat st;
    CHECK("fstat", fstat(fd, &st) == 0);
    printf("mode: %o\n", st.st_mode);
    print_fd_link(fd);

    /* epoll and a blocking read. */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 5};
    CHECK("epoll add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
    s = spec(30, 0);
    timerfd_settime(fd, 0, &s, NULL);
    int k = epoll_wait(ep, &ev, 1, 5000);
    printf("epoll: %d events %#x data %u\n", k, ev.events, ev.data.u32);
    read(fd, &n, 8);
    int b = timerfd_create(CLOCK_MONOTONIC, 0);
    s = spec(30, 0);
    timerfd_settime(b, 0, &s, NULL);
    CHECK("blocking read", read(b, &n, 8) == 8 && n == 1);
    return 0;
}
