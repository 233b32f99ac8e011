/* statx, statfs, ownership, times, vectored positional I/O, fsync, close_range,
 * descriptor ioctls. Runs in a fresh directory under /tmp. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    char dir[] = "/tmp/compat-attrs-XXXXXX";
    CHECK("mkdtemp", mkdtemp(dir) != NULL && chdir(dir) == 0);
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    CHECK("create", fd >= 0);

    struct iovec w[2] = {{"hello ", 6}, {"world", 5}};
    CHECK("pwritev", pwritev(fd, w, 2, 10) == 11);
    char a[6] = {0}, b[5] = {0};
    struct iovec r[2] = {{a, 6}, {b, 5}};
    CHECK("preadv", preadv(fd, r, 2, 10) == 11 && memcmp(a, "hello ", 6) == 0 && memcmp(b, "world", 5) == 0);
    CHECK("file offset untouched", lseek(fd, 0, SEEK_CUR) == 0);
    CHECK("preadv2 at the file offset", lseek(fd, 10, SEEK_SET) == 10 && preadv2(fd, r, 1, -1, 0) == 6);
    CHECK("offset moved", lseek(fd, 0, SEEK_CUR) == 16);
    CHECK_ERR("preadv negative offset", preadv(fd, r, 1, -5), EINVAL);
    CHECK_ERR("preadv2 bad flags", preadv2(fd, r, 1, 0, 0x40000000), EOPNOTSUPP);

    struct stat st;
    struct statx sx;
    CHECK("fstat", fstat(fd, &st) == 0);
    CHECK("statx", statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx) == 0);
    CHECK("statx basic stats", (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
    CHECK("statx matches stat", sx.stx_ino == st.st_ino && sx.stx_size == (unsigned long)st.st_size &&
                                    sx.stx_mode == st.st_mode && sx.stx_nlink == st.st_nlink &&
                                    sx.stx_uid == st.st_uid && makedev(sx.stx_dev_major, sx.stx_dev_minor) == st.st_dev &&
                                    sx.stx_mtime.tv_sec == st.st_mtim.tv_sec);
    CHECK("statx AT_EMPTY_PATH", statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) == 0 && sx.stx_ino == st.st_ino);
    CHECK_ERR("statx bad flags", statx(AT_FDCWD, "f", 0x1, STATX_BASIC_STATS, &sx), EINVAL);
    CHECK_ERR("statx reserved mask", statx(AT_FDCWD, "f", 0, 0x80000000, &sx), EINVAL);

    struct statfs sf;
    CHECK("statfs", statfs(".", &sf) == 0 && sf.f_namelen == 255 && sf.f_bsize > 0);
    CHECK("fstatfs", fstatfs(fd, &sf) == 0 && sf.f_namelen == 255);
    CHECK_ERR("statfs missing", statfs("missing", &sf), ENOENT);

    CHECK("chown to self", chown("f", getuid(), getgid()) == 0);
    CHECK("fchown -1 -1", fchown(fd, -1, -1) == 0);
    CHECK("chown changes owner", chown("f", 1234, 5678) == 0 && stat("f", &st) == 0 && st.st_uid == 1234 && st.st_gid == 5678);
    CHECK("setuid bit dropped by chown", fchmod(fd, 04755) == 0 && fchown(fd, 0, 0) == 0 && fstat(fd, &st) == 0 &&
                                             (st.st_mode & 07777) == 0755);
    CHECK("lchown a symlink", symlink("f", "l") == 0 && lchown("l", 42, 42) == 0 && lstat("l", &st) == 0 && st.st_uid == 42);
    CHECK("target unchanged", stat("f", &st) == 0 && st.st_uid == 0);

    struct timespec times[2] = {{1000000, 500}, {2000000, 600}};
    CHECK("utimensat", utimensat(AT_FDCWD, "f", times, 0) == 0 && stat("f", &st) == 0 &&
                           st.st_atim.tv_sec == 1000000 && st.st_atim.tv_nsec == 500 &&
                           st.st_mtim.tv_sec == 2000000 && st.st_mtim.tv_nsec == 600);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {3000000, 0}};
    CHECK("UTIME_OMIT", utimensat(AT_FDCWD, "f", omit, 0) == 0 && stat("f", &st) == 0 &&
                            st.st_atim.tv_sec == 1000000 && st.st_mtim.tv_sec == 3000000);
    CHECK("futimens now", futimens(fd, NULL) == 0 && fstat(fd, &st) == 0 && time(NULL) - st.st_mtim.tv_sec < 5);
    struct timespec bad[2] = {{0, 2000000000}, {0, 0}};
    CHECK_ERR("utimensat bad nsec", utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
    struct timeval tv[2] = {{4000000, 7}, {5000000, 8}};
    CHECK("utimes", utimes("f", tv) == 0 && stat("f", &st) == 0 && st.st_mtim.tv_sec == 5000000 &&
                        st.st_mtim.tv_nsec == 8000);

    CHECK("fsync", fsync(fd) == 0 && fdatasync(fd) == 0 && syncfs(fd) == 0);
    sync();
    CHECK_ERR("fsync bad fd", fsync(-1), EBADF);

    int a1 = dup(fd), a2 = dup(fd), a3 = dup(fd);
    CHECK("close_range CLOEXEC", syscall(SYS_close_range, a1, a2, CLOSE_RANGE_CLOEXEC) == 0 &&
                                     fcntl(a1, F_GETFD) == FD_CLOEXEC && fcntl(a3, F_GETFD) == 0);
    CHECK("close_range", syscall(SYS_close_range, a1, a3, 0) == 0);
    CHECK_ERR("closed by close_range", fcntl(a2, F_GETFD), EBADF);
    CHECK_ERR("close_range first > last", syscall(SYS_close_range, 10, 5, 0), EINVAL);
    CHECK("FIOCLEX", ioctl(fd, FIOCLEX) == 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC);
    CHECK("FIONCLEX", ioctl(fd, FIONCLEX) == 0 && fcntl(fd, F_GETFD) == 0);
    int on = 1;
    CHECK("FIONBIO", ioctl(fd, FIONBIO, &on) == 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK));

    close(fd);
    CHECK("cleanup", unlink("l") == 0 && unlink("f") == 0 && chdir("/") == 0 && rmdir(dir) == 0);
    return 0;
}
