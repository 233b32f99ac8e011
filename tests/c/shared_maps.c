/* Shared file mappings: what one mapping writes, read(2) and other mappings
 * (in this process and in others, mapped before or after fork) see; what
 * write(2) writes, mappings see; msync and munmap keep the data in the file;
 * POSIX shared memory and memfd between processes; msync's errors. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int run_child(void (*body)(void)) {
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        body();
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static char path[] = "/tmp/shared-maps-XXXXXX";
static char *map1;

static void child_writes_mapping(void) { strcpy(map1 + 100, "from the child"); }

static void child_maps_shm(void) {
    int fd = shm_open("/compat-shm", O_RDWR, 0);
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (fd < 0 || m == MAP_FAILED)
        _exit(1);
    strcpy(m, "child via shm");
    munmap(m, 4096);
}

int main(void) {
    int fd = mkstemp(path);
    CHECK("mkstemp", fd >= 0);
    CHECK("size it", ftruncate(fd, 8192) == 0);
    map1 = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *map2 = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
    CHECK("two shared mappings", map1 != MAP_FAILED && map2 != MAP_FAILED);

    strcpy(map1, "through the mapping");
    CHECK("the other mapping sees it", strcmp(map2, "through the mapping") == 0);
    char buf[64] = {0};
    CHECK("read(2) sees it", pread(fd, buf, 19, 0) == 19 && strcmp(buf, "through the mapping") == 0);
    CHECK("pwrite", pwrite(fd, "by write", 8, 4096) == 8);
    CHECK("the mappings see write(2)", memcmp(map1 + 4096, "by write", 8) == 0 && memcmp(map2 + 4096, "by write", 8) == 0);

    CHECK("a child writes its inherited mapping", run_child(child_writes_mapping));
    CHECK("the parent sees it", strcmp(map1 + 100, "from the child") == 0);

    CHECK("msync MS_SYNC", msync(map1, 8192, MS_SYNC) == 0);
    CHECK("msync MS_ASYNC", msync(map1, 4096, MS_ASYNC) == 0);
    CHECK_ERR("msync both", msync(map1, 4096, MS_SYNC | MS_ASYNC), EINVAL);
    CHECK_ERR("msync unaligned", msync(map1 + 1, 4096, MS_SYNC), EINVAL);
    CHECK_ERR("msync unknown flag", msync(map1, 4096, 64), EINVAL);
    CHECK("munmap both", munmap(map1, 8192) == 0 && munmap(map2, 8192) == 0);
    CHECK_ERR("msync of unmapped memory", msync(map1, 4096, MS_SYNC), ENOMEM);
    close(fd);
    fd = open(path, O_RDONLY);
    memset(buf, 0, sizeof buf);
    CHECK("the file keeps what mappings wrote", pread(fd, buf, 14, 100) == 14 && strcmp(buf, "from the child") == 0);
    struct stat st;
    CHECK("a mapping does not change the size", fstat(fd, &st) == 0 && st.st_size == 8192);
    close(fd);
    unlink(path);

    int shm = shm_open("/compat-shm", O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK("shm_open", shm >= 0 && ftruncate(shm, 4096) == 0);
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0);
    CHECK("a child maps the same shm on its own", run_child(child_maps_shm));
    CHECK("the parent's mapping sees its write", strcmp(m, "child via shm") == 0);
    CHECK("shm_unlink", shm_unlink("/compat-shm") == 0);

    int mfd = memfd_create("compat", 0);
    CHECK("memfd", mfd >= 0 && ftruncate(mfd, 4096) == 0);
    char *mm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    mm[0] = 'a';
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        mm[0] = 'b';
        _exit(0);
    }
    waitpid(c, NULL, 0);
    char b;
    CHECK("memfd: the child's write reaches the parent and the file", mm[0] == 'b' && pread(mfd, &b, 1, 0) == 1 && b == 'b');
    return 0;
}
