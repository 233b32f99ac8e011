/* /proc/self and friends, checked against what the process knows of itself. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

static long slurp(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long total = 0, n;
    while ((n = read(fd, buf + total, size - 1 - total)) > 0)
        total += n;
    close(fd);
    buf[total] = 0;
    return total;
}

int main(int argc, char **argv) {
    static char buf[1 << 16];
    char path[PATH_MAX], link[PATH_MAX] = {0};
    (void)argc;
    CHECK("realpath of argv[0]", realpath(argv[0], path) != NULL);
    CHECK("/proc/self/exe", readlink("/proc/self/exe", link, sizeof link) > 0 && strcmp(link, path) == 0);

    long n = slurp("/proc/self/cmdline", buf, sizeof buf);
    long want = 0;
    for (char **a = argv; *a; a++)
        want += strlen(*a) + 1;
    CHECK("cmdline is argv with NULs", n == want && strcmp(buf, argv[0]) == 0);
    n = slurp("/proc/self/environ", buf, sizeof buf);
    want = 0;
    for (char **e = environ; *e; e++)
        want += strlen(*e) + 1;
    CHECK("environ is envp with NULs", n == want && strcmp(buf, environ[0]) == 0);

    char cwd[PATH_MAX];
    memset(link, 0, sizeof link);
    CHECK("/proc/self/cwd", getcwd(cwd, sizeof cwd) && readlink("/proc/self/cwd", link, sizeof link) > 0 && strcmp(cwd, link) == 0);
    memset(link, 0, sizeof link);
    CHECK("/proc/self/root", readlink("/proc/self/root", link, sizeof link) == 1 && link[0] == '/');

    CHECK("comm", slurp("/proc/self/comm", buf, sizeof buf) > 0 && strncmp(buf, "procfs", 6) == 0);
    char pidline[64];
    snprintf(pidline, sizeof pidline, "\nPid:\t%d\n", getpid());
    CHECK("status names our pid", slurp("/proc/self/status", buf, sizeof buf) > 0 && strstr(buf, pidline) != NULL);
    CHECK("status starts with Name", strncmp(buf, "Name:\tprocfs", 12) == 0);
    snprintf(pidline, sizeof pidline, "%d (procfs) ", getpid());
    CHECK("stat starts with pid (comm)", slurp("/proc/self/stat", buf, sizeof buf) > 0 && strncmp(buf, pidline, strlen(pidline)) == 0);
    long a[7];
    CHECK("statm has 7 numbers", slurp("/proc/self/statm", buf, sizeof buf) > 0 &&
                                     sscanf(buf, "%ld %ld %ld %ld %ld %ld %ld", &a[0], &a[1], &a[2], &a[3], &a[4], &a[5], &a[6]) == 7);
    CHECK("maps shows the executable", slurp("/proc/self/maps", buf, sizeof buf) > 0 && strstr(buf, path) != NULL);
    CHECK("maps shows the stack", strstr(buf, "[stack]") != NULL);
    CHECK("limits has its header", slurp("/proc/self/limits", buf, sizeof buf) > 0 && strncmp(buf, "Limit", 5) == 0 &&
                                       strstr(buf, "Max open files") != NULL);
    CHECK("mounts has the root", slurp("/proc/self/mounts", buf, sizeof buf) > 0 && strstr(buf, " / ") != NULL);
    CHECK("/proc/mounts too", slurp("/proc/mounts", buf, sizeof buf) > 0 && strstr(buf, " /proc proc ") != NULL);

    int fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
    CHECK("open /proc/self/fd", fd >= 0);
    char name[32];
    snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
    memset(link, 0, sizeof link);
    CHECK("fd link names /proc/PID/fd", readlink(name, link, sizeof link) > 0 && strstr(link, "/fd") != NULL);
    close(fd);

    CHECK("cpuinfo", slurp("/proc/cpuinfo", buf, sizeof buf) > 0 && strstr(buf, "processor") != NULL);
    CHECK("meminfo", slurp("/proc/meminfo", buf, sizeof buf) > 0 && strncmp(buf, "MemTotal:", 9) == 0);
    double up, idle;
    CHECK("uptime", slurp("/proc/uptime", buf, sizeof buf) > 0 && sscanf(buf, "%lf %lf", &up, &idle) == 2);
    struct utsname u;
    CHECK("osrelease matches uname", uname(&u) == 0 && slurp("/proc/sys/kernel/osrelease", buf, sizeof buf) > 0 &&
                                         strncmp(buf, u.release, strlen(u.release)) == 0);
    CHECK("uuid", slurp("/proc/sys/kernel/random/uuid", buf, sizeof buf) == 37 && buf[8] == '-' && buf[14] == '4');
    CHECK("/sys cpu online", slurp("/sys/devices/system/cpu/online", buf, sizeof buf) > 0 && buf[0] == '0');
    printf("online CPUs match sysconf: %s\n", sysconf(_SC_NPROCESSORS_ONLN) == sysconf(_SC_NPROCESSORS_CONF) ? "yes" : "no");
    CHECK("pid_max", slurp("/proc/sys/kernel/pid_max", buf, sizeof buf) > 0 && atol(buf) > 0);
    int wfd = open("/proc/self/status", O_WRONLY);
    CHECK("root opens /proc/self/status for writing", wfd >= 0);
    CHECK_ERR("writing /proc/self/status", write(wfd, "x", 1), EINVAL);
    close(wfd);
    CHECK_ERR("missing /proc entry", open("/proc/self/nonexistent", O_RDONLY), ENOENT);
    return 0;
}
