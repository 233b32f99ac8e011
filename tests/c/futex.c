/* futex: wait/wake errors and timeouts, requeue and compare-requeue, wake-op,
 * shared futexes across processes (MAP_SHARED), process-shared mutexes and
 * semaphores, priority-inheritance mutexes, robust mutexes whose owner died. */
#define _GNU_SOURCE
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long futex(uint32_t *addr, int op, uint32_t val, const void *ts_or_val2, uint32_t *addr2, uint32_t val3) {
    return syscall(SYS_futex, addr, op, val, ts_or_val2, addr2, val3);
}

static uint32_t a_word, b_word;
static void *wait_on_a(void *arg) {
    (void)arg;
    while (futex(&a_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0) != 0 && errno == EINTR)
        ;
    return NULL;
}

static long waiters_woken(uint32_t *w, int n) {
    long total = 0;
    for (int tries = 0; tries < 2000 && total < n; tries++) {
        total += futex(w, FUTEX_WAKE_PRIVATE, n - total, NULL, NULL, 0);
        if (total < n)
            usleep(1000);
    }
    return total;
}

static pthread_mutex_t pi_mu;
static long pi_counter;
static void *pi_work(void *arg) {
    for (int i = 0; i < 5000; i++) {
        pthread_mutex_lock(&pi_mu);
        pi_counter++;
        pthread_mutex_unlock(&pi_mu);
    }
    return arg;
}

static pthread_mutex_t robust_mu;
static void *die_holding(void *arg) {
    pthread_mutex_lock(&robust_mu);
    return arg; /* the thread exits with the lock held */
}

int main(void) {
    uint32_t w = 1;
    CHECK_ERR("wait on a changed value", futex(&w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EAGAIN);
    struct timespec ts = {0, 20 * 1000 * 1000};
    CHECK_ERR("wait times out", futex(&w, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0), ETIMEDOUT);
    CHECK("wake with nobody waiting", futex(&w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 0);
    CHECK_ERR("unaligned word", futex((uint32_t *)((char *)&w + 1), FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), EINVAL);
    CHECK_ERR("bitset 0", futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 1, NULL, NULL, 0), EINVAL);
    CHECK_ERR("unknown op", futex(&w, 99, 0, NULL, NULL, 0), ENOSYS);

    /* Three waiters on A: wake one, move two to B, then wake B. */
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, wait_on_a, NULL);
    usleep(50000);
    CHECK_ERR("compare-requeue with a changed value", futex(&a_word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2, &b_word, 7), EAGAIN);
    long moved = futex(&a_word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2, &b_word, 0);
    printf("compare-requeue woke and moved: %ld\n", moved);
    CHECK("the two moved ones wake on B", waiters_woken(&b_word, 2) == 2);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);

    /* Wake-op: word2 += 5; wake on word1; then on word2 if old word2 == 0. */
    uint32_t w1 = 0, w2 = 0;
    long r = futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &w2, FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 0));
    CHECK("wake-op updates the second word", r == 0 && w2 == 5);
    r = futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &w2, FUTEX_OP(FUTEX_OP_OR, 2, FUTEX_OP_CMP_GT, 100));
    CHECK("wake-op OR", r == 0 && w2 == 7);

    /* A shared futex in MAP_SHARED memory: the child waits, the parent wakes it. */
    uint32_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        long rc;
        do
            rc = futex(shared, FUTEX_WAIT, 0, NULL, NULL, 0);
        while (rc != 0 && errno == EINTR);
        _exit(rc == 0 ? 0 : 1);
    }
    long woken = 0;
    for (int tries = 0; tries < 2000 && !woken; tries++) {
        woken = futex(shared, FUTEX_WAKE, 1, NULL, NULL, 0);
        if (!woken)
            usleep(1000);
    }
    int st;
    waitpid(c, &st, 0);
    CHECK("a shared futex wakes another process", woken == 1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* A process-shared semaphore and mutex in shared memory, used by two processes. */
    struct shared_state {
        sem_t sem;
        pthread_mutex_t mu;
        long counter;
    } *ss = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sem_init(&ss->sem, 1, 0);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&ss->mu, &ma);
    fflush(stdout);
    c = fork();
    if (c == 0) {
        for (int i = 0; i < 20000; i++) {
            pthread_mutex_lock(&ss->mu);
            ss->counter++;
            pthread_mutex_unlock(&ss->mu);
        }
        sem_post(&ss->sem);
        _exit(0);
    }
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&ss->mu);
        ss->counter++;
        pthread_mutex_unlock(&ss->mu);
    }
    sem_wait(&ss->sem);
    waitpid(c, NULL, 0);
    printf("process-shared mutex counter: %ld\n", ss->counter);

    /* Priority-inheritance mutex under contention. */
    pthread_mutexattr_t pa;
    pthread_mutexattr_init(&pa);
    CHECK("PTHREAD_PRIO_INHERIT", pthread_mutexattr_setprotocol(&pa, PTHREAD_PRIO_INHERIT) == 0);
    pthread_mutex_init(&pi_mu, &pa);
    pthread_t pt[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&pt[i], NULL, pi_work, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(pt[i], NULL);
    printf("PI mutex counter: %ld\n", pi_counter);
    CHECK("PI trylock of a held lock", pthread_mutex_lock(&pi_mu) == 0);
    uint32_t *pi_word = (uint32_t *)&pi_mu;
    CHECK("the PI word holds the owner's tid", (*pi_word & FUTEX_TID_MASK) == (uint32_t)syscall(SYS_gettid));
    uint32_t other_owner = FUTEX_TID_MASK; /* above pid_max: never our tid */
    CHECK_ERR("FUTEX_UNLOCK_PI by a non-owner", futex(&other_owner, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), EPERM);
    pthread_mutex_unlock(&pi_mu);

    /* A robust mutex whose owner thread exited holding it. */
    pthread_mutexattr_t ra;
    pthread_mutexattr_init(&ra);
    pthread_mutexattr_setrobust(&ra, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust_mu, &ra);
    pthread_t rt;
    pthread_create(&rt, NULL, die_holding, NULL);
    pthread_join(rt, NULL);
    int lr = pthread_mutex_lock(&robust_mu);
    CHECK("EOWNERDEAD for the next locker", lr == EOWNERDEAD);
    CHECK("made consistent", pthread_mutex_consistent(&robust_mu) == 0 && pthread_mutex_unlock(&robust_mu) == 0);
    CHECK("then it locks normally", pthread_mutex_lock(&robust_mu) == 0 && pthread_mutex_unlock(&robust_mu) == 0);
    return 0;
}
