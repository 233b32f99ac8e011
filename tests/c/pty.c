/*
 * Pseudo terminals: posix_openpt/grantpt/unlockpt/ptsname, the slave's node,
 * default settings, canonical and raw input with echo, erase and kill, EOF,
 * output processing, VMIN/VTIME, window size, poll, and what each side sees
 * when the other closes. No pty numbers are printed (they differ per host).
 */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <time.h>

static int m, s;

/* Prints what reads of `fd` return once it is readable (waiting up to
 * `wait_ms`: Linux hands pty data to the other side asynchronously, output
 * processing in pieces), escaped; EAGAIN when nothing came. Reads go on
 * until `want` bytes came (0: one read). */
static void show_after(const char *label, int fd, int wait_ms, int want) {
    char buf[256], out[1024];
    ssize_t n = 0;
    int e = 0;
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    do {
        struct pollfd p = {fd, POLLIN, 0};
        poll(&p, 1, wait_ms);
        ssize_t r = read(fd, buf + n, sizeof buf - n);
        if (r <= 0) {
            e = r < 0 ? errno : 0;
            break;
        }
        n += r;
    } while (n < want);
    fcntl(fd, F_SETFL, fl);
    if (n == 0 && e) {
        printf("%s: %s\n", label, errname(e));
        return;
    }
    char *o = out;
    for (ssize_t i = 0; i < n; i++) {
        unsigned char c = buf[i];
        if (c == '\n')
            o += sprintf(o, "\\n");
        else if (c == '\r')
            o += sprintf(o, "\\r");
        else if (c < 32 || c == 127)
            o += sprintf(o, "\\x%02x", c);
        else
            *o++ = c;
    }
    *o = 0;
    printf("%s: %zd \"%s\"\n", label, n, out);
}

/* Data is expected. */
static void show(const char *label, int fd) {
    show_after(label, fd, 2000, 0);
}

/* `want` bytes are expected, maybe in pieces. */
static void show_n(const char *label, int fd, int want) {
    show_after(label, fd, 2000, want);
}

/* Nothing is expected. */
static void show_none(const char *label, int fd) {
    show_after(label, fd, 100, 0);
}

static void put(const char *data) {
    if (write(m, data, strlen(data)) != (ssize_t)strlen(data))
        FAIL("write master: %s", errname(errno));
}

static void set_lflag(tcflag_t on, tcflag_t off) {
    struct termios t;
    tcgetattr(s, &t);
    t.c_lflag = (t.c_lflag | on) & ~off;
    if (tcsetattr(s, TCSANOW, &t) != 0)
        FAIL("tcsetattr: %s", errname(errno));
}

static void set_cc(int vmin, int vtime) {
    struct termios t;
    tcgetattr(s, &t);
    t.c_cc[VMIN] = vmin;
    t.c_cc[VTIME] = vtime;
    tcsetattr(s, TCSANOW, &t);
}

static void opening(void) {
    m = posix_openpt(O_RDWR | O_NOCTTY);
    CHECK("posix_openpt", m >= 0);
    int locked = -1;
    CHECK("locked at first", ioctl(m, TIOCGPTLCK, &locked) == 0 && locked == 1);
    CHECK("grantpt", grantpt(m) == 0);
    const char *name = ptsname(m);
    CHECK("ptsname", name && strncmp(name, "/dev/pts/", 9) == 0);
    unsigned ptn;
    char byname[64];
    CHECK("TIOCGPTN", ioctl(m, TIOCGPTN, &ptn) == 0);
    snprintf(byname, sizeof byname, "/dev/pts/%u", ptn);
    CHECK("ptsname is TIOCGPTN", strcmp(byname, name) == 0);
    CHECK_ERR("open locked slave", open(name, O_RDWR | O_NOCTTY), EIO);
    CHECK("unlockpt", unlockpt(m) == 0);
    CHECK("unlocked", ioctl(m, TIOCGPTLCK, &locked) == 0 && locked == 0);
    /* The master may write before the slave opens: the input waits. */
    put("early\n");
    s = open(name, O_RDWR | O_NOCTTY);
    CHECK("open slave", s >= 0);
    show("slave reads early input", s);
    show_n("master reads its echo", m, 7);

    struct stat a, b;
    CHECK("fstat slave", fstat(s, &a) == 0 && S_ISCHR(a.st_mode) && major(a.st_rdev) == 136);
    CHECK("stat ptsname", stat(name, &b) == 0 && b.st_ino == a.st_ino && b.st_rdev == a.st_rdev);
    CHECK("fstat master", fstat(m, &a) == 0 && S_ISCHR(a.st_mode) && a.st_rdev == makedev(5, 2));
    CHECK("isatty slave", isatty(s) == 1);
    CHECK("isatty master", isatty(m) == 1);
    const char *tn = ttyname(s);
    CHECK("ttyname", tn && strcmp(tn, name) == 0);
    CHECK_ERR("TIOCGPTN on slave", ioctl(s, TIOCGPTN, &ptn), ENOTTY);
    int p[2];
    if (pipe(p) != 0)
        FAIL("pipe");
    errno = 0;
    CHECK("isatty pipe", isatty(p[0]) == 0 && errno == ENOTTY);
    struct termios t;
    CHECK_ERR("TCGETS on pipe", ioctl(p[0], TCGETS, &t), ENOTTY);
    CHECK_ERR("TCGETS bad pointer", ioctl(s, TCGETS, (void *)8), EFAULT);
    CHECK_ERR("TIOCGWINSZ bad pointer", ioctl(m, TIOCGWINSZ, (void *)8), EFAULT);
    close(p[0]);
    close(p[1]);
}

