/* inotify: instances, watches, the events of file operations, reads. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/sendfile.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "common.h"

static const struct {
    unsigned bit;
    const char *name;
} NAMES[] = {
    {IN_ACCESS, "ACCESS"},         {IN_MODIFY, "MODIFY"},
    {IN_ATTRIB, "ATTRIB"},         {IN_CLOSE_WRITE, "CLOSE_WRITE"},
    {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {IN_OPEN, "OPEN"},
    {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"},
    {IN_CREATE, "CREATE"},         {IN_DELETE, "DELETE"},
    {IN_DELETE_SELF, "DELETE_SELF"}, {IN_MOVE_SELF, "MOVE_SELF"},
    {IN_UNMOUNT, "UNMOUNT"},       {IN_Q_OVERFLOW, "Q_OVERFLOW"},
    {IN_IGNORED, "IGNORED"},       {IN_ISDIR, "ISDIR"},
};

static unsigned last_cookie;

/* Prints one event: "  wd=N MASK|MASK name=... [cookie=same|new|none]". */
static void print_event(const struct inotify_event *e) {
    char mask[256] = "";
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++) {
        if (e->mask & NAMES[i].bit) {
            if (mask[0])
                strcat(mask, "|");
            strcat(mask, NAMES[i].name);
        }
    }
    const char *cookie = "none";
    if (e->cookie) {
        cookie = e->cookie == last_cookie ? "same" : "new";
        last_cookie = e->cookie;
    }
    printf("  wd=%d %s name=%s len%%16=%u cookie=%s\n", e->wd, mask,
           e->len ? e->name : "-", e->len % 16, cookie);
}

/* Reads and prints every queued event (the descriptor is non-blocking). */
static int drain(int fd, const char *label) {
    char buf[4096] __attribute__((aligned(8)));
    int n = 0;
    printf("%s:\n", label);
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0) {
            if (errno != EAGAIN)
                FAIL("%s: read: %s", label, errname(errno));
            break;
        }
        for (ssize_t off = 0; off < r;) {
            struct inotify_event *e = (struct inotify_event *)(buf + off);
            print_event(e);
            off += sizeof *e + e->len;
            n++;
        }
    }
    return n;
}

static void touch(const char *path) {
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    if (fd < 0)
        FAIL("create %s: %s", path, errname(errno));
    close(fd);
}

static void on_alarm(int sig) { (void)sig; }

