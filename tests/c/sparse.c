/*
 * Sparse files: huge sizes cost nothing, holes read as zeroes, hole punching
 * and truncation give data back, SEEK_DATA/SEEK_HOLE find it, and offsets
 * near the largest file size are refused or shortened as Linux does.
 *
 * Three files: a memfd, one in /dev/shm (tmpfs) and one in the working
 * directory (natively a disk filesystem; in the sandbox the overlay's
 * in-memory upper layer). Sizes stay within what every one of them takes
 * (ext4 stops at 16 TiB). Never fallocate a huge range on the memfd: the
 * host's memfds have no size limit and would really allocate it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "common.h"

#define PAGE 4096L
#define TIB (1LL << 40)
#define MAX_OFF 0x7fffffffffffffffLL

static off_t blocks(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0)
        FAIL("fstat: %s", errname(errno));
    return st.st_blocks;
}

static off_t size(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0)
        FAIL("fstat: %s", errname(errno));
    return st.st_size;
}

static int all_are(const char *buf, size_t n, char c) {
    for (size_t i = 0; i < n; i++)
        if (buf[i] != c)
            return 0;
    return 1;
}

static void label(char *out, const char *what, const char *check) {
    snprintf(out, 128, "%s %s", what, check);
}

/* A huge sparse file, a write at its end, and where data and holes are. */
static void huge_and_sparse(const char *what, int fd, off_t big) {
    char l[128], buf[64];
    label(l, what, "truncate huge");
    CHECK(l, ftruncate(fd, big) == 0 && size(fd) == big);
    label(l, what, "no blocks");
    CHECK(l, blocks(fd) == 0);
    memset(buf, 1, sizeof buf);
    label(l, what, "hole reads zeroes");
    CHECK(l, pread(fd, buf, 16, big / 2) == 16 && all_are(buf, 16, 0));
    label(l, what, "read at the end");
    CHECK(l, pread(fd, buf, 16, big) == 0);
    label(l, what, "write near the end");
    CHECK(l, pwrite(fd, "hello", 5, big - 5) == 5 && size(fd) == big);
    label(l, what, "one block");
    CHECK(l, blocks(fd) > 0 && blocks(fd) <= 16);
    label(l, what, "read back");
    CHECK(l, pread(fd, buf, 10, big - 10) == 10 && all_are(buf, 5, 0) &&
                 memcmp(buf + 5, "hello", 5) == 0);
    label(l, what, "SEEK_DATA");
    CHECK(l, lseek(fd, 0, SEEK_DATA) == ((big - 5) & ~(PAGE - 1)));
    label(l, what, "SEEK_HOLE at 0");
    CHECK(l, lseek(fd, 0, SEEK_HOLE) == 0);
    label(l, what, "SEEK_HOLE in data");
    CHECK(l, lseek(fd, big - 3, SEEK_HOLE) == big);
    label(l, what, "SEEK_DATA at the end");
    CHECK_ERR(l, lseek(fd, big, SEEK_DATA), ENXIO);
    label(l, what, "SEEK_HOLE past the end");
    CHECK_ERR(l, lseek(fd, big + 1, SEEK_HOLE), ENXIO);
    label(l, what, "SEEK_DATA negative");
    CHECK_ERR(l, lseek(fd, -1, SEEK_DATA), ENXIO);
    label(l, what, "shrink to nothing");
    CHECK(l, ftruncate(fd, 0) == 0 && size(fd) == 0 && blocks(fd) == 0);
}

