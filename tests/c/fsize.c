/*
 * RLIMIT_FSIZE: writes to a regular file are cut to end at the limit; one
 * that starts at or past it fails with EFBIG and raises SIGXFSZ (caught,
 * ignored, blocked, or killing by default); truncate and fallocate that would
 * grow a file past it likewise; copy_file_range, sendfile and splice into a
 * file too. Pipes and devices are not limited. A program that keeps writing
 * past the limit with SIGXFSZ ignored stays killable.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#include "common.h"

#define LIMIT 4096

static volatile sig_atomic_t caught, last_code, last_pid;
static char big[3 * LIMIT];

static void on_xfsz(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    (void)uc;
    caught++;
    last_code = si->si_code;
    last_pid = si->si_pid;
}

static void handle(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_xfsz;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGXFSZ, &sa, NULL);
}

static off_t size_of(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0)
        FAIL("fstat");
    return st.st_size;
}

/* `expr` fails with EFBIG and raises exactly one more SIGXFSZ. */
#define CHECK_XFSZ(label, expr)                                                \
    do {                                                                       \
        int before_ = caught;                                                  \
        CHECK_ERR(label, expr, EFBIG);                                         \
        CHECK(label " raised SIGXFSZ", caught == before_ + 1);                 \
    } while (0)

/* `expr` returns `want` and raises nothing. */
#define CHECK_QUIET(label, expr, want)                                         \
    do {                                                                       \
        int before_ = caught;                                                  \
        long r_ = (long)(expr);                                                \
        if (r_ != (long)(want))                                                \
            FAIL("%s: got %ld (%s), want %ld", label, r_, errname(errno),      \
                 (long)(want));                                                \
        CHECK(label, caught == before_);                                       \
    } while (0)

static int open_tmp(const char *name) {
    int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        FAIL("open %s: %s", name, errname(errno));
    return fd;
}