static void errors(void) {
    int in = inotify_init1(IN_NONBLOCK);
    CHECK_ERR("init1 bad flags", inotify_init1(1), EINVAL);
    CHECK_ERR("add_watch bad fd", inotify_add_watch(999, ".", IN_ALL_EVENTS), EBADF);
    int notin = open(".", O_RDONLY);
    CHECK_ERR("add_watch not inotify", inotify_add_watch(notin, ".", IN_ALL_EVENTS), EINVAL);
    CHECK_ERR("rm_watch not inotify", inotify_rm_watch(notin, 1), EINVAL);
    close(notin);
    CHECK_ERR("empty mask", inotify_add_watch(in, ".", 0), EINVAL);
    CHECK_ERR("MASK_ADD with MASK_CREATE",
              inotify_add_watch(in, ".", IN_CREATE | IN_MASK_ADD | IN_MASK_CREATE), EINVAL);
    CHECK_ERR("missing path", inotify_add_watch(in, "nope", IN_ALL_EVENTS), ENOENT);
    CHECK_ERR("empty path", inotify_add_watch(in, "", IN_ALL_EVENTS), ENOENT);
    touch("plain");
    CHECK_ERR("ONLYDIR on a file", inotify_add_watch(in, "plain", IN_CREATE | IN_ONLYDIR), ENOTDIR);
    int wd = inotify_add_watch(in, ".", IN_CREATE);
    CHECK("first watch is 1", wd == 1);
    CHECK("same inode, same wd", inotify_add_watch(in, "./", IN_DELETE) == wd);
    CHECK_ERR("MASK_CREATE on a watched inode",
              inotify_add_watch(in, ".", IN_CREATE | IN_MASK_CREATE), EEXIST);
    CHECK_ERR("rm_watch unknown wd", inotify_rm_watch(in, 42), EINVAL);
    CHECK_ERR("rm_watch bad fd", inotify_rm_watch(999, 1), EBADF);
    CHECK_ERR("write", write(in, "x", 1), EBADF);
    print_fd_link(in);
    CHECK("rm_watch", inotify_rm_watch(in, wd) == 0);
    CHECK_ERR("rm_watch twice", inotify_rm_watch(in, wd), EINVAL);
    drain(in, "after rm_watch");
    CHECK("next wd is new", inotify_add_watch(in, ".", IN_CREATE) == 2);
    unlink("plain");
    close(in);

    /* Reading needs read permission on the path. */
    touch("secret");
    chmod("secret", 0);
    pid_t pid = fork();
    if (pid == 0) {
        if (setuid(65534) != 0)
            FAIL("setuid");
        int i2 = inotify_init();
        CHECK_ERR("no read permission", inotify_add_watch(i2, "secret", IN_ALL_EVENTS), EACCES);
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    CHECK("child checked permission", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    unlink("secret");
}

static void reading(void) {
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    CHECK("IN_CLOEXEC", fcntl(in, F_GETFD) == FD_CLOEXEC);
    CHECK("IN_NONBLOCK", (fcntl(in, F_GETFL) & O_NONBLOCK) != 0);
    char buf[256] __attribute__((aligned(8)));
    CHECK_ERR("empty read", read(in, buf, sizeof buf), EAGAIN);
    struct pollfd p = {.fd = in, .events = POLLIN};
    CHECK("not ready", poll(&p, 1, 0) == 0);
    int n = -1;
    CHECK("FIONREAD empty", ioctl(in, FIONREAD, &n) == 0 && n == 0);
    inotify_add_watch(in, ".", IN_CREATE | IN_DELETE);
    touch("abc");
    touch("0123456789abcdef");
    CHECK("ready", poll(&p, 1, 0) == 1 && p.revents == POLLIN);
    CHECK("FIONREAD two events", ioctl(in, FIONREAD, &n) == 0 && n == 16 + 16 + 16 + 32);
    CHECK_ERR("buffer too small", read(in, buf, sizeof(struct inotify_event) + 3), EINVAL);
    CHECK("read takes whole events", read(in, buf, 40) == 32);
    CHECK("name padded with NULs", ((struct inotify_event *)buf)->len == 16 &&
                                       memcmp(((struct inotify_event *)buf)->name,
                                              "abc\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0);
    CHECK("second event", read(in, buf, sizeof buf) == 48);
    unlink("abc");
    unlink("abc"); /* ENOENT: no event */
    touch("abc");
    unlink("abc");
    unlink("0123456789abcdef");
    drain(in, "delete, create, delete, delete");
    close(in);
}

static void directory_events(void) {
    int in = inotify_init1(IN_NONBLOCK);
    int wd = inotify_add_watch(in, ".", IN_ALL_EVENTS);
    printf("dir wd=%d\n", wd);

    int fd = open("f", O_CREAT | O_WRONLY, 0644);
    write(fd, "hello", 5);
    write(fd, "hello", 5);
    close(fd);
    drain(in, "create, write twice, close");

    fd = open("f", O_RDONLY);
    char b[4];
    read(fd, b, 4);
    read(fd, b, 0);
    close(fd);
    drain(in, "open, read, close");

    fd = open("f", O_RDWR | O_TRUNC);
    close(fd);
    fd = open("f", O_WRONLY | O_TRUNC);
    close(fd);
    drain(in, "O_TRUNC, O_TRUNC of an empty file");

    fd = open("f", O_RDWR);
    fallocate(fd, 0, 0, 100);
    int src = open("f", O_RDONLY);
    lseek(fd, 0, SEEK_SET);
    sendfile(fd, src, NULL, 10);
    close(src);
    close(fd);
    drain(in, "fallocate, sendfile");

    chmod("f", 0600);
    chown("f", getuid(), -1);
    utimes("f", NULL);
    setxattr("f", "user.k", "v", 1, 0);
    removexattr("f", "user.k");
    truncate("f", 3);
    drain(in, "chmod, chown, utimes, setxattr, removexattr, truncate");

    rename("f", "g");
    drain(in, "rename");
    link("g", "h");
    symlink("g", "s");
    unlink("h");
    unlink("s");
    drain(in, "link, symlink, unlink, unlink");

    mkdir("sub", 0755);
    touch("sub/inner");
    rename("sub", "sub2");
    unlink("sub2/inner");
    rmdir("sub2");
    drain(in, "mkdir, rename dir, rmdir");

    DIR *d = opendir(".");
    while (readdir(d))
        ;
    closedir(d);
    drain(in, "readdir");

    touch("x");
    rename("x", "g"); /* replaces g */
    drain(in, "rename over an existing file");
    mkfifo("fifo", 0644);
    unlink("fifo");
    unlink("g");
    drain(in, "mkfifo, unlink");
    close(in);
}

static void file_events(void) {
    int in = inotify_init1(IN_NONBLOCK);
    touch("f");
    int wdd = inotify_add_watch(in, ".", IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE);
    int wd = inotify_add_watch(in, "f", IN_ALL_EVENTS);
    printf("dir wd=%d file wd=%d\n", wdd, wd);
    int fd = open("f", O_WRONLY);
    write(fd, "x", 1);
    close(fd);
    drain(in, "file: open, write, close (dir and file watches)");
    chmod("f", 0600);
    link("f", "f2");
    rename("f", "f3");
    unlink("f2");
    drain(in, "file: chmod, link, rename, unlink one name");
    fd = open("f3", O_RDONLY);
    unlink("f3");
    drain(in, "file: unlink last name while open");
    close(fd);
    drain(in, "file: close the last description");

    touch("g");
    wd = inotify_add_watch(in, "g", IN_ALL_EVENTS);
    unlink("g");
    drain(in, "file: unlink");

    mkdir("d", 0755);
    wd = inotify_add_watch(in, "d", IN_ALL_EVENTS);
    chmod("d", 0700);
    rename("d", "d2");
    rmdir("d2");
    drain(in, "dir: chmod, rename, rmdir");

    touch("r1");
    touch("r2");
    wd = inotify_add_watch(in, "r2", IN_ALL_EVENTS);
    rename("r1", "r2");
    drain(in, "file: replaced by rename");
    touch("r1");
    wd = inotify_add_watch(in, "r1", IN_ALL_EVENTS);
    int wd2 = inotify_add_watch(in, "r2", IN_ALL_EVENTS);
    printf("r1 wd=%d r2 wd=%d\n", wd, wd2);
    int wdir = inotify_add_watch(in, ".", IN_MOVED_FROM | IN_MOVED_TO);
    CHECK("exchange", renameat2(AT_FDCWD, "r1", AT_FDCWD, "r2", RENAME_EXCHANGE) == 0);
    drain(in, "file: RENAME_EXCHANGE");
    inotify_rm_watch(in, wdir);
    unlink("r1");
    unlink("r2");
    drain(in, "file: unlink both");

    touch("t");
    symlink("t", "link");
    int w1 = inotify_add_watch(in, "link", IN_ATTRIB);
    int w2 = inotify_add_watch(in, "link", IN_ATTRIB | IN_DONT_FOLLOW);
    CHECK("DONT_FOLLOW watches the link", w1 != w2 && inotify_add_watch(in, "t", IN_ATTRIB) == w1);
    chmod("t", 0600);
    drain(in, "chmod through a followed link");
    unlink("link");
    unlink("t");
    close(in);
}

static void excl_unlink(void) {
    int in = inotify_init1(IN_NONBLOCK);
    inotify_add_watch(in, ".", IN_ALL_EVENTS | IN_EXCL_UNLINK);
    int fd = open("e", O_CREAT | O_WRONLY, 0644);
    unlink("e");
    write(fd, "x", 1);
    close(fd);
    drain(in, "EXCL_UNLINK: create, unlink, write, close");
    close(in);
}

static void watch_flags(void) {
    int in = inotify_init1(IN_NONBLOCK);
    int wd = inotify_add_watch(in, ".", IN_CREATE | IN_ONESHOT);
    touch("a");
    touch("b");
    drain(in, "ONESHOT");
    CHECK_ERR("oneshot watch is gone", inotify_rm_watch(in, wd), EINVAL);

    wd = inotify_add_watch(in, ".", IN_CREATE);
    CHECK("MASK_ADD keeps wd", inotify_add_watch(in, ".", IN_DELETE | IN_MASK_ADD) == wd);
    unlink("a");
    touch("a");
    drain(in, "MASK_ADD: delete and create");
    inotify_add_watch(in, ".", IN_DELETE);
    unlink("a");
    touch("a");
    drain(in, "replaced mask: delete only");
    unlink("a");
    unlink("b");
    close(in);
}

static void *thread_touch(void *arg) {
    (void)arg;
    usleep(100 * 1000);
    touch("from-thread");
    return NULL;
}

static void blocking(void) {
    int in = inotify_init();
    inotify_add_watch(in, ".", IN_CREATE);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(100 * 1000);
        touch("from-child");
        _exit(0);
    }
    char buf[256] __attribute__((aligned(8)));
    ssize_t r = read(in, buf, sizeof buf);
    CHECK("blocking read woken by a child", r > 0);
    print_event((struct inotify_event *)buf);
    waitpid(pid, NULL, 0);
    unlink("from-child");
    pthread_t th;
    pthread_create(&th, NULL, thread_touch, NULL);
    r = read(in, buf, sizeof buf);
    CHECK("blocking read woken by a thread", r > 0);
    print_event((struct inotify_event *)buf);
    pthread_join(th, NULL);
    unlink("from-thread");

    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = in}, out;
    CHECK("epoll add", epoll_ctl(ep, EPOLL_CTL_ADD, in, &ev) == 0);
    CHECK("epoll: not ready", epoll_wait(ep, &out, 1, 0) == 0);
    touch("e1");
    CHECK("epoll: ready", epoll_wait(ep, &out, 1, 1000) == 1 && out.events == EPOLLIN);
    read(in, buf, sizeof buf);
    CHECK("epoll: drained", epoll_wait(ep, &out, 1, 0) == 0);
    unlink("e1");
    close(ep);

    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {.it_value = {.tv_usec = 50 * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    CHECK_ERR("blocking read interrupted", read(in, buf, sizeof buf), EINTR);
    close(in);
}

static void overflow(void) {
    int in = inotify_init1(IN_NONBLOCK);
    touch("o");
    inotify_add_watch(in, "o", IN_OPEN | IN_CLOSE_NOWRITE);
    int max = 16384;
    for (int i = 0; i < max / 2 + 2; i++)
        close(open("o", O_RDONLY));
    char buf[4096] __attribute__((aligned(8)));
    int count = 0, overflows = 0, last_wd = 0;
    ssize_t r;
    while ((r = read(in, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < r;) {
            struct inotify_event *e = (struct inotify_event *)(buf + off);
            count++;
            overflows += (e->mask & IN_Q_OVERFLOW) != 0;
            last_wd = e->wd;
            off += sizeof *e + e->len;
        }
    }
    printf("overflow: %d events, %d overflow, last wd %d\n", count, overflows, last_wd);
    unlink("o");
    close(in);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    char dir[] = "/tmp/compat-inotify-XXXXXX";
    CHECK("mkdtemp", mkdtemp(dir) != NULL && chdir(dir) == 0);
    chmod(dir, 0755);
    errors();
    reading();
    directory_events();
    file_events();
    excl_unlink();
    watch_flags();
    blocking();
    overflow();
    CHECK("cleanup", chdir("/") == 0 && rmdir(dir) == 0);
    return 0;
}
