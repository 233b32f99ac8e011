/*
 * Offsets at the ends of the 64-bit range: pread/pwrite/preadv/pwritev,
 * splice, copy_file_range and sendfile with negative offsets or offsets whose
 * sum with the count overflows (Linux's rw_verify_area: EINVAL), lseek past
 * the maximum, fallocate wrapping past 2^63 (EFBIG). On a memfd, a file in
 * /dev/shm (tmpfs), one in /tmp and one in the working directory.
 *
 * With the argument "sparse", also writes and truncates at 1 TiB and at the
 * very end of tmpfs's range (LLONG_MAX), which only sparse file storage can
 * hold (in the sandbox, every file here, the root's overlay included, keeps
 * its data in the sentry's tmpfs storage).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "common.h"

#define TIB (1LL << 40)

static char buf[64];

static void label(char *out, const char *where, const char *what) {
    snprintf(out, 128, "%s %s", where, what);
}

/* Checks that hold on every filesystem. */
static void common_checks(const char *where, int fd) {
    char l[128];
    struct iovec iov = {buf, 10};
    int p[2];
    loff_t off;
    if (pwrite(fd, "0123456789", 10, 0) != 10)
        FAIL("%s: seed write", where);

    label(l, where, "pread negative");
    CHECK_ERR(l, pread(fd, buf, 10, -1), EINVAL);
    label(l, where, "pread overflow");
    CHECK_ERR(l, pread(fd, buf, 10, INT64_MAX - 5), EINVAL);
    label(l, where, "pread INT64_MIN");
    CHECK_ERR(l, pread(fd, buf, 10, INT64_MIN), EINVAL);
    label(l, where, "pread near the end is EOF");
    CHECK(l, pread(fd, buf, 10, INT64_MAX - 20) == 0);
    label(l, where, "pread count 0 at INT64_MAX");
    CHECK(l, pread(fd, buf, 0, INT64_MAX) == 0);
    /* The buffer is checked first (access_ok), then the range. */
    label(l, where, "pread of a buffer past the address space");
    CHECK_ERR(l, syscall(SYS_pread64, fd, buf, SIZE_MAX, INT64_MAX - 5), EFAULT);
    label(l, where, "pread of 4 GiB overflowing");
    CHECK_ERR(l, syscall(SYS_pread64, fd, buf, 1ULL << 32, INT64_MAX - 100), EINVAL);
    label(l, where, "read of a buffer past the address space");
    CHECK_ERR(l, syscall(SYS_read, fd, buf, SIZE_MAX), EFAULT);
    label(l, where, "pwrite of a buffer past the address space");
    CHECK_ERR(l, syscall(SYS_pwrite64, fd, buf, SIZE_MAX, 0), EFAULT);
    label(l, where, "pwrite of 4 GiB overflowing");
    CHECK_ERR(l, syscall(SYS_pwrite64, fd, buf, 1ULL << 32, INT64_MAX - 100), EINVAL);
    label(l, where, "pwrite negative");
    CHECK_ERR(l, pwrite(fd, buf, 10, -1), EINVAL);
    label(l, where, "pwrite overflow");
    CHECK_ERR(l, pwrite(fd, buf, 10, INT64_MAX - 5), EINVAL);
    label(l, where, "pwrite overflow by one");
    CHECK_ERR(l, pwrite(fd, buf, 10, INT64_MAX - 8), EINVAL);
    label(l, where, "preadv negative");
    CHECK_ERR(l, preadv(fd, &iov, 1, -5), EINVAL);
    label(l, where, "preadv overflow");
    CHECK_ERR(l, preadv(fd, &iov, 1, INT64_MAX - 5), EINVAL);
    label(l, where, "pwritev negative");
    CHECK_ERR(l, pwritev(fd, &iov, 1, -5), EINVAL);
    label(l, where, "pwritev overflow");
    CHECK_ERR(l, pwritev(fd, &iov, 1, INT64_MAX - 5), EINVAL);
    label(l, where, "pwritev2 overflow");
    CHECK_ERR(l, pwritev2(fd, &iov, 1, INT64_MAX - 5, 0), EINVAL);
    label(l, where, "preadv2 overflow");
    CHECK_ERR(l, preadv2(fd, &iov, 1, INT64_MAX - 5, 0), EINVAL);

    if (pipe(p) != 0)
        FAIL("pipe");
    label(l, where, "splice from negative");
    off = -1;
    CHECK_ERR(l, splice(fd, &off, p[1], NULL, 10, 0), EINVAL);
    label(l, where, "splice from overflow");
    off = INT64_MAX - 5;
    CHECK_ERR(l, splice(fd, &off, p[1], NULL, 10, 0), EINVAL);
    label(l, where, "splice from near the end is EOF");
    off = INT64_MAX - 20;
    CHECK(l, splice(fd, &off, p[1], NULL, 10, SPLICE_F_NONBLOCK) == 0);
    if (write(p[1], "abcdefghij", 10) != 10)
        FAIL("pipe write");
    label(l, where, "splice to negative");
    off = -1;
    CHECK_ERR(l, splice(p[0], NULL, fd, &off, 10, 0), EINVAL);
    label(l, where, "splice to overflow");
    off = INT64_MAX - 5;
    CHECK_ERR(l, splice(p[0], NULL, fd, &off, 10, 0), EINVAL);
    close(p[0]);
    close(p[1]);

    /* Linux checks copy_file_range's offsets for wrapping as unsigned sums. */
    label(l, where, "copy_file_range in negative");
    off = -1;
    CHECK_ERR(l, copy_file_range(fd, &off, fd, NULL, 10, 0), EOVERFLOW);
    label(l, where, "copy_file_range out negative");
    off = -1;
    loff_t zero = 0;
    CHECK_ERR(l, copy_file_range(fd, &zero, fd, &off, 10, 0), EOVERFLOW);
    label(l, where, "copy_file_range from near the end is EOF");
    off = INT64_MAX - 5;
    loff_t o2 = 100;
    CHECK(l, copy_file_range(fd, &off, fd, &o2, 10, 0) == 0 && off == INT64_MAX - 5);

    int out = open("/dev/null", O_WRONLY);
    label(l, where, "sendfile negative");
    off = -1;
    CHECK_ERR(l, sendfile(out, fd, &off, 10), EINVAL);
    label(l, where, "sendfile overflow");
    off = INT64_MAX - 5;
    CHECK_ERR(l, sendfile(out, fd, &off, 10), EINVAL);
    close(out);

    label(l, where, "lseek negative");
    CHECK_ERR(l, lseek(fd, -1, SEEK_SET), EINVAL);
    label(l, where, "lseek SEEK_END negative");
    CHECK_ERR(l, lseek(fd, -11, SEEK_END), EINVAL);
    if (lseek(fd, 5, SEEK_SET) != 5)
        FAIL("lseek 5");
    label(l, where, "lseek SEEK_CUR wraps");
    CHECK_ERR(l, lseek(fd, INT64_MAX, SEEK_CUR), EINVAL);
    label(l, where, "lseek SEEK_END wraps");
    CHECK_ERR(l, lseek(fd, INT64_MAX, SEEK_END), EINVAL);
    label(l, where, "lseek SEEK_CUR INT64_MIN");
    CHECK_ERR(l, lseek(fd, INT64_MIN, SEEK_CUR), EINVAL);
    label(l, where, "offset unchanged after failed seeks");
    CHECK(l, lseek(fd, 0, SEEK_CUR) == 5);

    label(l, where, "fallocate wraps");
    CHECK_ERR(l, fallocate(fd, 0, INT64_MAX - 5, 10), EFBIG);
    label(l, where, "fallocate KEEP_SIZE wraps");
    CHECK_ERR(l, fallocate(fd, FALLOC_FL_KEEP_SIZE, INT64_MAX - 5, 10), EFBIG);
    label(l, where, "fallocate negative offset");
    CHECK_ERR(l, fallocate(fd, 0, -1, 10), EINVAL);
    label(l, where, "ftruncate negative");
    CHECK_ERR(l, ftruncate(fd, -1), EINVAL);

    struct stat st;
    label(l, where, "size unchanged");
    CHECK(l, fstat(fd, &st) == 0 && st.st_size == 10);
}

