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

static void one_create_join(void *arg) {
    (void)arg;
    create_join();
}

int main(int argc, char **argv) {
    long n = argc > 1 ? positive_arg(argv[1], USAGE) : 10000;
    time_calls(n, one_create_join, NULL);
    return 0;
}
