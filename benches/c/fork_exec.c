/*
 * Starting a program: argv[1] x (fork, the child execs a static program
 * that exits at once, waitpid), timed in rounds (see bench_util.h).
 *
 * The program exec'd is this one with the argument "--exit", which makes
 * it return from main at once, like a static /bin/true. Re-executing
 * ourselves needs no other file in the root file system, which differs
 * between runtimes (runc's bundle holds only this binary); argv[0] is the
 * path each runtime started us with, so it names this binary there.
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include <sys/wait.h>
#include <unistd.h>

#define USAGE "fork_exec ITERATIONS"
#define EXIT_ARG "--exit"

/* fork + execve(self, "--exit") + waitpid, checked. */
static void fork_exec(char *self) {
    pid_t pid = fork();
    if (pid < 0)
        die("fork", "");
    if (pid == 0) {
        char *argv[] = {self, EXIT_ARG, NULL};
        char *envp[] = {NULL};
        execve(self, argv, envp);
        /* The parent reports it: exit 127 as a shell would. */
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid", "");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child (execve %s) ended with status 0x%x\n", self, status);
        exit(1);
    }
}

static void one_fork_exec(void *self) {
    fork_exec(self);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], EXIT_ARG) == 0)
        return 0;
    if (strchr(argv[0], '/') == NULL) {
        fprintf(stderr, "argv[0] %s is not a path; cannot re-exec ourselves\n", argv[0]);
        return 2;
    }
    long n = argc > 1 ? positive_arg(argv[1], USAGE) : 1000;
    time_calls(n, one_fork_exec, argv[0]);
    return 0;
}
