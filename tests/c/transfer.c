/* sendfile, copy_file_range, splice, tee, memfd_create and fallocate. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

static int make(const char *name, const char *text) {
    int fd = open(name, O_CREAT | O_TRUNC | O_RDWR, 0644);
    if (text)
        write(fd, text, strlen(text));
    return fd;
}

static void expect(const char *label, int fd, const char *want) {
    char buf[128] = {0};
    long n = pread(fd, buf, sizeof buf - 1, 0);
    CHECK(label, n == (long)strlen(want) && memcmp(buf, want, n) == 0);
}

int main(void) {
    char dir[] = "/tmp/compat-transfer-XXXXXX";
    CHECK("mkdtemp", mkdtemp(dir) != NULL && chdir(dir) == 0);
    int src = make("src", "0123456789abcdef"), dst = make("dst", NULL);
    lseek(src, 0, SEEK_SET);
    CHECK("sendfile", sendfile(dst, src, NULL, 10) == 10);
    CHECK("source offset moved", lseek(src, 0, SEEK_CUR) == 10);
    expect("sendfile copied", dst, "0123456789");
    off_t off = 12;
    CHECK("sendfile with offset", sendfile(dst, src, &off, 100) == 4 && off == 16);
    CHECK("source offset untouched", lseek(src, 0, SEEK_CUR) == 10);
    expect("sendfile appended", dst, "0123456789cdef");

    int cpy = make("copy", NULL);
    loff_t in = 2, out = 0;
    CHECK("copy_file_range", copy_file_range(src, &in, cpy, &out, 5, 0) == 5 && in == 7 && out == 5);
    expect("copied range", cpy, "23456");
    CHECK_ERR("copy_file_range flags", copy_file_range(src, NULL, cpy, NULL, 1, 1), EINVAL);

    int p[2], q[2];
    CHECK("pipes", pipe(p) == 0 && pipe(q) == 0);
    loff_t from = 10;
    CHECK("splice file to pipe", splice(src, &from, p[1], NULL, 6, 0) == 6 && from == 16);
    CHECK("tee pipe to pipe", tee(p[0], q[1], 6, 0) == 6);
    int spl = make("spliced", NULL);
    CHECK("splice pipe to file", splice(p[0], NULL, spl, NULL, 6, 0) == 6);
    expect("spliced data", spl, "abcdef");
    char buf[16] = {0};
    CHECK("tee left a copy", read(q[0], buf, sizeof buf) == 6 && memcmp(buf, "abcdef", 6) == 0);
    CHECK_ERR("splice without a pipe", splice(src, NULL, dst, NULL, 1, 0), EINVAL);
    CHECK_ERR("splice offset on a pipe", splice(p[0], &from, dst, NULL, 1, 0), ESPIPE);
    CHECK_ERR("tee between files", tee(src, dst, 1, 0), EINVAL);
    CHECK_ERR("splice nonblocking from empty pipe", splice(p[0], NULL, dst, NULL, 1, SPLICE_F_NONBLOCK), EAGAIN);

    int m = memfd_create("test", MFD_CLOEXEC);
    CHECK("memfd_create", m >= 0 && fcntl(m, F_GETFD) == FD_CLOEXEC);
    CHECK("memfd write", write(m, "memory", 6) == 6);
    struct stat st;
    CHECK("memfd is a regular file", fstat(m, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 6);
    CHECK("memfd ftruncate", ftruncate(m, 8192) == 0);
    char *map = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, m, 0);
    CHECK("memfd mmap", map != MAP_FAILED && memcmp(map, "memory", 6) == 0 && map[8191] == 0);
    CHECK_ERR("memfd bad flags", memfd_create("x", 0x1000), EINVAL);

    int fa = make("alloc", "abcdefgh");
    CHECK("fallocate extends", fallocate(fa, 0, 0, 100) == 0 && fstat(fa, &st) == 0 && st.st_size == 100);
    CHECK("fallocate KEEP_SIZE", fallocate(fa, FALLOC_FL_KEEP_SIZE, 0, 200) == 0 && fstat(fa, &st) == 0 && st.st_size == 100);
    CHECK("punch hole", fallocate(fa, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2, 3) == 0);
    CHECK("hole reads zero", pread(fa, buf, 8, 0) == 8 && memcmp(buf, "ab\0\0\0fgh", 8) == 0);
    CHECK_ERR("fallocate zero length", fallocate(fa, 0, 0, 0), EINVAL);
    CHECK_ERR("fallocate on a pipe", fallocate(p[1], 0, 0, 10), ESPIPE);

    CHECK("cleanup", unlink("src") == 0 && unlink("dst") == 0 && unlink("copy") == 0 && unlink("spliced") == 0 &&
                         unlink("alloc") == 0 && chdir("/") == 0 && rmdir(dir) == 0);
    return 0;
}