int main(void) {
    char a[64], b[64], c[64];
    snprintf(a, sizeof a, "/tmp/fsize-a.%d", getpid());
    snprintf(b, sizeof b, "/tmp/fsize-b.%d", getpid());
    snprintf(c, sizeof c, "/tmp/fsize-c.%d", getpid());
    memset(big, 'x', sizeof big);
    handle();

    /* A file already past the limit, made before it is set. */
    int src = open_tmp(b);
    if (write(src, big, sizeof big) != sizeof big)
        FAIL("seed");

    struct rlimit rl;
    getrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = LIMIT;
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
        FAIL("setrlimit");

    int fd = open_tmp(a);
    CHECK_QUIET("write below the limit", write(fd, big, 1000), 1000);
    CHECK_QUIET("write across the limit is cut", write(fd, big, 5000), LIMIT - 1000);
    CHECK("size at the limit", size_of(fd) == LIMIT);
    CHECK_XFSZ("write at the limit", write(fd, big, 10));
    CHECK("signal is SI_USER from the process", last_code == SI_USER && last_pid == getpid());
    CHECK_QUIET("write of nothing at the limit", write(fd, big, 0), 0);
    CHECK_XFSZ("pwrite past the limit", pwrite(fd, big, 10, LIMIT + 1000));
    CHECK_QUIET("pwrite across the limit is cut", pwrite(fd, big, 10, LIMIT - 4), 4);
    CHECK_QUIET("big write across the limit is cut", pwrite(fd, big, sizeof big, 0), LIMIT);

    struct iovec iov[2] = {{big, 3000}, {big, 3000}};
    CHECK_QUIET("writev across the limit is cut", pwritev(fd, iov, 2, 0), LIMIT);
    CHECK_QUIET("writev ending at the limit", pwritev(fd, iov, 1, LIMIT - 3000), 3000);
    CHECK_XFSZ("pwritev at the limit", pwritev(fd, iov, 2, LIMIT));
    if (lseek(fd, LIMIT, SEEK_SET) != LIMIT)
        FAIL("lseek");
    CHECK_XFSZ("writev at the limit", writev(fd, iov, 2));
    CHECK_XFSZ("pwritev2 at the limit", pwritev2(fd, iov, 2, LIMIT, 0));

    int app = open(a, O_WRONLY | O_APPEND);
    CHECK_XFSZ("append at the limit", write(app, big, 1));
    close(app);

    CHECK_XFSZ("ftruncate past the limit", ftruncate(fd, LIMIT + 1));
    CHECK_QUIET("ftruncate to the limit", ftruncate(fd, LIMIT), 0);
    CHECK_QUIET("ftruncate down", ftruncate(fd, 100), 0);
    CHECK_XFSZ("truncate past the limit", truncate(a, 2 * LIMIT));
    CHECK_QUIET("truncate up to the limit", truncate(a, LIMIT), 0);
    CHECK_QUIET("ftruncate shrinking a big file", ftruncate(src, 2 * LIMIT), 0);
    CHECK_XFSZ("ftruncate growing a big file", ftruncate(src, 2 * LIMIT + 1));
    if (ftruncate(fd, 100) != 0)
        FAIL("ftruncate 100");

    CHECK_XFSZ("fallocate past the limit", fallocate(fd, 0, 0, LIMIT + 1));
    CHECK_QUIET("fallocate to the limit", fallocate(fd, 0, 0, LIMIT), 0);
    CHECK_QUIET("fallocate KEEP_SIZE past the limit",
                fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 2 * LIMIT), 0);
    CHECK("size after fallocate", size_of(fd) == LIMIT);
    if (ftruncate(fd, 100) != 0)
        FAIL("ftruncate 100");

    int before;
    loff_t in = 0, out = LIMIT - 96;
    CHECK_QUIET("copy_file_range across the limit is cut",
                copy_file_range(src, &in, fd, &out, 1000, 0), 96);
    in = 0;
    CHECK_XFSZ("copy_file_range at the limit", copy_file_range(src, &in, fd, &out, 1000, 0));

    if (lseek(fd, LIMIT - 50, SEEK_SET) != LIMIT - 50)
        FAIL("lseek");
    in = 0;
    /* Linux writes what fits, then fails at the limit: SIGXFSZ too. */
    before = caught;
    CHECK("sendfile across the limit is cut", sendfile(fd, src, &in, 1000) == 50 && in == 50);
    CHECK("sendfile across the limit raised SIGXFSZ", caught == before + 1);
    CHECK_XFSZ("sendfile at the limit", sendfile(fd, src, &in, 1000));

    int p[2];
    if (pipe(p) != 0)
        FAIL("pipe");
    if (write(p[1], big, 200) != 200)
        FAIL("pipe write");
    out = LIMIT - 20;
    before = caught;
    CHECK("splice across the limit is cut", splice(p[0], NULL, fd, &out, 200, 0) == 20);
    CHECK("splice across the limit raised SIGXFSZ", caught == before + 1);
    int avail = 0;
    CHECK("the rest stays in the pipe", ioctl(p[0], FIONREAD, &avail) == 0 && avail == 180);
    CHECK_XFSZ("splice at the limit", splice(p[0], NULL, fd, &out, 100, 0));
    CHECK_QUIET("pipes are not limited", write(p[1], big, 2 * LIMIT), 2 * LIMIT);
    close(p[0]);
    close(p[1]);
    int null = open("/dev/null", O_WRONLY);
    CHECK_QUIET("devices are not limited", write(null, big, sizeof big), sizeof big);
    close(null);

    /* Blocked: pending until unblocked. */
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGXFSZ);
    sigprocmask(SIG_BLOCK, &set, NULL);
    before = caught;
    CHECK_ERR("blocked: pwrite at the limit", pwrite(fd, big, 1, LIMIT), EFBIG);
    sigpending(&pend);
    CHECK("blocked: SIGXFSZ pending", sigismember(&pend, SIGXFSZ) && caught == before);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    CHECK("unblocked: delivered", caught == before + 1);

    /* Ignored: only EFBIG. */
    signal(SIGXFSZ, SIG_IGN);
    before = caught;
    CHECK_ERR("ignored: pwrite at the limit", pwrite(fd, big, 1, LIMIT), EFBIG);
    CHECK_ERR("ignored: ftruncate past the limit", ftruncate(fd, LIMIT + 1), EFBIG);
    sigpending(&pend);
    CHECK("ignored: nothing caught or pending", caught == before && !sigismember(&pend, SIGXFSZ));

    /* The default action kills (a core dump, here disabled). */
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit none = {0, 0};
        setrlimit(RLIMIT_CORE, &none);
        signal(SIGXFSZ, SIG_DFL);
        pwrite(fd, big, 1, LIMIT);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK("default action kills", WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ);

    /* Writing on past the limit with SIGXFSZ ignored stays killable. */
    pid = fork();
    if (pid == 0) {
        for (;;)
            if (pwrite(fd, big, 1, LIMIT + 1) != -1 || errno != EFBIG)
                _exit(3);
    }
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    CHECK("a writing loop dies of SIGTERM", WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);

    /* The limit is inherited, and an unlimited one writes on. */
    rl.rlim_cur = RLIM_INFINITY;
    if (rl.rlim_max == RLIM_INFINITY && setrlimit(RLIMIT_FSIZE, &rl) == 0)
        CHECK("unlimited again", pwrite(fd, big, 10, LIMIT) == 10);
    else
        CHECK("unlimited again", 1);

    close(fd);
    close(src);
    unlink(a);
    unlink(b);
    unlink(c);
    printf("done\n");
    return 0;
}
