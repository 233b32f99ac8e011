/* execve and execveat, by re-executing this program with a mode argument:
 * errors (ENOENT, ENOTDIR, EACCES, ENOEXEC, EFAULT), a forked child that
 * execs and is waited for, execveat(fd, "", AT_EMPTY_PATH), a #! script
 * whose interpreter is this program, and finally the process itself
 * exec'ing, where the new image checks argv and envp arrive exactly,
 * O_CLOEXEC descriptors are closed while others stay open with their offset,
 * handled signals are reset to SIG_DFL while ignored ones stay ignored, the
 * signal mask is kept, the pid and ppid are unchanged and globals are fresh. */
#define _GNU_SOURCE
#include "procs.h"
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define KEPT_FD 20
#define CLOSED_FD 21

static int marker = 5;
static char self[PATH_MAX];
static char *const new_env[] = {"X=1", "EMPTY=", "SPACES=a b", NULL};

static const char *yes(int b) { return b ? "yes" : "no"; }

static void on_usr1(int sig) { (void)sig; }

static void write_file(const char *path, const char *text, mode_t mode) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, text, strlen(text)) != (long)strlen(text) || fchmod(fd, mode) != 0 || close(fd) != 0)
        FAIL("write %s: %s", path, errname(errno));
}

/* The image the whole process ends in. */
static int final_image(int argc, char **argv) {
    printf("new image started\n");
    CHECK("argc", argc == 6);
    CHECK("argv[0] is the path exec'd", strcmp(argv[0], self) == 0);
    CHECK("argv[1]", strcmp(argv[1], "final") == 0);
    CHECK("argv[2] is empty", strcmp(argv[2], "") == 0);
    CHECK("argv[3] keeps its space", strcmp(argv[3], "two words") == 0);
    CHECK("argv ends with NULL", argv[argc] == NULL);
    int n = 0;
    while (environ[n])
        n++;
    CHECK("environ has 3 entries", n == 3);
    for (int i = 0; i < 3 && i < n; i++) {
        printf("environ[%d] = \"%s\"\n", i, environ[i]);
        if (strcmp(environ[i], new_env[i]) != 0)
            FAIL("environ[%d]", i);
    }
    CHECK("getenv(EMPTY) is empty", getenv("EMPTY") && strcmp(getenv("EMPTY"), "") == 0);
    CHECK("the old environment is gone", getenv("A") == NULL && getenv("B") == NULL);

    CHECK("pid unchanged", getpid() == atoi(argv[4]));
    CHECK("ppid unchanged", getppid() == atoi(argv[5]));
    CHECK("globals are fresh", marker == 5);

    CHECK("descriptor without O_CLOEXEC open", fcntl(KEPT_FD, F_GETFD) == 0);
    CHECK("it keeps its offset", lseek(KEPT_FD, 0, SEEK_CUR) == 3);
    char buf[8] = {0};
    CHECK("and reads on from there", read(KEPT_FD, buf, 2) == 2 && memcmp(buf, "34", 2) == 0);
    CHECK_ERR("descriptor with O_CLOEXEC closed", fcntl(CLOSED_FD, F_GETFD), EBADF);

    struct sigaction sa;
    CHECK("sigaction SIGUSR1", sigaction(SIGUSR1, NULL, &sa) == 0);
    printf("SIGUSR1 handler reset to SIG_DFL: %s\n", yes(sa.sa_handler == SIG_DFL));
    CHECK("sigaction SIGUSR2", sigaction(SIGUSR2, NULL, &sa) == 0);
    printf("SIGUSR2 still SIG_IGN: %s\n", yes(sa.sa_handler == SIG_IGN));
    sigset_t mask;
    CHECK("sigprocmask", sigprocmask(SIG_SETMASK, NULL, &mask) == 0);
    printf("SIGTERM still blocked: %s\n", yes(sigismember(&mask, SIGTERM)));
    printf("SIGUSR1 not blocked: %s\n", yes(!sigismember(&mask, SIGUSR1)));
    CHECK("signal state", sigaction(SIGUSR1, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL &&
                              sigaction(SIGUSR2, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN &&
                              sigismember(&mask, SIGTERM) && !sigismember(&mask, SIGUSR1));
    return 0;
}

/* The image a forked child execs. */
static int child_image(int argc, char **argv, int code) {
    printf("%s image: argc %d, argv[2] \"%s\", ppid is the forking parent: %s\n", argv[1], argc,
           argc > 2 ? argv[2] : "", yes(argc > 3 && getppid() == atoi(argv[3])));
    return code;
}

/* The image of the #! script: argv is [interpreter, its argument, the
 * script's path, the rest of the original argv after argv[0]]. */
static int script_image(int argc, char **argv) {
    printf("script image: argc %d, argv[0] is the interpreter: %s, argv[2] is the script: %s, argv[3] \"%s\"\n", argc,
           yes(strcmp(argv[0], self) == 0), yes(argc == 4 && strstr(argv[2], "/script") != NULL),
           argc > 3 ? argv[3] : "");
    return 44;
}

int main(int argc, char **argv) {
    if (strchr(argv[0], '/') != NULL && strlen(argv[0]) < sizeof self)
        strcpy(self, argv[0]);
    else if (readlink("/proc/self/exe", self, sizeof self - 1) <= 0)
        FAIL("cannot find this program");

    if (argc > 1 && strcmp(argv[1], "final") == 0)
        return final_image(argc, argv);
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child_image(argc, argv, 42);
    if (argc > 1 && strcmp(argv[1], "execveat") == 0)
        return child_image(argc, argv, 43);
    if (argc > 1 && strcmp(argv[1], "shebang") == 0)
        return script_image(argc, argv);
    if (argc != 1)
        FAIL("unknown mode %s", argv[1]);

    char dir[] = "/tmp/compat-exec-XXXXXX";
    CHECK("mkdtemp", mkdtemp(dir) != NULL);
    char noexec[64], garbage[64], script[64], data[64], notdir[PATH_MAX + 8];
    snprintf(noexec, sizeof noexec, "%s/noexec", dir);
    snprintf(garbage, sizeof garbage, "%s/garbage", dir);
    snprintf(script, sizeof script, "%s/script", dir);
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(notdir, sizeof notdir, "%s/x", self);
    write_file(noexec, "#!/bin/sh\nexit 0\n", 0644);
    write_file(garbage, "this is not a program\n", 0755);
    write_file(data, "0123456789", 0644);

    /* Failures leave the process as it was. */
    char *args[] = {self, "child", NULL};
    CHECK_ERR("execve of a nonexistent path", execve("/nonexistent-compat-exec/prog", args, new_env), ENOENT);
    CHECK_ERR("execve of an empty path", execve("", args, new_env), ENOENT);
    CHECK_ERR("execve through a file as a directory", execve(notdir, args, new_env), ENOTDIR);
    CHECK_ERR("execve of a directory", execve("/tmp", args, new_env), EACCES);
    CHECK_ERR("execve of a 0644 file", execve(noexec, args, new_env), EACCES);
    CHECK_ERR("execve of an unknown format", execve(garbage, args, new_env), ENOEXEC);
    /* The raw syscall, so gcc does not object to the bad pointers. */
    CHECK_ERR("execve with a bad path pointer", syscall(SYS_execve, 1L, args, new_env), EFAULT);
    CHECK_ERR("execve with a bad argv pointer", syscall(SYS_execve, self, 1L, new_env), EFAULT);
    CHECK_ERR("execve with a bad envp pointer", syscall(SYS_execve, self, args, 1L), EFAULT);
    char *bad_arg[] = {self, (char *)1, NULL};
    CHECK_ERR("execve with a bad argv string", execve(self, bad_arg, new_env), EFAULT);
    CHECK("still running after the failures", marker == 5);

    /* fork, then execve in the child. */
    char pidstr[32], ppidstr[32];
    snprintf(pidstr, sizeof pidstr, "%d", getpid());
    snprintf(ppidstr, sizeof ppidstr, "%d", getppid());
    pid_t p = fork_flushed();
    if (p == 0) {
        char *a[] = {self, "child", "from fork", pidstr, NULL};
        execve(self, a, new_env);
        _exit(100 + (errno & 0x3f));
    }
    printf("forked child exec'd and exited with %d\n", exit_code_of(p));

    /* execveat on a descriptor of this program. */
    p = fork_flushed();
    if (p == 0) {
        int fd = open(self, O_RDONLY | O_CLOEXEC);
        char *a[] = {self, "execveat", "by descriptor", pidstr, NULL};
        syscall(SYS_execveat, fd, "", a, new_env, AT_EMPTY_PATH);
        _exit(100 + (errno & 0x3f));
    }
    printf("execveat(fd, \"\", AT_EMPTY_PATH) child exited with %d\n", exit_code_of(p));

    /* A #! script naming this program as its interpreter. */
    char line[PATH_MAX + 32];
    snprintf(line, sizeof line, "#!%s shebang\n", self);
    if (strlen(line) > 200) {
        printf("script: skipped, interpreter path too long\n");
    } else {
        write_file(script, line, 0755);
        p = fork_flushed();
        if (p == 0) {
            char *a[] = {"ignored", "last", NULL};
            execve(script, a, new_env);
            _exit(100 + (errno & 0x3f));
        }
        printf("#! script child exited with %d\n", exit_code_of(p));
    }

    /* Set up what the new image checks, then exec ourselves. */
    int fd = open(data, O_RDWR);
    CHECK("open the data file", fd >= 0 && lseek(fd, 3, SEEK_SET) == 3);
    CHECK("dup2 to the kept fd", dup2(fd, KEPT_FD) == KEPT_FD && fcntl(KEPT_FD, F_GETFD) == 0);
    CHECK("dup3 O_CLOEXEC to the closed fd", dup3(fd, CLOSED_FD, O_CLOEXEC) == CLOSED_FD &&
                                                 fcntl(CLOSED_FD, F_GETFD) == FD_CLOEXEC);
    close(fd);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    CHECK("handler for SIGUSR1", sigaction(SIGUSR1, &sa, NULL) == 0);
    CHECK("SIG_IGN for SIGUSR2", signal(SIGUSR2, SIG_IGN) != SIG_ERR);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    CHECK("block SIGTERM", sigprocmask(SIG_BLOCK, &mask, NULL) == 0);
    marker = 6;

    unlink(noexec);
    unlink(garbage);
    unlink(script);
    unlink(data);
    CHECK("remove the temporary directory", rmdir(dir) == 0);
    printf("exec'ing the final image\n");
    fflush(stdout);
    char *a[] = {self, "final", "", "two words", pidstr, ppidstr, NULL};
    execve(self, a, new_env);
    FAIL("execve of this program: %s", errname(errno));
}
