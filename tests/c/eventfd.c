/* eventfd: counter, semaphore mode, limits, readiness, blocking. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t v;

static short ready(int fd) {
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    poll(&p, 1, 0);
    return p.revents;
}

int main(void) {
    int e = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    CHECK("eventfd", e >= 0);
    CHECK("cloexec", fcntl(e, F_GETFD) == FD_CLOEXEC);
    CHECK("nonblock", (fcntl(e, F_GETFL) & O_NONBLOCK) != 0);
    printf("empty: %#x\n", ready(e));
    CHECK_ERR("read at 0", read(e, &v, 8), EAGAIN);
    v = 3;
    CHECK("write 3", write(e, &v, 8) == 8);
    v = 4;
    CHECK("write 4", write(e, &v, 8) == 8);
    printf("holding 7: %#x\n", ready(e));
    CHECK("read takes all", read(e, &v, 8) == 8 && v == 7);
    CHECK_ERR("short read", read(e, &v, 7), EINVAL);
    CHECK_ERR("short write", write(e, &v, 7), EINVAL);
    v = UINT64_MAX;
    CHECK_ERR("write UINT64_MAX", write(e, &v, 8), EINVAL);
    v = UINT64_MAX - 1;
    CHECK("write the maximum", write(e, &v, 8) == 8);
    printf("full: %#x\n", ready(e));
    v = 1;
    CHECK_ERR("overflow", write(e, &v, 8), EAGAIN);
    CHECK("read", read(e, &v, 16) == 8 && v == UINT64_MAX - 1);
    struct stat st;
    CHECK("fstat", fstat(e, &st) == 0);
    printf("mode: %o\n", st.st_mode);
    print_fd_link(e);

    int s = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    CHECK("semaphore 1", read(s, &v, 8) == 8 && v == 1);
    CHECK("semaphore 2", read(s, &v, 8) == 8 && v == 1);
    CHECK("semaphore 3", read(s, &v, 8) == 8 && v == 1);
    CHECK_ERR("semaphore empty", read(s, &v, 8), EAGAIN);
    CHECK_ERR("bad flags", eventfd(0, 0x10), EINVAL);
    CHECK("eventfd syscall", syscall(SYS_eventfd, 5) >= 0);
    CHECK_ERR("bad buffer", write(e, (void *)1, 8), EFAULT);

    /* A blocking read waits for another process's write. */
    int b = eventfd(0, 0);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        usleep(50 * 1000);
        v = 9;
        write(b, &v, 8);
        _exit(0);
    }
    CHECK("woken by a writer", read(b, &v, 8) == 8 && v == 9);
    waitpid(child, NULL, 0);
    return 0;
}
