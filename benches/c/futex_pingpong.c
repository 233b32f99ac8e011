/*
 * Thread wake-up latency through futexes: two threads take turns on a
 * shared word, each waking the other with FUTEX_WAKE and sleeping in
 * FUTEX_WAIT until its turn comes; argv[1] round trips in all, timed by
 * the main thread in rounds (see bench_util.h). The wake is made every
 * time, as the point is the futex path, not a lock's fast path.
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#define USAGE "futex_pingpong ROUND_TRIPS"

/* Whose turn it is. */
enum { MAIN_TURN, PARTNER_TURN };

static _Atomic int turn = MAIN_TURN;
static long trips;

static void futex_wait(int while_value) {
    /* EAGAIN: the turn changed before we slept; EINTR: look again. */
    if (syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, while_value, NULL, NULL, 0) != 0 &&
        errno != EAGAIN && errno != EINTR)
        die("futex", "wait");
}

static void futex_wake(void) {
    if (syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 0)
        die("futex", "wake");
}

/* Hands the turn to the other thread and sleeps until it comes back. */
static void pass(int mine, int theirs) {
    atomic_store(&turn, theirs);
    futex_wake();
    while (atomic_load(&turn) != mine)
        futex_wait(theirs);
}

static void *partner(void *arg) {
    while (atomic_load(&turn) != PARTNER_TURN)
        futex_wait(MAIN_TURN);
    for (long i = 1; i < trips; i++)
        pass(PARTNER_TURN, MAIN_TURN);
    /* The last hand-back: main waits for it, we need not wait again. */
    atomic_store(&turn, MAIN_TURN);
    futex_wake();
    return arg;
}

int main(int argc, char **argv) {
    trips = argc > 1 ? positive_arg(argv[1], USAGE) : 20000;
    pthread_t t;
    int err = pthread_create(&t, NULL, partner, NULL);
    if (err != 0) {
        errno = err;
        die("pthread_create", "");
    }
    struct rounds rs = {0};
    int rounds = rounds_for(trips);
    for (int r = 0; r < rounds; r++) {
        long calls = round_calls(trips, rounds, r);
        double a = now_ns();
        for (long i = 0; i < calls; i++)
            pass(MAIN_TURN, PARTNER_TURN);
        rounds_add(&rs, calls, now_ns() - a);
    }
    err = pthread_join(t, NULL);
    if (err != 0) {
        errno = err;
        die("pthread_join", "");
    }
    rounds_report(&rs);
    return 0;
}
