/*
 * Job control on a pty: a child session leader makes the slave its
 * controlling terminal; ^C and ^Z from the master signal its foreground
 * group, TIOCSWINSZ sends SIGWINCH, background reads get SIGTTIN (EIO when
 * ignored), background writes with TOSTOP get SIGTTOU, tcsetpgrp's rules,
 * setsid drops the terminal, /proc/PID/stat shows the terminal (tty_nr,
 * tpgid) and ttyname names it, and closing the master hangs it up (SIGHUP to
 * the session leader, EOF, /dev/tty gone). The child prints; the parent
 * drives the master and waits for the child's tokens on it.
 */
#define _GNU_SOURCE
#include "procs.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

static int m, s;
static char name[64];
static volatile sig_atomic_t got[65];

static void on_signal(int sig) {
    got[sig] = 1;
}

/* Waits (signals blocked outside) until `sig` arrived. */
static void await_signal(int sig) {
    sigset_t none;
    sigemptyset(&none);
    while (!got[sig])
        sigsuspend(&none);
    got[sig] = 0;
}

static void tell(const char *token) {
    if (write(s, token, strlen(token)) < 0)
        FAIL("write slave: %s", errname(errno));
}

/* The parent reads the master until `token` shows up. */
static void wait_for(const char *token) {
    static char seen[4096];
    static size_t len;
    for (;;) {
        char *at = memmem(seen, len, token, strlen(token));
        if (at) {
            size_t used = at - seen + strlen(token);
            memmove(seen, seen + used, len - used);
            len -= used;
            return;
        }
        ssize_t n = read(m, seen + len, sizeof seen - len);
        if (n <= 0)
            FAIL("read master waiting for %s: %s", token, errname(errno));
        len += n;
    }
}

/* Runs `body` in a grandchild of its own (background) group and reports
 * how it ended: "exit N" or "stopped SIG". */
static void in_background(const char *label, void (*body)(void)) {
    pid_t p = fork_flushed();
    if (p == 0) {
        setpgid(0, 0);
        body();
        _exit(0);
    }
    setpgid(p, p);
    int status;
    waitpid(p, &status, WUNTRACED);
    if (WIFSTOPPED(status)) {
        printf("%s: stopped by %s\n", label, strsignal(WSTOPSIG(status)));
        kill(p, SIGKILL);
        waitpid(p, &status, 0);
    } else if (WIFEXITED(status)) {
        printf("%s: exit %d\n", label, WEXITSTATUS(status));
    } else {
        printf("%s: killed by %s\n", label, strsignal(WTERMSIG(status)));
    }
}

/* Fields 7 and 8 of /proc/self/stat: the controlling terminal's number and
 * its foreground group. */
static void stat_tty(unsigned *tty_nr, int *tpgid) {
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        FAIL("open /proc/self/stat: %s", errname(errno));
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *end = strrchr(buf, ')');
    if (!end || sscanf(end + 2, "%*c %*d %*d %*d %u %d", tty_nr, tpgid) != 2)
        FAIL("parse /proc/self/stat: %s", buf);
}

