/*
 * Small-file churn in a directory: creates argv[2] files in argv[1]
 * (open O_CREAT|O_EXCL, write 100 bytes, close), then unlinks them all,
 * and reports ns per file (create phase plus unlink phase). All files
 * exist at once, so a directory whose operations slow down as it grows
 * shows; for that reason this is one round, not several. Names carry the
 * pid and the start time, so a shared /tmp is fine.
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include <fcntl.h>
#include <unistd.h>

#define USAGE "create_unlink DIR FILES"
#define NAME_LEN 256
#define PAYLOAD 100

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s\n", USAGE);
        return 2;
    }
    const char *dir = argv[1];
    long n = positive_arg(argv[2], USAGE);
    char *names = malloc((size_t)n * NAME_LEN);
    if (!names) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    for (long i = 0; i < n; i++) {
        int len = snprintf(names + i * NAME_LEN, NAME_LEN, "%s/bench_cu_%d_%lld_%ld", dir,
                           (int)getpid(), (long long)t.tv_nsec, i);
        if (len >= NAME_LEN) {
            fprintf(stderr, "directory name too long: %s\n", dir);
            return 2;
        }
    }
    char payload[PAYLOAD];
    memset(payload, 'x', sizeof payload);

    double a = now_ns();
    for (long i = 0; i < n; i++) {
        const char *name = names + i * NAME_LEN;
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
            die("create", name);
        ssize_t put = write(fd, payload, sizeof payload);
        if (put < 0)
            die("write", name);
        if (put != PAYLOAD) {
            fprintf(stderr, "write %s: %zd bytes, want %d\n", name, put, PAYLOAD);
            return 1;
        }
        if (close(fd) != 0)
            die("close", name);
    }
    double b = now_ns();
    for (long i = 0; i < n; i++) {
        const char *name = names + i * NAME_LEN;
        if (unlink(name) != 0)
            die("unlink", name);
    }
    double c = now_ns();
    printf("files: %ld\n", n);
    printf("create_ns_per_file: %.1f\n", (b - a) / (double)n);
    printf("unlink_ns_per_file: %.1f\n", (c - b) / (double)n);
    printf("ns_per_call: %.1f\n", (c - a) / (double)n);
    return 0;
}
