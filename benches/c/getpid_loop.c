/*
 * Syscall round-trip cost: argv[1] iterations of a raw getpid (raw, so no
 * libc caching), timed with CLOCK_MONOTONIC. The last line is parsed by the
 * bench runner: "ns_per_call: <float>".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 100000;
    if (n <= 0) {
        fprintf(stderr, "usage: getpid_loop ITERATIONS\n");
        return 2;
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++)
        syscall(SYS_getpid);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
    printf("iterations: %ld\n", n);
    printf("ns_per_call: %.1f\n", ns / (double)n);
    return 0;
}
