/*
 * Small-file read cost: argv[2] times open(argv[1]) + read of 4 KiB +
 * close, in rounds (see bench_util.h). The file must hold at least 4 KiB;
 * every read must return 4 KiB.
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include <fcntl.h>
#include <unistd.h>

#define USAGE "open_read_close PATH ITERATIONS"
#define SIZE 4096

static char buf[SIZE];

static void once(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open", path);
    ssize_t got = read(fd, buf, SIZE);
    if (got < 0)
        die("read", path);
    if (got != SIZE) {
        fprintf(stderr, "read %s: %zd bytes, want %d\n", path, got, SIZE);
        exit(1);
    }
    if (close(fd) != 0)
        die("close", path);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s\n", USAGE);
        return 2;
    }
    const char *path = argv[1];
    long n = positive_arg(argv[2], USAGE);
    once(path);
    struct rounds rs = {0};
    int rounds = rounds_for(n);
    for (int r = 0; r < rounds; r++) {
        long calls = round_calls(n, rounds, r);
        double a = now_ns();
        for (long i = 0; i < calls; i++)
            once(path);
        rounds_add(&rs, calls, now_ns() - a);
    }
    rounds_report(&rs);
    return 0;
}
