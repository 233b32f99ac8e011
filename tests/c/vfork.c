/* Children that share their parent's memory: vfork (the parent waits until
 * the child execs or exits, and sees what it wrote), posix_spawn (which
 * reports a failed exec through that shared memory), and clone(CLONE_VM)
 * with a stack of its own. */
#define _GNU_SOURCE
#include "common.h"
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static volatile int shared_word;

static int child_fn(void *arg) {
    shared_word = (int)(long)arg;
    return 5;
}

int main(int argc, char **argv) {
    if (argc > 1)
        return atoi(argv[1]);

    fflush(stdout);
    pid_t c = vfork();
    if (c == 0) {
        shared_word = 42;
        _exit(3);
    }
    int st;
    CHECK("vfork child exits 3", waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 3);
    CHECK("the parent sees what the vfork child wrote", shared_word == 42);

    fflush(stdout);
    c = vfork();
    if (c == 0) {
        char *args[] = {argv[0], "9", NULL};
        execv(argv[0], args);
        _exit(99);
    }
    CHECK("vfork + exec", waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 9);

    pid_t pid;
    char *missing[] = {"/nonexistent/program", NULL};
    int r = posix_spawn(&pid, missing[0], NULL, NULL, missing, environ);
    printf("posix_spawn of a missing program: %s\n", errname(r));
    char *self[] = {argv[0], "11", NULL};
    r = posix_spawn(&pid, argv[0], NULL, NULL, self, environ);
    CHECK("posix_spawn of itself", r == 0 && waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 11);

    static char stack[64 * 1024];
    shared_word = 0;
    c = clone(child_fn, stack + sizeof stack, CLONE_VM | SIGCHLD, (void *)7L);
    CHECK("clone(CLONE_VM) child", c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 5);
    CHECK("its write is in our memory", shared_word == 7);
    return 0;
}
