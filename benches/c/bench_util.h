/*
 * Shared helpers of the benchmark programs: argument parsing, the clock,
 * rounds and the result line.
 *
 * Every program's last line is "ns_per_call: <float>", which the bench
 * runner parses; the unit of a "call" is the program's own (one getpid,
 * one stat, one open+read+close, one MiB read, one file). The loop
 * programs split their iterations into rounds and report the median of
 * the rounds' ns per call, so that a burst of load from another process on
 * the machine spoils a round, not the result; the mean is printed too.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROUNDS 10

static inline double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* A positive count from argv, or exit 2 with the usage. */
static inline long positive_arg(const char *s, const char *usage) {
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (errno || *end || n <= 0) {
        fprintf(stderr, "bad count %s\nusage: %s\n", s, usage);
        exit(2);
    }
    return n;
}

/* Reports a failed call with errno's name and exits 1. */
static inline void die(const char *what, const char *path) {
    fprintf(stderr, "%s %s: %s (errno %d)\n", what, path, strerror(errno), errno);
    exit(1);
}

/* Timings of up to MAX_ROUNDS rounds. */
struct rounds {
    int count;
    long calls[MAX_ROUNDS];
    double ns[MAX_ROUNDS];
};

/* How many rounds n calls make: MAX_ROUNDS, fewer when n is smaller. */
static inline int rounds_for(long n) {
    return n < MAX_ROUNDS ? (int)n : MAX_ROUNDS;
}

/* Calls in round r of n calls split into `rounds` rounds. */
static inline long round_calls(long n, int rounds, int r) {
    return n / rounds + (r < n % rounds);
}

static inline void rounds_add(struct rounds *rs, long calls, double ns) {
    if (rs->count < MAX_ROUNDS) {
        rs->calls[rs->count] = calls;
        rs->ns[rs->count] = ns;
        rs->count++;
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/*
 * Prints the rounds and, last, "ns_per_call: <median of the rounds' ns per
 * call>" (the mean of the middle two for an even count).
 */
static inline void rounds_report(const struct rounds *rs) {
    double per[MAX_ROUNDS], total_ns = 0;
    long total_calls = 0;
    for (int i = 0; i < rs->count; i++) {
        per[i] = rs->ns[i] / (double)rs->calls[i];
        total_ns += rs->ns[i];
        total_calls += rs->calls[i];
    }
    qsort(per, (size_t)rs->count, sizeof per[0], cmp_double);
    int mid = rs->count / 2;
    double median = rs->count % 2 ? per[mid] : (per[mid - 1] + per[mid]) / 2;
    printf("calls: %ld\n", total_calls);
    printf("rounds: %d\n", rs->count);
    printf("min_ns_per_call: %.1f\n", per[0]);
    printf("max_ns_per_call: %.1f\n", per[rs->count - 1]);
    printf("mean_ns_per_call: %.1f\n", total_ns / (double)total_calls);
    printf("ns_per_call: %.1f\n", median);
}

/* The usual main loop: `call(arg)` n times, timed in rounds, then the report. */
static inline void time_calls(long n, void (*call)(void *), void *arg) {
    struct rounds rs = {0};
    int rounds = rounds_for(n);
    for (int r = 0; r < rounds; r++) {
        long calls = round_calls(n, rounds, r);
        double a = now_ns();
        for (long i = 0; i < calls; i++)
            call(arg);
        rounds_add(&rs, calls, now_ns() - a);
    }
    rounds_report(&rs);
}

#endif
