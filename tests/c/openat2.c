/* openat2: the open_how checks and the RESOLVE_* restrictions. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static long o2(int dirfd, const char *path, unsigned long flags, unsigned long resolve) {
    struct open_how how = {.flags = flags, .resolve = resolve};
    return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

int main(void) {
    char dir[] = "/tmp/compat-openat2-XXXXXX";
    CHECK("mkdtemp", mkdtemp(dir) != NULL && chdir(dir) == 0);
    CHECK("tree", mkdir("sub", 0755) == 0 && close(open("sub/f", O_CREAT | O_WRONLY, 0644)) == 0 &&
                      close(open("top", O_CREAT | O_WRONLY, 0644)) == 0 && symlink("f", "sub/rel") == 0 &&
                      symlink("/f", "sub/abs") == 0 && symlink("../top", "sub/up") == 0);
    int sub = open("sub", O_RDONLY | O_DIRECTORY);
    long fd = o2(sub, "f", O_RDONLY, 0);
    CHECK("plain openat2", fd >= 0);
    close(fd);
    CHECK_ERR("NO_SYMLINKS on a symlink", o2(sub, "rel", O_RDONLY, RESOLVE_NO_SYMLINKS), ELOOP);
    CHECK_ERR("BENEATH with ..", o2(sub, "../top", O_RDONLY, RESOLVE_BENEATH), EXDEV);
    CHECK_ERR("BENEATH with an absolute path", o2(sub, "/etc/hostname", O_RDONLY, RESOLVE_BENEATH), EXDEV);
    CHECK_ERR("BENEATH through a symlink going up", o2(sub, "up", O_RDONLY, RESOLVE_BENEATH), EXDEV);
    fd = o2(sub, "rel", O_RDONLY, RESOLVE_BENEATH);
    CHECK("BENEATH allows links that stay below", fd >= 0);
    close(fd);
    fd = o2(sub, "/f", O_RDONLY, RESOLVE_IN_ROOT);
    CHECK("IN_ROOT: / is the directory", fd >= 0);
    close(fd);
    fd = o2(sub, "abs", O_RDONLY, RESOLVE_IN_ROOT);
    CHECK("IN_ROOT: absolute links stay inside", fd >= 0);
    close(fd);
    fd = o2(sub, "../../../f", O_RDONLY, RESOLVE_IN_ROOT);
    CHECK("IN_ROOT: .. clamps at the directory", fd >= 0);
    close(fd);
    CHECK_ERR("NO_XDEV into /proc", o2(AT_FDCWD, "/proc/self/status", O_RDONLY, RESOLVE_NO_XDEV), EXDEV);
    CHECK_ERR("BENEATH|IN_ROOT", o2(sub, "f", O_RDONLY, RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL);
    CHECK_ERR("unknown resolve bit", o2(sub, "f", O_RDONLY, 0x1000), EINVAL);
    struct open_how bad_mode = {.flags = O_RDONLY, .mode = 0644};
    CHECK_ERR("mode without O_CREAT", syscall(SYS_openat2, sub, "f", &bad_mode, sizeof bad_mode), EINVAL);
    struct open_how small = {0};
    CHECK_ERR("size too small", syscall(SYS_openat2, sub, "f", &small, 8), EINVAL);
    struct {
        struct open_how how;
        unsigned long extra;
    } big = {{.flags = O_RDONLY}, 1};
    CHECK_ERR("non-zero tail of a larger struct", syscall(SYS_openat2, sub, "f", &big, sizeof big), E2BIG);
    big.extra = 0;
    fd = syscall(SYS_openat2, sub, "f", &big, sizeof big);
    CHECK("zero tail of a larger struct", fd >= 0);
    close(fd);
    fd = o2(sub, "new", O_CREAT | O_WRONLY, 0);
    CHECK("O_CREAT through openat2", fd >= 0);
    close(fd);
    close(sub);
    CHECK("cleanup", unlink("sub/new") == 0 && unlink("sub/f") == 0 && unlink("sub/rel") == 0 && unlink("sub/abs") == 0 &&
                         unlink("sub/up") == 0 && rmdir("sub") == 0 && unlink("top") == 0 && chdir("/") == 0 &&
                         rmdir(dir) == 0);
    return 0;
}
