/*
 * Process wake-up latency through pipes: a forked child echoes one byte
 * back over a second pipe, argv[1] round trips in all, timed by the
 * parent in rounds (see bench_util.h). Each round trip is two writes,
 * two reads and two switches between processes.
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include <sys/wait.h>
#include <unistd.h>

#define USAGE "pipe_pingpong ROUND_TRIPS"

/* Moves one byte, or dies: a short read means the other side is gone. */
static void put(int fd) {
    char c = 'x';
    if (write(fd, &c, 1) != 1)
        die("write", "pipe");
}

static void get(int fd) {
    char c;
    ssize_t got = read(fd, &c, 1);
    if (got < 0)
        die("read", "pipe");
    if (got != 1) {
        fprintf(stderr, "read pipe: end of file\n");
        exit(1);
    }
}

int main(int argc, char **argv) {
    long n = argc > 1 ? positive_arg(argv[1], USAGE) : 20000;
    int ping[2], pong[2];
    if (pipe(ping) != 0 || pipe(pong) != 0)
        die("pipe", "");
    pid_t pid = fork();
    if (pid < 0)
        die("fork", "");
    if (pid == 0) {
        close(ping[1]);
        close(pong[0]);
        for (long i = 0; i < n; i++) {
            get(ping[0]);
            put(pong[1]);
        }
        _exit(0);
    }
    close(ping[0]);
    close(pong[1]);

    struct rounds rs = {0};
    int rounds = rounds_for(n);
    for (int r = 0; r < rounds; r++) {
        long calls = round_calls(n, rounds, r);
        double a = now_ns();
        for (long i = 0; i < calls; i++) {
            put(ping[1]);
            get(pong[0]);
        }
        rounds_add(&rs, calls, now_ns() - a);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid", "");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "echo child ended with status 0x%x\n", status);
        return 1;
    }
    rounds_report(&rs);
    return 0;
}
