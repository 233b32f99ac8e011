/*
 * Syscall round-trip cost: argv[1] iterations of a raw getpid (raw, so no
 * libc caching), timed with CLOCK_MONOTONIC in rounds (see bench_util.h).
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include <sys/syscall.h>
#include <unistd.h>

#define USAGE "getpid_loop ITERATIONS"

static void one_getpid(void *arg) {
    (void)arg;
    syscall(SYS_getpid);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? positive_arg(argv[1], USAGE) : 100000;
    time_calls(n, one_getpid, NULL);
    return 0;
}
