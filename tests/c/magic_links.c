/* /proc/self/fd/N and /dev/fd/N are magic links: opening one opens the same
 * file (a pipe end, a file that was unlinked, a directory) rather than
 * looking its name up again; /proc/self/cwd leads to the working directory. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    int p[2];
    CHECK("pipe", pipe(p) == 0);
    char path[64], buf[16] = {0};
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
    int r = open(path, O_RDONLY);
    CHECK("reopen the read end through /proc/self/fd", r >= 0);
    CHECK("write", write(p[1], "through", 7) == 7);
    CHECK("the reopened end reads the pipe", read(r, buf, sizeof buf) == 7 && memcmp(buf, "through", 7) == 0);
    close(r);
    snprintf(path, sizeof path, "/dev/fd/%d", p[0]);
    r = open(path, O_RDONLY);
    CHECK("and through /dev/fd", r >= 0 && write(p[1], "x", 1) == 1 && read(r, buf, 1) == 1 && buf[0] == 'x');
    close(r);

    char tmpl[] = "/tmp/magic-XXXXXX";
    int fd = mkstemp(tmpl);
    CHECK("mkstemp", fd >= 0 && write(fd, "kept", 4) == 4);
    CHECK("unlink it", unlink(tmpl) == 0);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    r = open(path, O_RDONLY);
    memset(buf, 0, sizeof buf);
    CHECK("an unlinked file reopens through its fd link", r >= 0 && read(r, buf, 4) == 4 && strcmp(buf, "kept") == 0);
    char link[128] = {0};
    CHECK("its link text says deleted", readlink(path, link, sizeof link - 1) > 0 && strstr(link, "(deleted)") != NULL);
    close(r);

    CHECK("chdir /tmp", chdir("/tmp") == 0);
    struct stat a, b;
    CHECK("/proc/self/cwd is the working directory", stat("/proc/self/cwd", &a) == 0 && stat("/tmp", &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    int d = open("/proc/self/cwd/.", O_RDONLY | O_DIRECTORY);
    CHECK("a path through it", d >= 0);
    return 0;
}