/* Checks of tmpfs's range (its maximum file size is LLONG_MAX). */
static void tmpfs_checks(const char *where, int fd) {
    char l[128];
    label(l, where, "lseek to INT64_MAX");
    CHECK(l, lseek(fd, INT64_MAX, SEEK_SET) == INT64_MAX);
    label(l, where, "lseek SEEK_CUR +1 past the maximum");
    CHECK_ERR(l, lseek(fd, 1, SEEK_CUR), EINVAL);
    label(l, where, "read at INT64_MAX overflows");
    CHECK_ERR(l, read(fd, buf, 10), EINVAL);
    label(l, where, "read of nothing at INT64_MAX");
    CHECK(l, read(fd, buf, 0) == 0);
    label(l, where, "write at INT64_MAX overflows");
    CHECK_ERR(l, write(fd, buf, 1), EINVAL);
}

/* Writes at sparse offsets: 1 TiB everywhere. */
static void sparse_checks(const char *where, int fd) {
    char l[128];
    struct stat st;
    label(l, where, "pwrite at 1 TiB");
    CHECK(l, pwrite(fd, "xyz", 3, TIB) == 3);
    label(l, where, "size after pwrite at 1 TiB");
    CHECK(l, fstat(fd, &st) == 0 && st.st_size == TIB + 3);
    label(l, where, "pread back at 1 TiB");
    CHECK(l, pread(fd, buf, 10, TIB - 2) == 5 && memcmp(buf, "\0\0xyz", 5) == 0);
    label(l, where, "hole reads as zeros");
    CHECK(l, pread(fd, buf, 4, TIB / 2) == 4 && memcmp(buf, "\0\0\0\0", 4) == 0);
    label(l, where, "ftruncate to 2 TiB");
    CHECK(l, ftruncate(fd, 2 * TIB) == 0 && fstat(fd, &st) == 0 && st.st_size == 2 * TIB);
    label(l, where, "lseek+write at 1 TiB + 10");
    CHECK(l, lseek(fd, TIB + 10, SEEK_SET) == TIB + 10 && write(fd, "w", 1) == 1);
    label(l, where, "ftruncate back");
    CHECK(l, ftruncate(fd, 10) == 0 && fstat(fd, &st) == 0 && st.st_size == 10);
}