static void settings(void) {
    struct termios t;
    CHECK("tcgetattr", tcgetattr(s, &t) == 0);
    printf("iflag %#x oflag %#x cflag %#x lflag %#x\n", t.c_iflag, t.c_oflag, t.c_cflag,
           t.c_lflag);
    printf("cc intr %d quit %d erase %d kill %d eof %d min %d time %d\n", t.c_cc[VINTR],
           t.c_cc[VQUIT], t.c_cc[VERASE], t.c_cc[VKILL], t.c_cc[VEOF], t.c_cc[VMIN],
           t.c_cc[VTIME]);
    printf("speed %d\n", (int)cfgetospeed(&t) == B38400);
    struct termios mt;
    tcgetattr(m, &mt);
    CHECK("master shows the slave's settings",
          mt.c_iflag == t.c_iflag && mt.c_oflag == t.c_oflag && mt.c_cflag == t.c_cflag &&
              mt.c_lflag == t.c_lflag && memcmp(mt.c_cc, t.c_cc, sizeof t.c_cc) == 0);
    t.c_lflag &= ~ECHOE;
    CHECK("TCSETS through the master", tcsetattr(m, TCSANOW, &t) == 0);
    tcgetattr(s, &mt);
    CHECK("slave sees it", !(mt.c_lflag & ECHOE));
    t.c_lflag |= ECHOE;
    tcsetattr(s, TCSAFLUSH, &t);
}

static void canonical(void) {
    put("hello\r");
    show("line", s);
    show_n("echo", m, 7);
    put("ab\x7f" "c\n");
    show("erased", s);
    show_n("erase echo", m, 8);
    put("xyz\x15ok\n");
    show("killed", s);
    show_n("kill echo", m, 16);
    put("\x01\n");
    show("control", s);
    show_n("control echo", m, 4);
    put("partial");
    show_none("no line yet", s);
    int n = -1;
    CHECK("FIONREAD without a line", ioctl(s, FIONREAD, &n) == 0 && n == 0);
    put("\n");
    /* Linux hands pty input to the line discipline asynchronously; a poll
     * waits for that, FIONREAD alone does not. */
    struct pollfd p = {s, POLLIN, 0};
    poll(&p, 1, 0);
    CHECK("FIONREAD with a line", ioctl(s, FIONREAD, &n) == 0 && n == 8);
    show("line now", s);
    show_n("partial echo", m, 9);
    put("abc\x04");
    show("EOF ends a line", s);
    put("\x04");
    show("EOF at the start", s);
    show_n("EOF echo", m, 3);
    /* Two lines: a read takes one. */
    put("one\ntwo\n");
    show("first of two lines", s);
    char buf[64];
    ssize_t r = read(s, buf, 2);
    printf("short read: %zd\n", r);
    show("rest", s);
    show_n("echo of both", m, 10);
    set_lflag(0, ECHO);
    put("quiet\n");
    show("quiet line", s);
    show_none("no echo", m);
    set_lflag(ECHONL, 0);
    put("nl\n");
    show("nl line", s);
    show_n("ECHONL", m, 2);
    set_lflag(ECHO, ECHONL);
}

static void input_translation(void) {
    struct termios t, old;
    tcgetattr(s, &old);
    t = old;
    t.c_iflag &= ~ICRNL;
    t.c_iflag |= INLCR;
    t.c_lflag &= ~(ICANON | ECHO);
    tcsetattr(s, TCSANOW, &t);
    put("a\nb\r");
    show("INLCR", s);
    t.c_iflag = IGNCR;
    tcsetattr(s, TCSANOW, &t);
    put("c\rd");
    show("IGNCR", s);
    tcsetattr(s, TCSANOW, &old);
}

static void output(void) {
    if (write(s, "a\nb", 3) != 3)
        FAIL("write slave");
    show_n("ONLCR", m, 4);
    struct termios t, old;
    tcgetattr(s, &old);
    t = old;
    t.c_oflag &= ~OPOST;
    tcsetattr(s, TCSANOW, &t);
    write(s, "a\nb", 3);
    show("no OPOST", m);
    t.c_oflag = OPOST | OCRNL;
    tcsetattr(s, TCSANOW, &t);
    write(s, "x\ry", 3);
    show_n("OCRNL", m, 3);
    tcsetattr(s, TCSANOW, &old);
}

