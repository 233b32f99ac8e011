/* select and pselect6: bit sets, counts, timeouts and the time written back. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    int p[2];
    char buf[16];
    fd_set r, w, e;
    struct timeval tv;
    CHECK("pipe", pipe(p) == 0);
    int nfds = p[1] + 1;

    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv = (struct timeval){0, 0};
    CHECK("empty pipe not readable", select(nfds, &r, NULL, NULL, &tv) == 0 && !FD_ISSET(p[0], &r));

    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    FD_SET(p[0], &e);
    CHECK("write end writable", select(nfds, &r, &w, &e, &tv) == 1 && FD_ISSET(p[1], &w) && !FD_ISSET(p[0], &r) && !FD_ISSET(p[0], &e));

    CHECK("write", write(p[1], "x", 1) == 1);
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    FD_SET(p[1], &r);
    CHECK("both counted", select(nfds, &r, &w, NULL, &tv) == 2 && FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w) && !FD_ISSET(p[1], &r));

    /* The time left is written back. */
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv = (struct timeval){5, 0};
    CHECK("ready at once", select(nfds, &r, NULL, NULL, &tv) == 1);
    long left = tv.tv_sec * 1000000 + tv.tv_usec;
    CHECK("time left written back", left > 4000000 && left < 5000000);
    CHECK("drain", read(p[0], buf, sizeof buf) == 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv = (struct timeval){0, 30000};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    CHECK("times out", select(nfds, &r, NULL, NULL, &tv) == 0 && !FD_ISSET(p[0], &r));
    clock_gettime(CLOCK_MONOTONIC, &b);
    CHECK("waited 30ms", (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= 30);
    CHECK("nothing left", tv.tv_sec == 0 && tv.tv_usec == 0);
    tv = (struct timeval){0, 20000};
    CHECK("no sets: a sleep", select(0, NULL, NULL, NULL, &tv) == 0);

    /* Microseconds past a second carry over; negative ones are invalid. */
    write(p[1], "x", 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv = (struct timeval){0, 1500000};
    CHECK("tv_usec over a second", select(nfds, &r, NULL, NULL, &tv) == 1);
    tv = (struct timeval){0, -1};
    CHECK_ERR("negative tv_usec", select(nfds, &r, NULL, NULL, &tv), EINVAL);
    tv = (struct timeval){-1, 0};
    CHECK_ERR("negative tv_sec", select(nfds, &r, NULL, NULL, &tv), EINVAL);
    CHECK_ERR("negative nfds", select(-1, &r, NULL, NULL, NULL), EINVAL);
    int closed = dup(p[0]);
    close(closed);
    FD_ZERO(&r);
    FD_SET(closed, &r);
    tv = (struct timeval){0, 0};
    CHECK_ERR("closed fd", select(closed + 1, &r, NULL, NULL, &tv), EBADF);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    CHECK_ERR("bad set pointer", syscall(SYS_select, nfds, (fd_set *)1, NULL, NULL, &tv), EFAULT);
    CHECK_ERR("bad timeval pointer", syscall(SYS_select, nfds, &r, NULL, NULL, (struct timeval *)1), EFAULT);
    FD_SET(closed, &r);
    CHECK("bits past nfds are ignored", select(p[0] + 1, &r, NULL, NULL, &tv) == 1);

    /* An infinite wait ends when another process writes. */
    read(p[0], buf, sizeof buf);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        usleep(50 * 1000);
        write(p[1], "y", 1);
        _exit(0);
    }
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    CHECK("woken by a writer", select(nfds, &r, NULL, NULL, NULL) == 1 && FD_ISSET(p[0], &r));
    waitpid(child, NULL, 0);

    /* pselect6 through the raw syscall: timespec written back, sigset pair. */
    sigset_t mask;
    sigemptyset(&mask);
    struct { sigset_t *ss; size_t len; } sig = {&mask, 8}, badsig = {&mask, 7};
    struct timespec ts = {5, 0};
    CHECK("pselect6 ready", syscall(SYS_pselect6, nfds, &r, NULL, NULL, &ts, &sig) == 1);
    CHECK("pselect6 time left", ts.tv_sec == 4 && ts.tv_nsec > 0);
    CHECK_ERR("pselect6 bad sigsetsize", syscall(SYS_pselect6, nfds, &r, NULL, NULL, &ts, &badsig), EINVAL);
    ts = (struct timespec){0, 1000000000};
    CHECK_ERR("pselect6 bad timespec", syscall(SYS_pselect6, nfds, &r, NULL, NULL, &ts, NULL), EINVAL);
    read(p[0], buf, sizeof buf);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    ts = (struct timespec){0, 10 * 1000 * 1000};
    CHECK("pselect times out", pselect(nfds, &r, NULL, NULL, &ts, &mask) == 0);
    return 0;
}
