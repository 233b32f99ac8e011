/*
 * Reading /proc/self/fd a few entries at a time while closing the listed
 * descriptors (what CPython's subprocess does in the child when close_range
 * cannot cover a range): no descriptor is skipped, as Linux positions the
 * entries by descriptor number.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "common.h"

struct dirent64_ {
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

static int count_open(int upto) {
    int n = 0;
    for (int fd = 0; fd < upto; fd++)
        n += fcntl(fd, F_GETFD) != -1;
    return n;
}

int main(void) {
    for (int fd = 3; fd < 64; fd++)
        close(fd);
    for (int i = 0; i < 20; i++)
        if (open("/dev/null", O_RDONLY) < 0)
            FAIL("open");
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
    if (dir < 0)
        FAIL("open /proc/self/fd");
    char buf[120]; /* room for a few entries per call */
    int calls = 0, closed = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
        if (n < 0)
            FAIL("getdents64: %s", errname(errno));
        if (n == 0)
            break;
        calls++;
        for (long at = 0; at < n;) {
            struct dirent64_ *d = (struct dirent64_ *)(buf + at);
            int fd = atoi(d->name);
            if (d->name[0] != '.' && fd > 2 && fd != dir && close(fd) == 0)
                closed++;
            at += d->reclen;
        }
    }
    CHECK("several getdents64 calls", calls > 3);
    CHECK("every descriptor listed was closed", closed >= 20);
    CHECK("only 0, 1, 2 and the directory stay", count_open(64) == 4);
    /* Seeking back to the start lists what is left. */
    lseek(dir, 0, SEEK_SET);
    long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
    CHECK("relisted from the start", n > 0);
    printf("done\n");
    return 0;
}
