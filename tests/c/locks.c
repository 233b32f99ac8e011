/* Advisory locks within one process: flock and OFD locks conflict between open
 * file descriptions; POSIX record locks never conflict with their own process. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

static int setlk(int fd, int cmd, short type, off_t start, off_t len) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

int main(void) {
    char dir[] = "/tmp/compat-locks-XXXXXX";
    CHECK("mkdtemp", mkdtemp(dir) != NULL && chdir(dir) == 0);
    int a = open("f", O_CREAT | O_RDWR, 0644), b = open("f", O_RDWR);
    CHECK("two descriptions", a >= 0 && b >= 0);

    CHECK("flock exclusive", flock(a, LOCK_EX | LOCK_NB) == 0);
    CHECK_ERR("flock from another description", flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
    int dup_a = dup(a);
    CHECK("flock again through a dup", flock(dup_a, LOCK_EX | LOCK_NB) == 0);
    CHECK("downgrade to shared", flock(a, LOCK_SH | LOCK_NB) == 0);
    CHECK("second shared", flock(b, LOCK_SH | LOCK_NB) == 0);
    CHECK_ERR("exclusive blocked by a shared", flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    CHECK("unlock", flock(b, LOCK_UN) == 0 && flock(a, LOCK_EX | LOCK_NB) == 0);
    CHECK_ERR("flock bad op", flock(a, 0), EINVAL);
    close(dup_a);
    close(a);
    CHECK("closing the last descriptor releases", flock(b, LOCK_EX | LOCK_NB) == 0);
    flock(b, LOCK_UN);

    a = open("f", O_RDWR);
    CHECK("POSIX write lock", setlk(a, F_SETLK, F_WRLCK, 0, 100) == 0);
    CHECK("same process, other fd: no conflict", setlk(b, F_SETLK, F_WRLCK, 50, 10) == 0);
    struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    CHECK("F_GETLK sees no conflict with ourselves", fcntl(a, F_GETLK, &q) == 0 && q.l_type == F_UNLCK);
    CHECK_ERR("OFD lock vs our POSIX lock", setlk(a, F_OFD_SETLK, F_WRLCK, 0, 10), EAGAIN);
    CHECK("unlock POSIX range", setlk(a, F_SETLK, F_UNLCK, 0, 0) == 0);
    CHECK("OFD write lock", setlk(a, F_OFD_SETLK, F_WRLCK, 0, 10) == 0);
    CHECK_ERR("OFD from the other description", setlk(b, F_OFD_SETLK, F_RDLCK, 5, 1), EAGAIN);
    struct flock g = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    CHECK("OFD F_GETLK reports it", fcntl(b, F_OFD_GETLK, &g) == 0 && g.l_type == F_WRLCK && g.l_start == 0 &&
                                        g.l_len == 10 && g.l_pid == -1);
    CHECK("outside the range is free", setlk(b, F_OFD_SETLK, F_WRLCK, 10, 5) == 0);
    struct flock bad = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 1};
    CHECK_ERR("OFD with l_pid", fcntl(a, F_OFD_SETLK, &bad), EINVAL);
    CHECK_ERR("bad lock type", setlk(a, F_SETLK, 7, 0, 1), EINVAL);
    CHECK_ERR("negative start", setlk(a, F_SETLK, F_RDLCK, -5, 1), EINVAL);
    int ro = open("f", O_RDONLY);
    CHECK_ERR("write lock on a read-only fd", setlk(ro, F_SETLK, F_WRLCK, 0, 1), EBADF);

    close(a);
    close(b);
    close(ro);
    CHECK("cleanup", unlink("f") == 0 && chdir("/") == 0 && rmdir(dir) == 0);
    return 0;
}
