/*
 * Sequential read throughput: reads argv[1] from start to end with a 1 MiB
 * buffer, argv[2] times (passes), and reports ns per MiB (the median of
 * the rounds, see bench_util.h; a round is one or more passes) and the
 * mean MB/s. Every pass opens the file afresh; the first and the last byte
 * of every read are checked against the pattern the bench runner writes, so a runtime
 * cannot win by returning the wrong data (or none: the byte count of every
 * pass must equal the file's size).
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#define USAGE "seq_read PATH PASSES"
#define BUF (1L << 20)

/* The runner's pattern: the byte at offset o. */
static inline uint8_t pattern(uint64_t o) {
    return (uint8_t)((o % 251) ^ (o >> 20));
}

static char buf[BUF] __attribute__((aligned(4096)));

static void check(const char *path, uint64_t off, uint64_t at) {
    uint8_t got = (uint8_t)buf[at - off], want = pattern(at);
    if (got != want) {
        fprintf(stderr, "%s: byte %llu is %u, want %u\n", path, (unsigned long long)at, got,
                want);
        exit(1);
    }
}

/* One pass; returns the bytes read. */
static uint64_t pass(const char *path, uint64_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open", path);
    uint64_t off = 0;
    for (;;) {
        ssize_t got = read(fd, buf, BUF);
        if (got < 0)
            die("read", path);
        if (got == 0)
            break;
        check(path, off, off);
        check(path, off, off + (uint64_t)got - 1);
        off += (uint64_t)got;
    }
    if (close(fd) != 0)
        die("close", path);
    if (off != size) {
        fprintf(stderr, "%s: read %llu bytes, the file has %llu\n", path,
                (unsigned long long)off, (unsigned long long)size);
        exit(1);
    }
    return off;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s\n", USAGE);
        return 2;
    }
    const char *path = argv[1];
    long passes = positive_arg(argv[2], USAGE);
    struct stat st;
    if (stat(path, &st) != 0)
        die("stat", path);
    if (st.st_size <= 0) {
        fprintf(stderr, "%s is empty\n", path);
        return 1;
    }
    /*
     * The rounds count passes; a round's time is scaled to ns per MiB of
     * one pass, so the rounds' ns per call is ns per MiB.
     */
    double mib = (double)st.st_size / (double)BUF;
    struct rounds rs = {0};
    int rounds = rounds_for(passes);
    uint64_t total = 0;
    double all = 0;
    for (int r = 0; r < rounds; r++) {
        long k = round_calls(passes, rounds, r);
        double a = now_ns();
        for (long i = 0; i < k; i++)
            total += pass(path, (uint64_t)st.st_size);
        double ns = now_ns() - a;
        all += ns;
        rounds_add(&rs, k, ns / mib);
    }
    printf("passes: %ld\n", passes);
    printf("bytes: %llu\n", (unsigned long long)total);
    printf("mean_mb_per_s: %.1f\n", (double)total / all * 1e3);
    rounds_report(&rs);
    return 0;
}
