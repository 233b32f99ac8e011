/*
 * Bad input from the application: bad pointers, descriptors, flags and sizes
 * to every call the sandbox implements. Each must fail with Linux's errno (and
 * the sandbox must survive all of it). argv[0] must be a readable file.
 */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define BAD ((void *)1)

static void descriptors(const char *self) {
    char buf[16];
    struct stat st;
    CHECK_ERR("read bad fd", read(-1, buf, 1), EBADF);
    CHECK_ERR("read unopened fd", read(1000, buf, 1), EBADF);
    CHECK_ERR("write to read-only stdin", write(0, "x", 1), EBADF);
    CHECK_ERR("close bad fd", close(-1), EBADF);
    CHECK_ERR("fstat bad fd", fstat(-1, &st), EBADF);
    CHECK_ERR("fstat bad buffer", fstat(1, BAD), EFAULT);
    CHECK_ERR("lseek on a pipe", lseek(1, 0, SEEK_SET), ESPIPE);
    CHECK_ERR("pread on a pipe", pread(1, buf, 1, 0), ESPIPE);
    CHECK_ERR("dup2 to negative fd", dup2(1, -1), EBADF);
    CHECK_ERR("dup3 to itself", dup3(1, 1, 0), EINVAL);
    CHECK_ERR("dup3 bad flags", dup3(1, 20, 1), EINVAL);
    CHECK_ERR("fcntl bad fd", fcntl(-1, F_GETFD), EBADF);
    CHECK_ERR("fcntl bad command", fcntl(1, 9999), EINVAL);
    CHECK_ERR("ioctl bad fd", ioctl(-1, TCGETS, BAD), EBADF);
    CHECK_ERR("ioctl TCGETS pipe, bad pointer", ioctl(1, TCGETS, BAD), ENOTTY);

    int fd = open(self, O_RDONLY);
    CHECK("open self", fd >= 0);
    CHECK_ERR("lseek bad whence", lseek(fd, 0, 99), EINVAL);
    CHECK_ERR("lseek before start", lseek(fd, -1, SEEK_SET), EINVAL);
    CHECK_ERR("pread negative offset", pread(fd, buf, 1, -1), EINVAL);
    CHECK_ERR("read bad buffer", read(fd, BAD, 8), EFAULT);
    off_t end = lseek(fd, 0, SEEK_END);
    CHECK("lseek end matches size", fstat(fd, &st) == 0 && end == st.st_size);
    CHECK("read at EOF with bad buffer returns 0", read(fd, BAD, 8) == 0);
    CHECK("fcntl F_SETFD then F_GETFD", fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC);
    close(fd);
}

static void iovecs(void) {
    char a[4];
    struct iovec iov[2] = {{a, 2}, {a + 2, 2}};
    CHECK_ERR("readv negative count", readv(0, iov, -1), EINVAL);
    CHECK_ERR("writev too many iovecs", writev(1, iov, 1025), EINVAL);
    CHECK_ERR("writev bad iovec array", writev(1, BAD, 1), EFAULT);
    struct iovec bad[1] = {{BAD, 4}};
    CHECK_ERR("writev bad buffer", writev(1, bad, 1), EFAULT);
}

static void paths(const char *self) {
    struct stat st;
    char longname[5000];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    CHECK_ERR("open empty path", open("", O_RDONLY), ENOENT);
    CHECK_ERR("open bad pointer", open(BAD, O_RDONLY), EFAULT);
    CHECK_ERR("open missing", open("/nonexistent-dir/x", O_RDONLY), ENOENT);
    CHECK_ERR("open file as directory", open(self, O_RDONLY | O_DIRECTORY), ENOTDIR);
    CHECK_ERR("open too long", open(longname, O_RDONLY), ENAMETOOLONG);
    CHECK_ERR("stat empty path", stat("", &st), ENOENT);
    CHECK_ERR("fstatat bad flags", fstatat(AT_FDCWD, self, &st, 0x12345), EINVAL);
    CHECK_ERR("fstatat bad buffer", fstatat(AT_FDCWD, self, BAD, 0), EFAULT);
    CHECK_ERR("access empty path", access("", F_OK), ENOENT);
    CHECK_ERR("access bad mode", access(self, 0x10), EINVAL);
    CHECK("access self R_OK|X_OK", access(self, R_OK | X_OK) == 0);
}

