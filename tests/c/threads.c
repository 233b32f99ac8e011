/* Threads: 1,000 created and joined, a mutex contended by 8 threads, thread
 * ids, pthread_exit values, detached threads, a signal aimed at one thread,
 * exit() from a non-main thread ending the process, the main thread leaving
 * first, a fault in a thread killing the process, and execve from a thread. */
#define _GNU_SOURCE
#include "common.h"
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static void *ret_arg(void *arg) { return arg; }

static long counter;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static void *contend(void *arg) {
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return arg;
}

static pid_t ids[4];
static void *report_ids(void *arg) {
    long i = (long)arg;
    ids[i] = gettid_();
    return (void *)(intptr_t)(getpid() == (pid_t)syscall(SYS_getpid));
}

static volatile pid_t handled_on;
static void on_usr1(int sig) {
    (void)sig;
    handled_on = gettid_();
}
static volatile int stop_spin;
static volatile pid_t spinner_tid;
static void *spin(void *arg) {
    (void)arg;
    spinner_tid = gettid_();
    while (!stop_spin)
        ;
    return NULL;
}

static int block_pipe[2];
static volatile pid_t reader_tid;
static volatile sig_atomic_t usr2_on;
static void on_usr2(int sig) {
    (void)sig;
    usr2_on = gettid_();
}
static void *blocked_reader(void *arg) {
    (void)arg;
    reader_tid = gettid_();
    char b;
    long n = read(block_pipe[0], &b, 1);
    return (void *)(intptr_t)(n == -1 && errno == EINTR);
}

static void *exit_process(void *arg) {
    (void)arg;
    exit(3);
}

static void *sleep_then_exit(void *arg) {
    (void)arg;
    usleep(50000);
    return NULL;
}

static void *crash(void *arg) {
    (void)arg;
    *(volatile int *)8 = 1;
    return NULL;
}

static char *self_path;
static void *exec_self(void *arg) {
    (void)arg;
    char *argv[] = {self_path, "exec-ok", NULL};
    execv(self_path, argv);
    _exit(99);
}
static void *linger(void *arg) {
    for (;;)
        pause();
    return arg;
}

static int child_status(void (*body)(void)) {
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        body();
        _exit(100);
    }
    int st;
    waitpid(c, &st, 0);
    return st;
}

static void body_exit_from_thread(void) {
    pthread_t t;
    pthread_create(&t, NULL, exit_process, NULL);
    for (;;)
        pause();
}

static void body_main_leaves_first(void) {
    pthread_t t;
    pthread_create(&t, NULL, sleep_then_exit, NULL);
    pthread_exit(NULL);
}

static void body_crash(void) {
    pthread_t t;
    pthread_create(&t, NULL, crash, NULL);
    for (;;)
        pause();
}

static void body_exec_from_thread(void) {
    pthread_t a, b;
    pthread_create(&a, NULL, linger, NULL);
    pthread_create(&b, NULL, exec_self, NULL);
    for (;;)
        pause();
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "exec-ok") == 0)
        return getpid() == gettid_() ? 7 : 8;
    self_path = argv[0];

    /* 1,000 threads, 50 at a time. */
    long sum = 0;
    int created = 0;
    for (int round = 0; round < 20; round++) {
        pthread_t t[50];
        for (long i = 0; i < 50; i++)
            if (pthread_create(&t[i], NULL, ret_arg, (void *)i) == 0)
                created++;
        for (int i = 0; i < 50; i++) {
            void *r;
            pthread_join(t[i], &r);
            sum += (long)r;
        }
    }
    printf("created %d, joined values sum %ld\n", created, sum);

    pthread_t t[8];
    for (long i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, contend, NULL);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    printf("mutex counter %ld\n", counter);

    int same_pid = 1;
    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, report_ids, (void *)i);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        same_pid &= (long)r == 1;
    }
    int distinct = 1;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            distinct &= i == j || ids[i] != ids[j];
    CHECK("threads share the pid", same_pid);
    CHECK("tids are distinct and not the pid", distinct && ids[0] != getpid());

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    CHECK("detached thread", pthread_create(&t[0], &attr, ret_arg, NULL) == 0);

    signal(SIGUSR1, on_usr1);
    pthread_create(&t[0], NULL, spin, NULL);
    while (!spinner_tid)
        ;
    CHECK("pthread_kill", pthread_kill(t[0], SIGUSR1) == 0);
    while (!handled_on)
        ;
    CHECK("the handler ran on the target thread", handled_on == spinner_tid);
    stop_spin = 1;
    pthread_join(t[0], NULL);
    /* join returns once the kernel clears the thread's tid, which it does
     * while the thread is still exiting: it is gone a moment later. */
    for (int i = 0; i < 1000 && syscall(SYS_tgkill, getpid(), spinner_tid, 0) == 0; i++)
        usleep(1000);
    CHECK_ERR("tgkill of a thread that is gone", syscall(SYS_tgkill, getpid(), spinner_tid, 0), ESRCH);

    /* A signal aimed at a thread blocked in read on a pipe: its handler runs
     * there and the read fails with EINTR (no SA_RESTART). */
    struct sigaction sa2 = {0};
    sa2.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa2, NULL);
    pipe(block_pipe);
    pthread_t rd;
    pthread_create(&rd, NULL, blocked_reader, NULL);
    while (!reader_tid)
        ;
    usleep(50000);
    CHECK("pthread_kill to the blocked reader", pthread_kill(rd, SIGUSR2) == 0);
    void *eintr;
    pthread_join(rd, &eintr);
    CHECK("its read fails with EINTR, the handler ran on it", eintr == (void *)1 && usr2_on == reader_tid);

    int st = child_status(body_exit_from_thread);
    CHECK("exit() in a thread ends the process", WIFEXITED(st) && WEXITSTATUS(st) == 3);
    st = child_status(body_main_leaves_first);
    CHECK("main thread leaves first: exit 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    st = child_status(body_crash);
    CHECK("a fault in a thread kills the process", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    st = child_status(body_exec_from_thread);
    CHECK("execve from a thread: the new program is the process", WIFEXITED(st) && WEXITSTATUS(st) == 7);
    return 0;
}
