/*
 * Process creation and teardown: argv[1] x (fork, the child _exits at
 * once, waitpid), timed in rounds (see bench_util.h). A child that does
 * not exit 0 fails the run, so a broken fork cannot look fast.
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include <sys/wait.h>
#include <unistd.h>

#define USAGE "fork_exit ITERATIONS"

/* fork + _exit(0) + waitpid, checked. */
static void fork_exit(void) {
    pid_t pid = fork();
    if (pid < 0)
        die("fork", "");
    if (pid == 0)
        _exit(0);
    int status;
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid", "");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child ended with status 0x%x\n", status);
        exit(1);
    }
}

static void one_fork_exit(void *arg) {
    (void)arg;
    fork_exit();
}

int main(int argc, char **argv) {
    long n = argc > 1 ? positive_arg(argv[1], USAGE) : 1000;
    time_calls(n, one_fork_exit, NULL);
    return 0;
}