/* Data, then a hole punched through it, then truncation. */
static void punch_and_truncate(const char *what, int fd) {
    char l[128];
    static char buf[4 * PAGE];
    memset(buf, 'x', sizeof buf);
    label(l, what, "write 4 pages");
    CHECK(l, pwrite(fd, buf, sizeof buf, 0) == (ssize_t)sizeof buf);
    off_t before = blocks(fd);
    label(l, what, "punch without KEEP_SIZE");
    CHECK_ERR(l, fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, PAGE), EOPNOTSUPP);
    label(l, what, "punch");
    CHECK(l, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 2 * PAGE) == 0);
    label(l, what, "size kept");
    CHECK(l, size(fd) == 4 * PAGE);
    label(l, what, "a whole page given back");
    CHECK(l, blocks(fd) < before);
    memset(buf, 1, sizeof buf);
    label(l, what, "punched bytes read as zeroes");
    CHECK(l, pread(fd, buf, sizeof buf, 0) == (ssize_t)sizeof buf && all_are(buf, 100, 'x') &&
                 all_are(buf + 100, 2 * PAGE, 0) && all_are(buf + 100 + 2 * PAGE, 2 * PAGE - 100, 'x'));
    label(l, what, "SEEK_HOLE finds the punched page");
    CHECK(l, lseek(fd, 0, SEEK_HOLE) == PAGE);
    label(l, what, "SEEK_DATA after it");
    CHECK(l, lseek(fd, PAGE, SEEK_DATA) == 2 * PAGE);
    label(l, what, "truncate into a page");
    CHECK(l, ftruncate(fd, 10) == 0 && ftruncate(fd, 2 * PAGE) == 0);
    label(l, what, "regrown bytes are zeroes");
    CHECK(l, pread(fd, buf, 2 * PAGE, 0) == 2 * PAGE && all_are(buf, 10, 'x') &&
                 all_are(buf + 10, 2 * PAGE - 10, 0));
    label(l, what, "fallocate grows");
    CHECK(l, fallocate(fd, 0, 0, 64 * PAGE) == 0 && size(fd) == 64 * PAGE &&
                 blocks(fd) >= 64 * PAGE / 512);
    label(l, what, "fallocate KEEP_SIZE");
    CHECK(l, fallocate(fd, FALLOC_FL_KEEP_SIZE, 64 * PAGE, PAGE) == 0 && size(fd) == 64 * PAGE);
    label(l, what, "fallocate zero length");
    CHECK_ERR(l, fallocate(fd, 0, 0, 0), EINVAL);
    label(l, what, "fallocate negative offset");
    CHECK_ERR(l, fallocate(fd, 0, -1, PAGE), EINVAL);
    label(l, what, "truncate back");
    CHECK(l, ftruncate(fd, 0) == 0);
}

/* tmpfs takes files up to the largest offset. */
static void largest_offsets(const char *what, int fd) {
    char l[128], c = 0;
    label(l, what, "write the last byte");
    CHECK(l, pwrite(fd, "z", 1, MAX_OFF - 1) == 1 && size(fd) == MAX_OFF);
    label(l, what, "read the last byte");
    CHECK(l, pread(fd, &c, 1, MAX_OFF - 1) == 1 && c == 'z');
    label(l, what, "truncate to the largest size");
    CHECK(l, ftruncate(fd, MAX_OFF) == 0);
    label(l, what, "truncate negative");
    CHECK_ERR(l, ftruncate(fd, -1), EINVAL);
    label(l, what, "truncate back");
    CHECK(l, ftruncate(fd, 0) == 0);
}

/* Writes through a shared mapping are the file's data, and back. */
static void shared_mapping(const char *what, int fd) {
    char l[128], buf[8];
    label(l, what, "size for the mapping");
    CHECK(l, ftruncate(fd, 2 * PAGE) == 0);
    char *m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    label(l, what, "mmap");
    CHECK(l, m != MAP_FAILED);
    memcpy(m + PAGE + 1, "mapped", 6);
    label(l, what, "read sees the mapping's write");
    CHECK(l, pread(fd, buf, 6, PAGE + 1) == 6 && memcmp(buf, "mapped", 6) == 0);
    label(l, what, "mapping sees a write");
    CHECK(l, pwrite(fd, "written", 7, 3) == 7 && memcmp(m + 3, "written", 7) == 0);
    label(l, what, "punch shows through the mapping");
    CHECK(l, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PAGE) == 0 &&
                 all_are(m, PAGE, 0));
    munmap(m, 2 * PAGE);
    label(l, what, "truncate after unmapping");
    CHECK(l, ftruncate(fd, 0) == 0);
}

int main(void) {
    char shm[64], here[64];
    snprintf(shm, sizeof shm, "/dev/shm/sparse-%d", getpid());
    snprintf(here, sizeof here, "sparse-%d", getpid());
    int mem = memfd_create("sparse", 0);
    int tmp = open(shm, O_RDWR | O_CREAT | O_EXCL, 0600);
    int disk = open(here, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (mem < 0 || tmp < 0 || disk < 0)
        FAIL("open: %s", errname(errno));
    unlink(shm);
    unlink(here);

    huge_and_sparse("memfd", mem, 100 * TIB);
    huge_and_sparse("tmpfs", tmp, 100 * TIB);
    huge_and_sparse("cwd", disk, TIB);
    punch_and_truncate("memfd", mem);
    punch_and_truncate("tmpfs", tmp);
    punch_and_truncate("cwd", disk);
    largest_offsets("memfd", mem);
    largest_offsets("tmpfs", tmp);
    shared_mapping("memfd", mem);
    shared_mapping("tmpfs", tmp);
    /* More than the filesystem holds: refused up front, nothing allocated. */
    CHECK_ERR("tmpfs fallocate 100 TiB", fallocate(tmp, 0, 0, 100 * TIB), ENOSPC);
    CHECK("tmpfs unchanged", size(tmp) == 0 && blocks(tmp) == 0);
    return 0;
}
