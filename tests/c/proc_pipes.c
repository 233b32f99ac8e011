/* Pipes between processes: 1 MiB from a child with EOF only once the child
 * (the last writer) is gone, a two-child pipeline like `a | b` with a
 * checksum, a child writing to fd 1 after dup2, EPIPE once the reading child
 * exits, and the open file description (offset, status flags) shared across
 * fork. Only the parent prints. */
#define _GNU_SOURCE
#include "procs.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1 << 20)
#define PIPELINE_BYTES (256 * 1024 + 123)

static unsigned char pattern(long i) { return (unsigned char)(i * 7 + i / 4093); }

/* Writes `n` pattern bytes to fd in uneven chunks; 0 on success. */
static int write_pattern(int fd, long n) {
    static unsigned char chunk[10007];
    long done = 0;
    while (done < n) {
        long len = n - done < (long)sizeof chunk ? n - done : (long)sizeof chunk;
        for (long i = 0; i < len; i++)
            chunk[i] = pattern(done + i);
        long w = write(fd, chunk, len);
        if (w <= 0)
            return 1;
        done += w;
    }
    return 0;
}

/* FNV-1a of a stream: reads fd to EOF (or `limit` bytes); counts bytes and
 * how many differ from the pattern. */
static unsigned checksum(int fd, long limit, long *count, long *wrong) {
    static unsigned char buf[65536];
    unsigned h = 2166136261u;
    long n;
    *count = *wrong = 0;
    while (*count < limit) {
        long want = limit - *count < (long)sizeof buf ? limit - *count : (long)sizeof buf;
        n = read(fd, buf, want);
        if (n <= 0)
            break;
        for (long i = 0; i < n; i++) {
            h = (h ^ buf[i]) * 16777619u;
            *wrong += buf[i] != pattern(*count + i);
        }
        *count += n;
    }
    return h;
}

int main(void) {
    signal(SIGCHLD, SIG_DFL);
    int data[2], hold[2];
    long count, wrong;
    char c;

    /* 1 MiB from a child, then EOF only when it exits. */
    CHECK("pipe", pipe(data) == 0 && pipe(hold) == 0);
    pid_t p = fork_flushed();
    if (p == 0) {
        close(data[0]);
        close(hold[1]);
        int bad = write_pattern(data[1], MIB);
        while (read(hold[0], &c, 1) > 0)
            ;
        _exit(bad); /* data[1] is closed by exiting */
    }
    close(data[1]);
    close(hold[0]);
    unsigned h = checksum(data[0], MIB, &count, &wrong);
    printf("read from the child: %ld bytes, %ld wrong, checksum %08x\n", count, wrong, h);
    /* A non-blocking read tells "empty" (EAGAIN) from end-of-file (0). */
    int fl = fcntl(data[0], F_GETFL);
    CHECK("O_NONBLOCK on the read end", fcntl(data[0], F_SETFL, fl | O_NONBLOCK) == 0);
    CHECK_ERR("no EOF while the child lives", read(data[0], &c, 1), EAGAIN);
    CHECK("blocking again", fcntl(data[0], F_SETFL, fl) == 0);
    CHECK("let the child exit", close(hold[1]) == 0);
    CHECK("then EOF", read(data[0], &c, 1) == 0);
    CHECK("child exited 0", exit_code_of(p) == 0);
    close(data[0]);

    /* a | b: a writes to its stdout, b checksums its stdin and reports on
     * its own stdout, a third pipe read by the parent. */
    int ab[2], res[2];
    CHECK("pipes for a | b", pipe(ab) == 0 && pipe(res) == 0);
    pid_t a = fork_flushed();
    if (a == 0) {
        if (dup2(ab[1], 1) != 1)
            _exit(2);
        close(ab[0]);
        close(ab[1]);
        close(res[0]);
        close(res[1]);
        _exit(write_pattern(1, PIPELINE_BYTES));
    }
    pid_t b = fork_flushed();
    if (b == 0) {
        if (dup2(ab[0], 0) != 0 || dup2(res[1], 1) != 1)
            _exit(2);
        close(ab[0]);
        close(ab[1]);
        close(res[0]);
        close(res[1]);
        long n, bad;
        unsigned sum = checksum(0, 1L << 40, &n, &bad);
        char line[128];
        int len = snprintf(line, sizeof line, "b read %ld bytes, %ld wrong, checksum %08x\n", n, bad, sum);
        _exit(write(1, line, len) != len);
    }
    close(ab[0]);
    close(ab[1]);
    close(res[1]);
    char line[256] = {0};
    long got = 0, n;
    while ((n = read(res[0], line + got, sizeof line - 1 - got)) > 0)
        got += n;
    close(res[0]);
    printf("pipeline: %s", line);
    CHECK("a exited 0", exit_code_of(a) == 0);
    CHECK("b exited 0", exit_code_of(b) == 0);

    /* dup2 onto stdout in a child; stdio and write(2) both land in the pipe. */
    CHECK("pipe", pipe(data) == 0);
    p = fork_flushed();
    if (p == 0) {
        if (dup2(data[1], 1) != 1)
            _exit(2);
        close(data[0]);
        close(data[1]);
        printf("printf from the child\n");
        fflush(stdout);
        _exit(write(1, "write(1) from the child\n", 24) != 24);
    }
    close(data[1]);
    char out[256] = {0};
    got = 0;
    while ((n = read(data[0], out + got, sizeof out - 1 - got)) > 0)
        got += n;
    close(data[0]);
    CHECK("dup2 child exited 0", exit_code_of(p) == 0);
    printf("child's stdout through the pipe:\n%s", out);

    /* EPIPE once the only reader, a child, is gone. */
    signal(SIGPIPE, SIG_IGN);
    CHECK("pipe", pipe(data) == 0);
    p = fork_flushed();
    if (p == 0) {
        close(data[1]);
        _exit(read(data[0], &c, 1) != 1 || c != 'x');
    }
    close(data[0]);
    CHECK("write to the reading child", write(data[1], "x", 1) == 1);
    CHECK("reader exited 0", exit_code_of(p) == 0);
    CHECK_ERR("write once the reader exited", write(data[1], "y", 1), EPIPE);
    close(data[1]);

    /* The open file description is shared: offset and status flags. */
    char path[] = "/tmp/compat-proc-pipes-XXXXXX";
    int fd = mkstemp(path);
    CHECK("mkstemp", fd >= 0);
    unlink(path);
    CHECK("pipe", pipe(data) == 0);
    p = fork_flushed();
    if (p == 0) {
        int bad = write(fd, "hello", 5) != 5;
        bad |= (fcntl(data[0], F_SETFL, O_NONBLOCK) != 0) << 1;
        bad |= (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) << 2;
        _exit(bad);
    }
    CHECK("child wrote and set flags", exit_code_of(p) == 0);
    CHECK("parent sees the child's file offset", lseek(fd, 0, SEEK_CUR) == 5);
    CHECK("parent sees the child's O_NONBLOCK", (fcntl(data[0], F_GETFL) & O_NONBLOCK) != 0);
    CHECK_ERR("so its read does not block", read(data[0], &c, 1), EAGAIN);
    CHECK("but not the child's FD_CLOEXEC (per descriptor)", fcntl(fd, F_GETFD) == 0);
    close(fd);
    close(data[0]);
    close(data[1]);
    return 0;
}
