/* Threads that come and go: each new thread has its own tid, TLS, FP state
 * and signals, whether it runs on fresh resources or on those an ended
 * thread left (the sandbox keeps some); then fork and exec after threads
 * have ended. */
#define _GNU_SOURCE
#include "common.h"
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static __thread long tls_value;
static __thread volatile pid_t handled_in;

static void on_usr1(int sig) {
    (void)sig;
    handled_in = syscall(SYS_gettid);
}

struct result {
    pid_t tid;
    long tls_before;
    double fp;
    pid_t handled;
};

static void *work(void *arg) {
    struct result *r = arg;
    r->tid = syscall(SYS_gettid);
    r->tls_before = tls_value;
    tls_value = r->tid;
    volatile double x = 1.0;
    for (int i = 0; i < 1000; i++)
        x = x * 1.0001 + 0.5;
    r->fp = x;
    /* A signal sent to this thread alone is handled on it. */
    pthread_kill(pthread_self(), SIGUSR1);
    r->handled = handled_in;
    if (tls_value != r->tid)
        r->tls_before = -1;
    return NULL;
}

static int count_tasks(void) {
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* A joined thread is still leaving for a moment after join returns. */
static int settled_tasks(int want) {
    for (int tries = 0; tries < 500 && count_tasks() != want; tries++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    return count_tasks();
}

static int check(struct result *r, double want_fp) {
    return r->tid > 0 && r->tid != getpid() && r->tls_before == 0 && r->fp == want_fp &&
           r->handled == r->tid;
}

static double expected_fp(void) {
    volatile double x = 1.0;
    for (int i = 0; i < 1000; i++)
        x = x * 1.0001 + 0.5;
    return x;
}

/* One at a time, then bursts wider than what is kept. */
static void rounds(const char *who) {
    double want = expected_fp();
    pid_t seen[200];
    int ok = 1, distinct = 1;
    for (int i = 0; i < 200; i++) {
        pthread_t t;
        struct result r = {0};
        pthread_create(&t, NULL, work, &r);
        pthread_join(t, NULL);
        ok &= check(&r, want);
        seen[i] = r.tid;
        for (int j = 0; j < i; j++)
            distinct &= seen[j] != r.tid || i - j > 8; /* tids may wrap only far apart */
    }
    printf("%s: one at a time: %s, tids distinct: %s\n", who, ok ? "ok" : "WRONG",
           distinct ? "ok" : "WRONG");
    for (int round = 0; round < 5; round++) {
        pthread_t t[10];
        struct result r[10] = {{0}};
        for (int i = 0; i < 10; i++)
            pthread_create(&t[i], NULL, work, &r[i]);
        for (int i = 0; i < 10; i++) {
            pthread_join(t[i], NULL);
            ok &= check(&r[i], want);
        }
        for (int i = 0; i < 10; i++)
            for (int j = 0; j < i; j++)
                ok &= r[i].tid != r[j].tid;
    }
    printf("%s: bursts of 10: %s\n", who, ok ? "ok" : "WRONG");
    printf("%s: tasks after: %d\n", who, settled_tasks(1));
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {.sa_handler = on_usr1};
    sigaction(SIGUSR1, &sa, NULL);
    if (argc > 1) {
        rounds("after exec");
        return 0;
    }
    rounds("first");

    pid_t child = fork();
    if (child == 0) {
        rounds("forked child");
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    CHECK("forked child exited 0", WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* exec with threads gone before. */
    execl("/proc/self/exe", argv[0], "again", (char *)NULL);
    FAIL("exec: %s", errname(errno));
}
