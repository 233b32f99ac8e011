/* poll and ppoll: readiness of pipes, files and devices, timeouts, errors. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long elapsed_ms(struct timespec *a) {
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static short poll1(int fd, short events, int timeout) {
    struct pollfd p = {fd, events, 0x7777};
    int n = poll(&p, 1, timeout);
    if (n < 0)
        FAIL("poll: %s", errname(errno));
    if (n != (p.revents != 0))
        FAIL("poll count %d with revents %#x", n, p.revents);
    return p.revents;
}

int main(void) {
    int p[2];
    char buf[16];
    CHECK("pipe", pipe(p) == 0);
    printf("empty read end: %#x\n", poll1(p[0], POLLIN, 0));
    printf("write end: %#x\n", poll1(p[1], POLLOUT, 0));
    printf("write end asked for POLLIN: %#x\n", poll1(p[1], POLLIN, 0));
    CHECK("write", write(p[1], "x", 1) == 1);
    printf("read end with data: %#x\n", poll1(p[0], POLLIN | POLLRDNORM | POLLOUT, 0));

    struct pollfd two[3] = {{p[0], POLLIN, 0}, {-1, POLLIN, 0x55}, {p[1], POLLOUT, 0}};
    CHECK("two ready, a negative fd ignored", poll(two, 3, 0) == 2 && two[1].revents == 0);

    int closed = dup(p[0]);
    close(closed);
    printf("closed fd: %#x\n", poll1(closed, POLLIN, 0));

    CHECK("close write end", close(p[1]) == 0);
    printf("data and no writer: %#x\n", poll1(p[0], POLLIN, 0));
    CHECK("drain", read(p[0], buf, sizeof buf) == 1);
    printf("no writer: %#x\n", poll1(p[0], POLLIN, 0));
    printf("no writer, nothing asked: %#x\n", poll1(p[0], 0, 0));
    close(p[0]);

    CHECK("pipe", pipe(p) == 0);
    close(p[0]);
    printf("no reader: %#x\n", poll1(p[1], POLLOUT, 0));
    close(p[1]);

    int null = open("/dev/null", O_RDWR);
    printf("/dev/null: %#x\n", poll1(null, POLLIN | POLLOUT | POLLPRI, 0));
    int file = open("/proc/self/exe", O_RDONLY);
    printf("regular file: %#x\n", poll1(file, POLLIN | POLLOUT, 0));
    int path = open("/", O_PATH);
    printf("O_PATH fd: %#x\n", poll1(path, POLLIN, 0));

    /* A finite timeout waits at least that long. */
    CHECK("pipe", pipe(p) == 0);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    CHECK("50ms timeout", poll1(p[0], POLLIN, 50) == 0 && elapsed_ms(&start) >= 50);
    CHECK("no fds: a sleep", poll(NULL, 0, 20) == 0);

    /* An infinite wait ends when another process writes. */
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        usleep(50 * 1000);
        write(p[1], "y", 1);
        _exit(0);
    }
    printf("woken by a writer: %#x\n", poll1(p[0], POLLIN, -1));
    waitpid(child, NULL, 0);

    CHECK_ERR("bad array", poll((struct pollfd *)1, 1, 0), EFAULT);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    CHECK_ERR("nfds over RLIMIT_NOFILE", poll(two, rl.rlim_cur + 1, 0), EINVAL);

    /* ppoll, through the raw syscall to see the time written back. */
    struct pollfd one = {p[0], POLLIN, 0};
    CHECK("drain", read(p[0], buf, sizeof buf) == 1);
    struct timespec ts = {0, 20 * 1000 * 1000};
    CHECK("ppoll times out", syscall(SYS_ppoll, &one, 1, &ts, NULL, 8) == 0);
    CHECK("ppoll wrote back zero time left", ts.tv_sec == 0 && ts.tv_nsec == 0);
    ts = (struct timespec){5, 0};
    write(p[1], "z", 1);
    CHECK("ppoll ready at once", syscall(SYS_ppoll, &one, 1, &ts, NULL, 8) == 1 && one.revents == POLLIN);
    CHECK("ppoll wrote back the time left", ts.tv_sec == 4 && ts.tv_nsec > 0);
    ts = (struct timespec){0, 0};
    CHECK("ppoll zero timeout", syscall(SYS_ppoll, &one, 1, &ts, NULL, 8) == 1);
    ts = (struct timespec){0, 1000000000};
    CHECK_ERR("ppoll bad timespec", syscall(SYS_ppoll, &one, 1, &ts, NULL, 8), EINVAL);
    ts = (struct timespec){-1, 0};
    CHECK_ERR("ppoll negative timespec", syscall(SYS_ppoll, &one, 1, &ts, NULL, 8), EINVAL);
    sigset_t mask;
    sigemptyset(&mask);
    CHECK_ERR("ppoll bad sigsetsize", syscall(SYS_ppoll, &one, 1, NULL, &mask, 7), EINVAL);
    CHECK("ppoll bad sigsetsize without a mask", syscall(SYS_ppoll, &one, 1, NULL, NULL, 7) == 1);
    CHECK_ERR("ppoll bad sigmask pointer", syscall(SYS_ppoll, &one, 1, NULL, (void *)1, 8), EFAULT);
    CHECK_ERR("ppoll bad timespec pointer", syscall(SYS_ppoll, &one, 1, (void *)1, NULL, 8), EFAULT);
    sigset_t usr1, now;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    CHECK("ppoll with an empty mask", ppoll(&one, 1, NULL, &mask) == 1);
    sigprocmask(SIG_SETMASK, NULL, &now);
    CHECK("mask restored", sigismember(&now, SIGUSR1));
    return 0;
}
