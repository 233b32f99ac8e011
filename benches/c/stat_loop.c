/*
 * Path lookup and attribute cost: stat(argv[1]) argv[2] times, in rounds
 * (see bench_util.h). The file should be an existing file in the root
 * file system, so that a sandbox serves it from its (gofer-backed) root
 * rather than from memory.
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include <sys/stat.h>

#define USAGE "stat_loop PATH ITERATIONS"

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s\n", USAGE);
        return 2;
    }
    const char *path = argv[1];
    long n = positive_arg(argv[2], USAGE);
    struct stat st;
    if (stat(path, &st) != 0)
        die("stat", path);
    struct rounds rs = {0};
    int rounds = rounds_for(n);
    for (int r = 0; r < rounds; r++) {
        long calls = round_calls(n, rounds, r);
        double a = now_ns();
        for (long i = 0; i < calls; i++) {
            if (stat(path, &st) != 0)
                die("stat", path);
        }
        rounds_add(&rs, calls, now_ns() - a);
    }
    printf("size: %lld\n", (long long)st.st_size);
    rounds_report(&rs);
    return 0;
}
