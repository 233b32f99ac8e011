/*
 * ETXTBSY: a running program's executable cannot be opened for writing or
 * truncated (by others or through /proc/self/exe), and a file open for
 * writing cannot be executed (a script neither, nor a program whose ELF
 * interpreter is); once the program ends, or the writer closes, both work
 * again. The interpreter is kept from writing only while exec loads it.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common.h"

static char copy[64], script[64];

static void copy_self(void) {
    int in = open("/proc/self/exe", O_RDONLY);
    int out = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    char buf[65536];
    ssize_t n;
    if (in < 0 || out < 0)
        FAIL("open for the copy");
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, n) != n)
            FAIL("copy write");
    close(in);
    close(out);
}

/* The copy, running: reports, then waits for its stdin to close. */
static int running(void) {
    errno = 0;
    int fd = open("/proc/self/exe", O_WRONLY);
    printf("running: open /proc/self/exe for writing: %s\n", fd < 0 ? errname(errno) : "success");
    fd = open("/proc/self/exe", O_RDONLY);
    printf("running: open /proc/self/exe for reading: %s\n", fd < 0 ? errname(errno) : "success");
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0)
        ;
    return 0;
}

/* Copies `from` to `to` (mode 0755). */
static void copy_file(const char *from, const char *to) {
    int in = open(from, O_RDONLY);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    char buf[65536];
    ssize_t n;
    if (in < 0 || out < 0)
        FAIL("copy %s to %s", from, to);
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, n) != n)
            FAIL("copy write");
    close(in);
    close(out);
}

/*
 * Points the copy's ELF interpreter (PT_INTERP) at a copy of the real one,
 * `ld` (no longer than the original path). Returns 0 for a static program.
 */
static int own_interpreter(const char *ld) {
    int fd = open(copy, O_RDWR);
    Elf64_Ehdr eh;
    if (fd < 0 || pread(fd, &eh, sizeof eh, 0) != sizeof eh)
        FAIL("read ELF header");
    for (int i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof ph, eh.e_phoff + i * sizeof ph) != sizeof ph)
            FAIL("read program header");
        if (ph.p_type != PT_INTERP)
            continue;
        char real[256] = {0}, patched[256] = {0};
        if (ph.p_filesz >= sizeof real || strlen(ld) >= ph.p_filesz ||
            pread(fd, real, ph.p_filesz, ph.p_offset) != (ssize_t)ph.p_filesz)
            FAIL("PT_INTERP");
        copy_file(real, ld);
        strcpy(patched, ld);
        if (pwrite(fd, patched, ph.p_filesz, ph.p_offset) != (ssize_t)ph.p_filesz)
            FAIL("patch PT_INTERP");
        close(fd);
        return 1;
    }
    close(fd);
    return 0;
}

/* execve of `path` in a child: its errno, or 100 + its exit status. */
static int exec_status(const char *path) {
    pid_t pid = fork();
    if (pid == 0) {
        execl(path, path, "exit", (char *)NULL);
        _exit(errno);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Starts the copy running ("running": it reports on stdout, then waits for
 * the end of its stdin); *go ends it when closed, *ready reads its report. */
static pid_t start_running(int *go, int *ready) {
    int go_pipe[2], ready_pipe[2];
    if (pipe(go_pipe) != 0 || pipe(ready_pipe) != 0)
        FAIL("pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(go_pipe[0], 0);
        dup2(ready_pipe[1], 1);
        close(go_pipe[1]);
        close(ready_pipe[0]);
        execl(copy, copy, "running", (char *)NULL);
        _exit(127);
    }
    close(go_pipe[0]);
    close(ready_pipe[1]);
    *go = go_pipe[1];
    *ready = ready_pipe[0];
    return pid;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "running") == 0)
        return running();
    if (argc > 1 && strcmp(argv[1], "exit") == 0)
        return 7;
    snprintf(copy, sizeof copy, "/tmp/etxtbsy.%d", getpid());
    snprintf(script, sizeof script, "/tmp/etxtbsy-sh.%d", getpid());
    copy_self();

    int go, ready;
    pid_t pid = start_running(&go, &ready);
    /* The program's own report (two lines), once it runs. */
    char report[256] = {0};
    size_t got = 0;
    int lines = 0;
    while (lines < 2 && got < sizeof report - 1) {
        ssize_t n = read(ready, report + got, 1);
        if (n <= 0)
            FAIL("the program did not report");
        lines += report[got] == '\n';
        got += n;
    }
    fputs(report, stdout);

    CHECK_ERR("open a running program for writing", open(copy, O_WRONLY), ETXTBSY);
    CHECK_ERR("open it read-write", open(copy, O_RDWR), ETXTBSY);
    CHECK_ERR("open it with O_TRUNC", open(copy, O_WRONLY | O_TRUNC), ETXTBSY);
    CHECK_ERR("truncate it", truncate(copy, 0), ETXTBSY);
    struct stat st;
    CHECK("it is not truncated", stat(copy, &st) == 0 && st.st_size > 0);
    int rd = open(copy, O_RDONLY);
    CHECK("open it for reading", rd >= 0);
    close(rd);
    CHECK("it runs twice", exec_status(copy) == 7);

    close(go);
    int status;
    waitpid(pid, &status, 0);
    CHECK("the program ended", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int w = open(copy, O_WRONLY);
    CHECK("writable once it ended", w >= 0);
    CHECK("exec of a file open for writing", exec_status(copy) == ETXTBSY);
    close(w);
    CHECK("exec once the writer closed", exec_status(copy) == 7);

    /* A script: executing it opens it as the interpreter does. */
    int s = open(script, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    const char text[] = "#!/bin/sh\nexit 9\n";
    if (s < 0 || write(s, text, sizeof text - 1) != sizeof text - 1)
        FAIL("script");
    CHECK("exec of a script open for writing", exec_status(script) == ETXTBSY);
    close(s);
    CHECK("exec of the script once closed", exec_status(script) == 9);

    /* The ELF interpreter is kept from writing only while exec loads it. */
    char ld[32];
    snprintf(ld, sizeof ld, "/tmp/etx-ld.%d", getpid() % 100000);
    if (own_interpreter(ld)) {
        int lw = open(ld, O_WRONLY);
        CHECK("exec with its interpreter open for writing", exec_status(copy) == ETXTBSY);
        close(lw);
        CHECK("exec with the interpreter closed", exec_status(copy) == 7);
        /* Running (its report to a pipe, read once it runs), stopped by
         * the end of its stdin. */
        pid = start_running(&go, &ready);
        char c;
        if (read(ready, &c, 1) != 1)
            FAIL("the program did not report");
        lw = open(ld, O_WRONLY);
        CHECK("a running program's interpreter may be written", lw >= 0);
        close(lw);
        close(go);
        close(ready);
        waitpid(pid, &status, 0);
        unlink(ld);
    } else {
        /* Static builds have no interpreter: the same lines, for the diff. */
        printf("exec with its interpreter open for writing: ok\n");
        printf("exec with the interpreter closed: ok\n");
        printf("a running program's interpreter may be written: ok\n");
    }

    unlink(copy);
    unlink(script);
    printf("done\n");
    return 0;
}
