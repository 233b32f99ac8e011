/* pidfd_getfd: a copy of another process's descriptor, sharing its open file
 * description, close-on-exec; flags, descriptor and permission errors. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int pidfd_open(pid_t pid) {
    return syscall(SYS_pidfd_open, pid, 0);
}

static int getfd(int pidfd, int fd, unsigned flags) {
    return syscall(SYS_pidfd_getfd, pidfd, fd, flags);
}

/* A child that opens a file, writes to it (its offset is then 3), tells
 * which descriptor it has and waits to be killed. */
static pid_t holder(const char *path, int *fd_out) {
    int tell[2];
    if (pipe(tell) != 0)
        FAIL("pipe");
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || write(fd, "abc", 3) != 3)
            _exit(1);
        write(tell[1], &fd, sizeof fd);
        for (;;)
            pause();
    }
    close(tell[1]);
    if (read(tell[0], fd_out, sizeof *fd_out) != sizeof *fd_out)
        FAIL("the holder did not start");
    close(tell[0]);
    return pid;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char path[] = "/tmp/pidfd_getfd.XXXXXX";
    int tmp = mkstemp(path);
    if (tmp < 0)
        FAIL("mkstemp: %s", errname(errno));
    close(tmp);

    int fd;
    pid_t child = holder(path, &fd);
    int pidfd = pidfd_open(child);
    CHECK("pidfd_open", pidfd >= 0);

    int got = getfd(pidfd, fd, 0);
    CHECK("pidfd_getfd", got >= 0);
    CHECK("close-on-exec", fcntl(got, F_GETFD) == FD_CLOEXEC);
    CHECK("the same description: its offset", lseek(got, 0, SEEK_CUR) == 3);
    CHECK("its flags", (fcntl(got, F_GETFL) & O_ACCMODE) == O_RDWR);
    char buf[4] = {0};
    CHECK("its file", pread(got, buf, 3, 0) == 3 && strcmp(buf, "abc") == 0);

    CHECK_ERR("flags", getfd(pidfd, fd, 1), EINVAL);
    CHECK_ERR("a descriptor it does not have", getfd(pidfd, 999, 0), EBADF);
    CHECK_ERR("a negative descriptor", getfd(pidfd, -1, 0), EBADF);
    CHECK_ERR("not a pidfd", getfd(got, fd, 0), EBADF);
    CHECK_ERR("not a descriptor", getfd(12345, fd, 0), EBADF);

    /* Another user may not take it. */
    pid_t other = fork();
    if (other == 0) {
        if (setresgid(54321, 54321, 54321) != 0 || setresuid(54321, 54321, 54321) != 0)
            _exit(2);
        _exit(getfd(pidfd, fd, 0) < 0 && errno == EPERM ? 0 : 3);
    }
    int status;
    waitpid(other, &status, 0);
    CHECK("another user: EPERM", WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* Gone: a zombie has no descriptors. */
    kill(child, SIGKILL);
    siginfo_t si;
    waitid(P_PIDFD, pidfd, &si, WEXITED | WNOWAIT);
    CHECK_ERR("an exited process", getfd(pidfd, fd, 0), ESRCH);
    waitpid(child, &status, 0);
    CHECK_ERR("a reaped process", getfd(pidfd, fd, 0), ESRCH);

    close(got);
    unlink(path);
    return 0;
}
