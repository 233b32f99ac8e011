/* Pipes in one process: buffering, EOF, O_NONBLOCK, EPIPE, sizes, FIONREAD. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    int p[2];
    char buf[128];
    CHECK("pipe", pipe(p) == 0);
    struct stat st;
    CHECK("fstat read end is a FIFO", fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK("write", write(p[1], "hello", 5) == 5);
    int avail = -1;
    CHECK("FIONREAD", ioctl(p[0], FIONREAD, &avail) == 0 && avail == 5);
    CHECK("read", read(p[0], buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0);
    CHECK_ERR("read from write end", read(p[1], buf, 1), EBADF);
    CHECK_ERR("write to read end", write(p[0], "x", 1), EBADF);
    CHECK_ERR("lseek on a pipe", lseek(p[0], 0, SEEK_SET), ESPIPE);
    printf("default size: %d\n", fcntl(p[0], F_GETPIPE_SZ));
    CHECK("F_SETPIPE_SZ rounds up", fcntl(p[0], F_SETPIPE_SZ, 5000) == 8192 && fcntl(p[1], F_GETPIPE_SZ) == 8192);
    CHECK("close write end", close(p[1]) == 0);
    CHECK("EOF without writers", read(p[0], buf, sizeof buf) == 0);
    close(p[0]);

    CHECK("pipe2 O_NONBLOCK|O_CLOEXEC", pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    CHECK("cloexec set", fcntl(p[0], F_GETFD) == FD_CLOEXEC);
    CHECK("nonblock set", (fcntl(p[1], F_GETFL) & O_NONBLOCK) != 0);
    CHECK_ERR("empty nonblocking read", read(p[0], buf, 1), EAGAIN);
    static char big[70000];
    long n = write(p[1], big, sizeof big);
    printf("nonblocking write of 70000 wrote %ld\n", n);
    CHECK_ERR("full nonblocking write", write(p[1], "x", 1), EAGAIN);
    long total = 0, r;
    while ((r = read(p[0], big, sizeof big)) > 0)
        total += r;
    printf("drained %ld\n", total);
    CHECK_ERR("pipe2 bad flags", pipe2(p, 0x1), EINVAL);

    signal(SIGPIPE, SIG_IGN);
    CHECK("close read end", close(p[0]) == 0);
    CHECK_ERR("write without readers", write(p[1], "x", 1), EPIPE);
    close(p[1]);
    CHECK_ERR("pipe bad pointer", pipe((int *)1), EFAULT);

    /* With the default action, SIGPIPE kills the writer. */
    signal(SIGPIPE, SIG_DFL);
    CHECK("pipe again", pipe(p) == 0 && close(p[0]) == 0);
    printf("about to die of SIGPIPE\n");
    fflush(stdout);
    write(p[1], "x", 1);
    printf("FAIL: survived SIGPIPE\n");
    return 1;
}