static long ms_since(struct timespec *a) {
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static void raw(void) {
    struct termios old;
    tcgetattr(s, &old);
    put("pending");
    show_n("its echo", m, 7);
    set_lflag(0, ICANON | ECHO);
    show("edited line readable in raw mode", s);
    set_cc(1, 0);
    put("xyz");
    show("raw", s);
    show_none("raw no echo", m);
    char buf[16];
    set_cc(0, 0);
    printf("MIN 0 TIME 0 read: %zd\n", read(s, buf, sizeof buf));
    set_cc(0, 2);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ssize_t r = read(s, buf, sizeof buf);
    long ms = ms_since(&t0);
    CHECK("MIN 0 TIME 2 times out", r == 0 && ms >= 150);
    set_cc(3, 0);
    put("12");
    struct pollfd p = {s, POLLIN, 0};
    CHECK("MIN 3: not readable with 2", poll(&p, 1, 0) == 0);
    put("3");
    CHECK("MIN 3: readable with 3", poll(&p, 1, 0) == 1 && p.revents == POLLIN);
    printf("MIN 3 read: %zd\n", read(s, buf, sizeof buf));
    set_cc(5, 2);
    put("ab");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = read(s, buf, sizeof buf);
    CHECK("MIN 5 TIME 2: bytes after the inter-byte time", r == 2);
    put("x");
    struct pollfd ready = {s, POLLIN, 0};
    poll(&ready, 1, 2000);
    set_lflag(ICANON | ECHO, 0);
    put("y\n");
    show("raw data becomes a line", s);
    show_n("echo", m, 4);
    tcsetattr(s, TCSAFLUSH, &old);
}

static void winsize_and_poll(void) {
    struct winsize w = {0}, got;
    CHECK("TIOCGWINSZ", ioctl(s, TIOCGWINSZ, &got) == 0);
    printf("initial size %dx%d\n", got.ws_row, got.ws_col);
    w.ws_row = 24;
    w.ws_col = 80;
    CHECK("TIOCSWINSZ on master", ioctl(m, TIOCSWINSZ, &w) == 0);
    CHECK("slave has it", ioctl(s, TIOCGWINSZ, &got) == 0 && got.ws_row == 24 && got.ws_col == 80);
    struct pollfd p[2] = {{m, POLLIN | POLLOUT, 0}, {s, POLLIN | POLLOUT, 0}};
    poll(p, 2, 0);
    printf("idle: master %#x slave %#x\n", p[0].revents, p[1].revents);
    write(s, "out", 3);
    put("in\n");
    /* The echo of "in" reaches the master only after the slave's line
     * discipline has run, asynchronously on Linux: wait for all 7 bytes. */
    int n = -1;
    for (int tries = 0; tries < 200; tries++) {
        poll(p, 2, 0);
        if (ioctl(m, FIONREAD, &n) != 0 || n >= 7)
            break;
        usleep(10000);
    }
    printf("busy: master %#x slave %#x\n", p[0].revents, p[1].revents);
    CHECK("FIONREAD master", ioctl(m, FIONREAD, &n) == 0 && n == 7);
    show_n("master reads", m, 7);
    CHECK("TCFLSH", tcflush(s, TCIFLUSH) == 0);
    show_none("input flushed", s);
}

static void peer(void) {
    int fd = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    CHECK("TIOCGPTPEER", fd >= 0);
    const char *a = ttyname(fd), *b = ptsname(m);
    CHECK("peer ttyname", a && b && strcmp(a, b) == 0);
    write(fd, "peer", 4);
    show_n("from the peer", m, 4);
    close(fd);
}

static void closing(void) {
    char name[64];
    snprintf(name, sizeof name, "%s", ptsname(m));
    write(s, "bye\n", 4);
    show_n("master reads", m, 5);
    close(s);
    struct pollfd p = {m, POLLIN | POLLOUT, 0};
    poll(&p, 1, 0);
    printf("master after slave close: %#x\n", p.revents);
    char buf[16];
    CHECK_ERR("master read after that", read(m, buf, sizeof buf), EIO);
    CHECK("master write still works", write(m, "x", 1) == 1);
    s = open(name, O_RDWR | O_NOCTTY);
    CHECK("slave opens again", s >= 0);
    close(m);
    p.fd = s;
    poll(&p, 1, 0);
    printf("slave after master close: %#x\n", p.revents);
    CHECK("slave reads EOF", read(s, buf, sizeof buf) == 0);
    CHECK_ERR("slave write", write(s, "x", 1), EIO);
    struct termios t;
    CHECK_ERR("slave tcgetattr", tcgetattr(s, &t), EIO);
    struct stat st;
    CHECK_ERR("node gone", stat(name, &st), ENOENT);
    close(s);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    opening();
    settings();
    canonical();
    input_translation();
    output();
    raw();
    winsize_and_poll();
    peer();
    closing();
    return 0;
}