/* tmpfs only: the very end of its range. */
static void sparse_tmpfs_checks(const char *where, int fd) {
    char l[128];
    struct stat st;
    label(l, where, "pwrite ending at INT64_MAX");
    CHECK(l, pwrite(fd, "ab", 2, INT64_MAX - 2) == 2);
    label(l, where, "size INT64_MAX");
    CHECK(l, fstat(fd, &st) == 0 && st.st_size == INT64_MAX);
    label(l, where, "pwrite past INT64_MAX");
    CHECK_ERR(l, pwrite(fd, "cd", 2, INT64_MAX - 1), EINVAL);
    label(l, where, "pwrite of the last byte");
    CHECK(l, pwrite(fd, "c", 1, INT64_MAX - 1) == 1);
    label(l, where, "pwrite at INT64_MAX");
    CHECK_ERR(l, pwrite(fd, "e", 1, INT64_MAX), EINVAL);
    label(l, where, "pwrite of nothing at INT64_MAX");
    CHECK(l, pwrite(fd, "e", 0, INT64_MAX) == 0);
    label(l, where, "read of the last bytes");
    CHECK(l, pread(fd, buf, 2, INT64_MAX - 2) == 2 && memcmp(buf, "ac", 2) == 0);
    label(l, where, "ftruncate back");
    CHECK(l, ftruncate(fd, 10) == 0 && fstat(fd, &st) == 0 && st.st_size == 10);
    /* A copy to the end of the range is cut to fit. */
    label(l, where, "copy_file_range to the end is cut");
    loff_t in = 0, out = INT64_MAX - 5;
    CHECK(l, copy_file_range(fd, &in, fd, &out, 10, 0) == 5 && out == INT64_MAX);
    label(l, where, "copy_file_range past the end");
    in = 0;
    CHECK_ERR(l, copy_file_range(fd, &in, fd, &out, 10, 0), EFBIG);
    label(l, where, "ftruncate to INT64_MAX");
    CHECK(l, ftruncate(fd, INT64_MAX) == 0);
    label(l, where, "ftruncate back");
    CHECK(l, ftruncate(fd, 10) == 0 && fstat(fd, &st) == 0 && st.st_size == 10);
}

static int open_file(const char *path) {
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        FAIL("open %s: %s", path, errname(errno));
    unlink(path);
    return fd;
}

int main(int argc, char **argv) {
    int sparse = argc > 1 && strcmp(argv[1], "sparse") == 0;
    char cwdfile[64], shmfile[64], tmpfile[64];
    snprintf(cwdfile, sizeof cwdfile, "big_offsets.%d", getpid());
    snprintf(shmfile, sizeof shmfile, "/dev/shm/big_offsets.%d", getpid());
    snprintf(tmpfile, sizeof tmpfile, "/tmp/big_offsets.%d", getpid());

    int memfd = memfd_create("big", 0);
    if (memfd < 0)
        FAIL("memfd_create");
    int shm = open_file(shmfile), tmp = open_file(tmpfile), root = open_file(cwdfile);

    common_checks("memfd", memfd);
    common_checks("shm", shm);
    common_checks("tmp", tmp);
    common_checks("root", root);
    tmpfs_checks("memfd", memfd);
    tmpfs_checks("shm", shm);
    if (sparse) {
        sparse_checks("root", root);
        sparse_checks("tmp", tmp);
        sparse_checks("memfd", memfd);
        sparse_checks("shm", shm);
        sparse_tmpfs_checks("memfd", memfd);
        sparse_tmpfs_checks("shm", shm);
    }
    /* ext4 (the host's /tmp and root here) caps files at 16 TiB: a copy
     * there is refused, where tmpfs cuts it (sparse part above). */
    printf("done\n");
    return 0;
}
