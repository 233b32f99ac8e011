/* The standard devices: /dev/null, zero, full, urandom, and the /dev/fd links. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void show(const char *path) {
    struct stat st;
    CHECK(path, stat(path, &st) == 0);
    printf("%s: chr %d %u:%u mode %o\n", path, S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev),
           st.st_mode & 0777);
}

int main(void) {
    char buf[64];
    memset(buf, 'x', sizeof buf);
    int null = open("/dev/null", O_RDWR);
    CHECK("open /dev/null", null >= 0);
    CHECK("write /dev/null", write(null, buf, sizeof buf) == sizeof buf);
    CHECK("read /dev/null is EOF", read(null, buf, sizeof buf) == 0);
    int zero = open("/dev/zero", O_RDONLY);
    CHECK("read /dev/zero", read(zero, buf, sizeof buf) == sizeof buf && buf[0] == 0 && buf[63] == 0);
    char *z = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, zero, 0);
    CHECK("mmap /dev/zero", z != MAP_FAILED && z[100] == 0);
    z[100] = 1;
    CHECK("private /dev/zero mapping is writable", z[100] == 1);
    int full = open("/dev/full", O_WRONLY);
    CHECK_ERR("write /dev/full", write(full, buf, 1), ENOSPC);
    int ur = open("/dev/urandom", O_RDONLY);
    memset(buf, 0, sizeof buf);
    CHECK("read /dev/urandom", read(ur, buf, 32) == 32);
    int nonzero = 0;
    for (int i = 0; i < 32; i++)
        nonzero |= buf[i];
    CHECK("random bytes", nonzero != 0);
    show("/dev/null");
    show("/dev/zero");
    show("/dev/full");
    show("/dev/random");
    show("/dev/urandom");
    char target[64] = {0};
    CHECK("/dev/fd link", readlink("/dev/fd", target, sizeof target) > 0);
    printf("/dev/fd -> %s\n", target);
    memset(target, 0, sizeof target);
    CHECK("/dev/stdout link", readlink("/dev/stdout", target, sizeof target) > 0);
    printf("/dev/stdout -> %s\n", target);
    struct stat st;
    CHECK("/dev/shm is a sticky directory", stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 01000));
    return 0;
}