static void memory(void) {
    CHECK_ERR("mmap without type", mmap(NULL, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0, EINVAL);
    CHECK_ERR("mmap file without fd", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, -1, 0) == MAP_FAILED ? -1 : 0, EBADF);
    CHECK_ERR("mmap write-only pipe", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 1, 0) == MAP_FAILED ? -1 : 0, EACCES);
    CHECK_ERR("mmap /dev/null", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 0, 0) == MAP_FAILED ? -1 : 0, ENODEV);
    CHECK_ERR("mmap unaligned offset", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1) == MAP_FAILED ? -1 : 0, EINVAL);
    CHECK_ERR("mmap fixed unaligned", mmap((void *)0x10001, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ? -1 : 0, EINVAL);
    CHECK_ERR("mmap huge", mmap(NULL, (size_t)1 << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0, ENOMEM);
    CHECK_ERR("munmap zero length", munmap((void *)0x100000, 0), EINVAL);
    CHECK_ERR("munmap unaligned", munmap((void *)0x100001, 4096), EINVAL);
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap page", p != MAP_FAILED);
    CHECK_ERR("mremap bad flags", mremap(p, 4096, 8192, 0x100) == MAP_FAILED ? -1 : 0, EINVAL);
    CHECK_ERR("mremap unaligned", mremap(p + 1, 4096, 8192, 0) == MAP_FAILED ? -1 : 0, EINVAL);
    CHECK_ERR("madvise bad advice", madvise(p, 4096, 9999), EINVAL);
    CHECK_ERR("madvise unaligned", madvise(p + 1, 4096, MADV_NORMAL), EINVAL);
    CHECK_ERR("mincore bad vector", mincore(p, 4096, BAD), EFAULT);
    CHECK_ERR("mprotect bad prot", mprotect(p, 4096, 0x100), EINVAL);
    void *cur = sbrk(0);
    CHECK("brk below start keeps the break", (void *)syscall(SYS_brk, 4096) == cur);
    munmap(p, 4096);
}

static void process(void) {
    unsigned char mask[8];
    struct rlimit r;
    CHECK_ERR("arch_prctl bad code", syscall(SYS_arch_prctl, 0x9999, 0), EINVAL);
    CHECK_ERR("arch_prctl GET_FS bad pointer", syscall(SYS_arch_prctl, 0x1003, BAD), EFAULT);
    CHECK_ERR("prctl bad option", prctl(9999, 0, 0, 0, 0), EINVAL);
    CHECK_ERR("set_robust_list bad size", syscall(SYS_set_robust_list, mask, 12), EINVAL);
    CHECK_ERR("sched_getaffinity odd size", syscall(SYS_sched_getaffinity, 0, 3, mask), EINVAL);
    CHECK_ERR("sched_getaffinity bad pointer", syscall(SYS_sched_getaffinity, 0, 8, BAD), EFAULT);
    CHECK_ERR("prlimit64 bad resource", syscall(SYS_prlimit64, 0, 999, NULL, &r), EINVAL);
    CHECK_ERR("prlimit64 no such pid", syscall(SYS_prlimit64, 0x7ffffff0, RLIMIT_NOFILE, NULL, &r), ESRCH);
    CHECK_ERR("getrlimit bad pointer", getrlimit(RLIMIT_NOFILE, BAD), EFAULT);
    CHECK_ERR("kill no such pid", kill(0x7ffffff0, 0), ESRCH);
    CHECK_ERR("kill bad signal", kill(getpid(), 99), EINVAL);
    CHECK("kill self with signal 0", kill(getpid(), 0) == 0);
    CHECK_ERR("tgkill bad tgid", syscall(SYS_tgkill, 0, 1, 0), EINVAL);
    CHECK("ignored SIGCHLD to self", kill(getpid(), SIGCHLD) == 0);
    CHECK_ERR("rt_sigprocmask bad set", syscall(SYS_rt_sigprocmask, SIG_BLOCK, BAD, NULL, 8), EFAULT);
    CHECK_ERR("rt_sigaction signal 0", syscall(SYS_rt_sigaction, 0, NULL, NULL, 8), EINVAL);
}

static void time_and_futex(void) {
    struct timespec ts = {0, 2000000000L};
    CHECK_ERR("nanosleep bad nsec", nanosleep(&ts, NULL), EINVAL);
    CHECK_ERR("nanosleep bad pointer", nanosleep(BAD, NULL), EFAULT);
    CHECK_ERR("clock_nanosleep bad clock", syscall(SYS_clock_nanosleep, 999, 0, &ts, NULL), EINVAL);
    CHECK_ERR("getrandom bad flags", syscall(SYS_getrandom, &ts, 8, 0xff00), EINVAL);
    uint32_t word = 7;
    struct timespec brief = {0, 1000000};
    CHECK_ERR("futex unaligned", syscall(SYS_futex, (char *)&word + 1, FUTEX_WAKE, 1, NULL, NULL, 0), EINVAL);
    CHECK_ERR("futex value changed", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 8, NULL, NULL, 0), EAGAIN);
    CHECK_ERR("futex wait times out", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 7, &brief, NULL, 0), ETIMEDOUT);
    CHECK_ERR("futex bitset zero", syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 7, NULL, NULL, 0), EINVAL);
    CHECK("futex wake with no waiters", syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 0);
    CHECK_ERR("futex bad pointer", syscall(SYS_futex, (void *)4, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EFAULT);
}

int main(int argc, char **argv) {
    (void)argc;
    descriptors(argv[0]);
    iovecs();
    paths(argv[0]);
    memory();
    process();
    time_and_futex();
    return 0;
}
