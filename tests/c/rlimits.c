/* Resource limits: the rules of setrlimit/prlimit, RLIMIT_AS on mmap, brk
 * and mremap, prlimit on another process, and RLIMIT_NPROC bounding a fork
 * bomb of a non-root user. */
#define _GNU_SOURCE
#include "procs.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void address_space(void) {
    struct rlimit rl = {256 << 20, 256 << 20};
    CHECK("RLIMIT_AS 256 MiB", setrlimit(RLIMIT_AS, &rl) == 0);
    void *big = mmap(NULL, 512 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap 512 MiB: %s\n", big == MAP_FAILED ? errname(errno) : "success");
    char *small = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap 1 MiB", small != MAP_FAILED);
    void *grown = mremap(small, 1 << 20, 300 << 20, MREMAP_MAYMOVE);
    printf("mremap to 300 MiB: %s\n", grown == MAP_FAILED ? errname(errno) : "success");
    void *fixed = mmap(small, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK("MAP_FIXED over itself", fixed == small);
    void *brk0 = sbrk(0);
    errno = 0;
    void *r = sbrk(300 << 20);
    printf("sbrk 300 MiB: %s\n", r == (void *)-1 ? errname(errno) : "success");
    CHECK("break unchanged", sbrk(0) == brk0);
}

static void soft_and_hard(void) {
    struct rlimit rl;
    CHECK("getrlimit CORE", getrlimit(RLIMIT_CORE, &rl) == 0);
    rl.rlim_cur = 0;
    rl.rlim_max = 4096;
    CHECK("lower RLIMIT_CORE", setrlimit(RLIMIT_CORE, &rl) == 0);
    CHECK("read it back", getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0 && rl.rlim_max == 4096);
    rl.rlim_cur = 8192;
    CHECK_ERR("soft above hard", setrlimit(RLIMIT_CORE, &rl), EINVAL);
    CHECK_ERR("bad resource", setrlimit(99, &rl), EINVAL);
    CHECK("drop to uid 1000", setresgid(1000, 1000, 1000) == 0 && setresuid(1000, 1000, 1000) == 0);
    rl.rlim_cur = 0;
    rl.rlim_max = 8192;
    CHECK_ERR("raise hard limit without CAP_SYS_RESOURCE", setrlimit(RLIMIT_CORE, &rl), EPERM);
    rl.rlim_max = 2048;
    CHECK("lower hard limit", setrlimit(RLIMIT_CORE, &rl) == 0);
    struct rlimit old;
    CHECK_ERR("prlimit on a root process", prlimit(getppid(), RLIMIT_CORE, NULL, &old), EPERM);
}

static void nproc_bomb(void) {
    /* A uid of our own, so that concurrent runs do not share a count. */
    uid_t uid = 20000 + getpid() % 20000;
    struct rlimit rl = {20, 20};
    CHECK("RLIMIT_NPROC 20", setrlimit(RLIMIT_NPROC, &rl) == 0);
    CHECK("become a user", setresgid(uid, uid, uid) == 0 && setresuid(uid, uid, uid) == 0);
    pid_t kids[64];
    int n = 0;
    int err = 0;
    while (n < 64) {
        pid_t p = fork();
        if (p == 0) {
            pause();
            _exit(0);
        }
        if (p < 0) {
            err = errno;
            break;
        }
        kids[n++] = p;
    }
    printf("forked %d, then %s\n", n, errname(err));
    for (int i = 0; i < n; i++)
        kill(kids[i], SIGKILL);
    int reaped = 0;
    for (int i = 0; i < n; i++)
        if (waitpid(kids[i], NULL, 0) == kids[i])
            reaped++;
    printf("reaped %d\n", reaped);
    pid_t p = fork();
    if (p == 0)
        _exit(0);
    CHECK("fork again after reaping", p > 0 && waitpid(p, NULL, 0) == p);
}

int main(void) {
    struct rlimit rl;
    CHECK("getrlimit NOFILE", getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur <= rl.rlim_max);
    CHECK("prlimit self", prlimit(0, RLIMIT_NOFILE, NULL, &rl) == 0);
    CHECK_ERR("prlimit unknown pid", prlimit(99999999, RLIMIT_NOFILE, NULL, &rl), ESRCH);

    /* prlimit on a child: its limit changes and it sees the change. */
    int go[2], done[2];
    CHECK("pipes", pipe(go) == 0 && pipe(done) == 0);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        char c;
        read(go[0], &c, 1);
        struct rlimit mine;
        getrlimit(RLIMIT_CORE, &mine);
        c = mine.rlim_cur == 1024 && mine.rlim_max == 2048;
        write(done[1], &c, 1);
        _exit(0);
    }
    struct rlimit set = {1024, 2048}, old;
    CHECK("prlimit on a child", prlimit(child, RLIMIT_CORE, &set, &old) == 0);
    CHECK("read the child's back", prlimit(child, RLIMIT_CORE, NULL, &old) == 0 && old.rlim_cur == 1024);
    char c = 0;
    write(go[1], "x", 1);
    read(done[0], &c, 1);
    CHECK("the child sees it", c == 1);
    waitpid(child, NULL, 0);

    in_child(address_space);
    in_child(soft_and_hard);
    in_child(nproc_bomb);
    return 0;
}
