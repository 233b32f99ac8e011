/*
 * Syscall round-trip cost: argv[1] iterations of a raw getpid (raw, so no
 * libc caching), timed with CLOCK_MONOTONIC in rounds (see bench_util.h).
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include <sys/syscall.h>
#include <unistd.h>

#define USAGE "getpid_loop ITERATIONS"

int main(int argc, char **argv) {
    long n = argc > 1 ? positive_arg(argv[1], USAGE) : 100000;
    struct rounds rs = {0};
    int rounds = rounds_for(n);
    for (int r = 0; r < rounds; r++) {
        long calls = round_calls(n, rounds, r);
        double a = now_ns();
        for (long i = 0; i < calls; i++)
            syscall(SYS_getpid);
        rounds_add(&rs, calls, now_ns() - a);
    }
    rounds_report(&rs);
    return 0;
}
