/*
 * Thread creation and teardown: argv[1] x (pthread_create of a thread
 * that returns at once, pthread_join), timed in rounds (see
 * bench_util.h). glibc reuses the joined thread's stack, so this is
 * mostly clone, the exit's futex wake and the join's futex wait.
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include <pthread.h>

#define USAGE "thread_create ITERATIONS"

static void *nothing(void *arg) {
    return arg;
}

/* pthread_create + pthread_join, checked. */
static void create_join(void) {
    pthread_t t;
    int err = pthread_create(&t, NULL, nothing, NULL);
    if (err != 0) {
        errno = err;
        die("pthread_create", "");
    }
    err = pthread_join(t, NULL);
    if (err != 0) {
        errno = err;
        die("pthread_join", "");
    }
}

int main(int argc, char **argv) {
    long n = argc > 1 ? positive_arg(argv[1], USAGE) : 10000;
    struct rounds rs = {0};
    int rounds = rounds_for(n);
    for (int r = 0; r < rounds; r++) {
        long calls = round_calls(n, rounds, r);
        double a = now_ns();
        for (long i = 0; i < calls; i++)
            create_join();
        rounds_add(&rs, calls, now_ns() - a);
    }
    rounds_report(&rs);
    return 0;
}
