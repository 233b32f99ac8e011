/* /proc/PID/task: one directory per thread, whose stat and status name the
 * thread; the thread counts in /proc/PID/stat and status; /proc/thread-self. */
#define _GNU_SOURCE
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

#define EXTRA 3

static pthread_barrier_t started, done;
static pid_t tids[EXTRA];

static int read_text(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = 0;
    return 0;
}

/* The number after "Name:\t" in a status file; -1 without it. */
static long status_field(const char *path, const char *name) {
    char buf[4096];
    if (read_text(path, buf, sizeof buf) != 0)
        return -1;
    char key[64];
    snprintf(key, sizeof key, "\n%s:\t", name);
    char *at = strstr(buf, key);
    return at ? strtol(at + strlen(key), NULL, 10) : -1;
}

/* Field `n` (1-based) of a stat file, after the command name. */
static long stat_field(const char *path, int n) {
    char buf[4096];
    if (read_text(path, buf, sizeof buf) != 0)
        return -1;
    if (n == 1)
        return strtol(buf, NULL, 10);
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    p += 2; /* field 3 */
    for (int i = 3; i < n; i++) {
        p = strchr(p, ' ');
        if (!p)
            return -1;
        p++;
    }
    return strtol(p, NULL, 10);
}

static int count_tasks(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static int listed(pid_t tid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d", tid);
    return access(path, F_OK) == 0;
}

static void *worker(void *arg) {
    int i = (int)(long)arg;
    tids[i] = syscall(SYS_gettid);
    if (i == 0) {
        char link[64], want[64];
        ssize_t n = readlink("/proc/thread-self", link, sizeof link - 1);
        link[n < 0 ? 0 : n] = 0;
        snprintf(want, sizeof want, "%d/task/%d", getpid(), tids[i]);
        CHECK("thread-self names the thread", strcmp(link, want) == 0);
    }
    pthread_barrier_wait(&started);
    pthread_barrier_wait(&done);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t pid = getpid();
    CHECK("one task alone", count_tasks() == 1 && listed(pid));
    CHECK("Threads: 1", status_field("/proc/self/status", "Threads") == 1);
    pthread_barrier_init(&started, NULL, EXTRA + 1);
    pthread_barrier_init(&done, NULL, EXTRA + 1);
    pthread_t th[EXTRA];
    for (long i = 0; i < EXTRA; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);
    pthread_barrier_wait(&started);

    printf("tasks: %d\n", count_tasks());
    CHECK("the leader is listed", listed(pid));
    for (int i = 0; i < EXTRA; i++) {
        char path[96];
        CHECK("each thread is listed", listed(tids[i]));
        snprintf(path, sizeof path, "/proc/self/task/%d/stat", tids[i]);
        CHECK("its stat names it", stat_field(path, 1) == tids[i]);
        snprintf(path, sizeof path, "/proc/self/task/%d/status", tids[i]);
        CHECK("its status names it", status_field(path, "Pid") == tids[i]);
        CHECK("and its process", status_field(path, "Tgid") == pid);
        snprintf(path, sizeof path, "/proc/%d/task/%d/comm", pid, tids[i]);
        char comm[32];
        CHECK("its comm", read_text(path, comm, sizeof comm) == 0 && comm[0] != 0);
    }
    printf("Threads: %ld\n", status_field("/proc/self/status", "Threads"));
    printf("stat num_threads: %ld\n", stat_field("/proc/self/stat", 20));
    CHECK("not a thread", access("/proc/self/task/999999", F_OK) != 0 && errno == ENOENT);
    /* /proc/TID of a thread is there, but not listed. */
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", tids[1]);
    CHECK("/proc/TID of a thread", status_field(path, "Pid") == tids[1] &&
                                       status_field(path, "Tgid") == pid);
    int seen = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)))
        seen |= atoi(e->d_name) == tids[1];
    if (d)
        closedir(d);
    CHECK("but not listed in /proc", !seen);

    pthread_barrier_wait(&done);
    for (int i = 0; i < EXTRA; i++)
        pthread_join(th[i], NULL);
    /* A joined thread is still leaving for a moment after join returns. */
    for (int tries = 0; tries < 500 && count_tasks() != 1; tries++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    printf("tasks after join: %d\n", count_tasks());
    return 0;
}
