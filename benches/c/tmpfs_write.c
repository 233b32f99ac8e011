/*
 * Sequential writes to a fresh file on a tmpfs: each pass creates
 * DIR/<name> (O_CREAT|O_TRUNC), writes FILE_MIB MiB in BLOCK-byte writes,
 * checks the size with fstat, closes and unlinks it. SOURCE is "pattern"
 * (a buffer filled once: the write path alone) or a file to read each
 * block from before writing it, such as /dev/zero (what
 * `dd if=/dev/zero of=DIR/f bs=BLOCK count=...` does). Reports ns per MiB,
 * the median over the passes (each pass is a round).
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define USAGE "tmpfs_write DIR BLOCK_BYTES FILE_MIB PASSES pattern|SOURCE_FILE"
#define MIB (1L << 20)

/* Reads exactly n bytes (a short read from /dev/zero is legal). */
static void read_full(int fd, char *buf, long n, const char *path) {
    while (n > 0) {
        ssize_t got = read(fd, buf, (size_t)n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            die("read", path);
        if (got == 0) {
            fprintf(stderr, "read %s: unexpected end\n", path);
            exit(1);
        }
        buf += got;
        n -= got;
    }
}

static void write_full(int fd, const char *buf, long n, const char *path) {
    while (n > 0) {
        ssize_t put = write(fd, buf, (size_t)n);
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            die("write", path);
        buf += put;
        n -= put;
    }
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s\n", USAGE);
        return 2;
    }
    const char *dir = argv[1];
    long block = positive_arg(argv[2], USAGE);
    long file_mib = positive_arg(argv[3], USAGE);
    long passes = positive_arg(argv[4], USAGE);
    const char *source = argv[5];
    long size = file_mib * MIB;
    if (size % block) {
        fprintf(stderr, "the file size must be a multiple of the block\n");
        return 2;
    }
    char path[4096];
    if (snprintf(path, sizeof path, "%s/bench_tw_%d", dir, (int)getpid()) >= (int)sizeof path) {
        fprintf(stderr, "directory name too long: %s\n", dir);
        return 2;
    }
    char *buf = malloc((size_t)block);
    if (!buf) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (long i = 0; i < block; i++)
        buf[i] = (char)('a' + i % 26);
    int src = -1;
    if (strcmp(source, "pattern") != 0) {
        src = open(source, O_RDONLY | O_CLOEXEC);
        if (src < 0)
            die("open", source);
    }

    struct rounds rs = {0};
    int rounds = rounds_for(passes);
    for (int r = 0; r < rounds; r++) {
        long n = round_calls(passes, rounds, r);
        double a = now_ns();
        for (long p = 0; p < n; p++) {
            int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0)
                die("create", path);
            for (long off = 0; off < size; off += block) {
                if (src >= 0)
                    read_full(src, buf, block, source);
                write_full(fd, buf, block, path);
            }
            struct stat st;
            if (fstat(fd, &st) != 0)
                die("fstat", path);
            if (st.st_size != size) {
                fprintf(stderr, "%s: size %lld, want %ld\n", path, (long long)st.st_size, size);
                return 1;
            }
            if (close(fd) != 0)
                die("close", path);
            if (unlink(path) != 0)
                die("unlink", path);
        }
        rounds_add(&rs, n * file_mib, now_ns() - a);
    }
    printf("file_mib: %ld\nblock_bytes: %ld\nsource: %s\n", file_mib, block, source);
    rounds_report(&rs);
    return 0;
}