/* Linux's new_encode_dev, as tty_nr shows a device number. */
static unsigned encode_dev(dev_t dev) {
    unsigned ma = major(dev), mi = minor(dev);
    return (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
}

static void bg_read(void) {
    char c;
    read(s, &c, 1);
    _exit(3);
}

static void bg_read_ignoring(void) {
    signal(SIGTTIN, SIG_IGN);
    char c;
    _exit(read(s, &c, 1) < 0 && errno == EIO ? 0 : 4);
}

static void bg_write(void) {
    _exit(write(s, "bg\n", 3) == 3 ? 0 : 5);
}

static void bg_tcsetpgrp_blocked(void) {
    sigset_t ttou;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    sigprocmask(SIG_BLOCK, &ttou, NULL);
    pid_t fg = tcgetpgrp(s);
    if (tcsetpgrp(s, getpgrp()) != 0 || tcgetpgrp(s) != getpgrp())
        _exit(6);
    /* In the foreground now: give it back. */
    _exit(tcsetpgrp(s, fg) == 0 ? 0 : 7);
}

static void bg_tcsetpgrp(void) {
    tcsetpgrp(s, getpgrp());
    _exit(8);
}

static void new_session_loses_it(void) {
    setsid();
    unsigned tty_nr;
    int tpgid;
    stat_tty(&tty_nr, &tpgid);
    if (tty_nr != 0 || tpgid != -1)
        _exit(10);
    _exit(open("/dev/tty", O_RDWR) < 0 && errno == ENXIO ? 0 : 9);
}

static void child(void) {
    sigset_t mask;
    sigemptyset(&mask);
    int sigs[] = {SIGINT, SIGWINCH, SIGHUP, SIGCONT};
    for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        sigaddset(&mask, sigs[i]);
        signal(sigs[i], on_signal);
    }
    sigprocmask(SIG_BLOCK, &mask, NULL);
    close(m);

    int fd = open(name, O_RDWR | O_NOCTTY);
    CHECK_ERR("TIOCSCTTY, not a session leader", ioctl(fd, TIOCSCTTY, 0), EPERM);
    close(fd);
    CHECK("setsid", setsid() == getpid());
    CHECK_ERR("no controlling terminal yet", open("/dev/tty", O_RDWR), ENXIO);
    s = open(name, O_RDWR);
    CHECK("open without O_NOCTTY", s >= 0);
    CHECK("it became the controlling terminal", tcgetpgrp(s) == getpid());
    pid_t sid = -1;
    CHECK("TIOCGSID", ioctl(s, TIOCGSID, &sid) == 0 && sid == getpid());
    CHECK("TIOCSCTTY again", ioctl(s, TIOCSCTTY, 0) == 0);
    struct stat st;
    unsigned tty_nr;
    int tpgid;
    fstat(s, &st);
    stat_tty(&tty_nr, &tpgid);
    CHECK("/proc/self/stat: tty_nr", tty_nr == encode_dev(st.st_rdev));
    CHECK("/proc/self/stat: tpgid", tpgid == getpid());
    const char *tty_name = ttyname(s);
    CHECK("ttyname", tty_name && strcmp(tty_name, name) == 0);
    int tty = open("/dev/tty", O_RDWR);
    CHECK("/dev/tty opens", tty >= 0);
    CHECK("/dev/tty is a terminal", isatty(tty) && tcgetpgrp(tty) == getpid());
    close(tty);

    tell("ready\n");
    await_signal(SIGINT);
    printf("^C: SIGINT\n");
    tell("got-int\n");
    await_signal(SIGWINCH);
    printf("TIOCSWINSZ: SIGWINCH\n");

    in_background("background read", bg_read);
    in_background("background read, SIGTTIN ignored", bg_read_ignoring);
    in_background("background write", bg_write);
    struct termios t;
    tcgetattr(s, &t);
    t.c_lflag |= TOSTOP;
    tcsetattr(s, TCSANOW, &t);
    in_background("background write with TOSTOP", bg_write);
    t.c_lflag &= ~TOSTOP;
    tcsetattr(s, TCSANOW, &t);
    in_background("background tcsetpgrp, SIGTTOU blocked", bg_tcsetpgrp_blocked);
    in_background("background tcsetpgrp", bg_tcsetpgrp);
    CHECK("foreground is back", tcgetpgrp(s) == getpid());
    CHECK_ERR("tcsetpgrp to no group", tcsetpgrp(s, 999999), ESRCH);
    CHECK_ERR("tcsetpgrp to another session's group", tcsetpgrp(s, getpgid(getppid())), EPERM);
    pid_t q = fork_flushed();
    if (q == 0)
        new_session_loses_it();
    printf("setsid drops the terminal: exit %d\n", exit_code_of(q));

    /* ^Z stops the foreground group: make a grandchild's group the foreground. */
    pid_t p = fork_flushed();
    if (p == 0) {
        setpgid(0, 0);
        for (;;)
            pause();
    }
    setpgid(p, p);
    CHECK("tcsetpgrp", tcsetpgrp(s, p) == 0);
    tell("fg-set\n");
    int status;
    waitpid(p, &status, WUNTRACED);
    printf("^Z: %s\n", WIFSTOPPED(status) ? strsignal(WSTOPSIG(status)) : "not stopped");
    kill(p, SIGKILL);
    waitpid(p, &status, 0);
    sigset_t ttou;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    sigprocmask(SIG_BLOCK, &ttou, NULL);
    CHECK("foreground again", tcsetpgrp(s, getpid()) == 0);

    tell("hang-up-now\n");
    await_signal(SIGHUP);
    printf("master closed: SIGHUP\n");
    char c;
    CHECK("read after hang-up is EOF", read(s, &c, 1) == 0);
    CHECK_ERR("tcgetpgrp after hang-up", tcgetpgrp(s), EIO);
    CHECK_ERR("/dev/tty after hang-up", open("/dev/tty", O_RDWR), ENXIO);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) || unlockpt(m))
        FAIL("posix_openpt: %s", errname(errno));
    snprintf(name, sizeof name, "%s", ptsname(m));
    CHECK("a master answers for its slave", tcgetpgrp(m) == 0);
    int other = open(name, O_RDWR | O_NOCTTY);
    /* Kept open: with no slave open the master reads EIO. */
    CHECK_ERR("tcgetpgrp of a terminal that is not ours", tcgetpgrp(other), ENOTTY);
    pid_t c = fork_flushed();
    if (c == 0) {
        child();
        fflush(stdout);
        _exit(0);
    }
    wait_for("ready");
    CHECK("master sees the foreground group", tcgetpgrp(m) == c);
    write(m, "\x03", 1);
    wait_for("got-int");
    struct winsize w = {.ws_row = 30, .ws_col = 100};
    ioctl(m, TIOCSWINSZ, &w);
    wait_for("fg-set");
    write(m, "\x1a", 1);
    wait_for("hang-up-now");
    close(m);
    printf("child: exit %d\n", exit_code_of(c));
    return 0;
}
