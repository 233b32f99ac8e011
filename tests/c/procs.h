/*
 * Helpers of the programs that make processes: fork with stdout flushed (so
 * that buffered lines are not printed twice) and a child's exit code.
 */
#ifndef COMPAT_PROCS_H
#define COMPAT_PROCS_H

#include "common.h"
#include <sys/wait.h>
#include <unistd.h>

static inline pid_t fork_flushed(void) {
    fflush(stdout);
    pid_t p = fork();
    if (p < 0)
        FAIL("fork: %s", errname(errno));
    return p;
}

/* The exit code of child `p`, or 1000 + the signal that killed it. */
static inline int exit_code_of(pid_t p) {
    int status;
    if (waitpid(p, &status, 0) != p)
        FAIL("waitpid: %s", errname(errno));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

/* Runs `body` in a child and waits; the child's lines come first, and a
 * child that does not exit 0 fails the program. */
static inline void in_child(void (*body)(void)) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        body();
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        FAIL("child failed: status %#x", status);
}

#endif
