/*
 * File and directory syscalls in a fresh directory under /tmp: creation flags,
 * offsets, links, symlinks, renames, directory listing, permissions bits and the
 * errors Linux gives for each misuse.
 */
#define _GNU_SOURCE
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

/* Lists a directory with getdents64, sorted (filesystems order entries differently). */
static void list(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK("open directory", fd >= 0);
    char buf[256], *names[64];
    int n = 0;
    for (;;) {
        long len = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (len <= 0)
            break;
        for (long off = 0; off < len;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            names[n++] = strdup(d->d_name);
            off += d->d_reclen;
        }
    }
    qsort(names, n, sizeof *names, cmp);
    printf("%s:", dir);
    for (int i = 0; i < n; i++)
        printf(" %s", names[i]);
    printf("\n");
    close(fd);
}

int main(void) {
    char dir[] = "/tmp/compat-files-XXXXXX";
    CHECK("mkdtemp", mkdtemp(dir) != NULL);
    CHECK("chdir", chdir(dir) == 0);
    char cwd[256];
    CHECK("getcwd", getcwd(cwd, sizeof cwd) && strcmp(cwd, dir) == 0);
    CHECK_ERR("getcwd too small", syscall(SYS_getcwd, cwd, 3), ERANGE);
    umask(022);

    int fd = open("a", O_CREAT | O_EXCL | O_RDWR, 0666);
    CHECK("create a", fd >= 0);
    CHECK_ERR("create a again with O_EXCL", open("a", O_CREAT | O_EXCL | O_RDWR, 0666), EEXIST);
    CHECK("write", write(fd, "hello world", 11) == 11);
    CHECK("lseek", lseek(fd, 6, SEEK_SET) == 6);
    char buf[32] = {0};
    CHECK("read after lseek", read(fd, buf, sizeof buf) == 5 && memcmp(buf, "world", 5) == 0);
    CHECK("pread", pread(fd, buf, 5, 0) == 5 && memcmp(buf, "hello", 5) == 0);
    struct stat st;
    CHECK("fstat", fstat(fd, &st) == 0);
    printf("size %ld mode %o nlink %ld\n", (long)st.st_size, st.st_mode, (long)st.st_nlink);
    CHECK("ftruncate", ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5);
    close(fd);

    fd = open("a", O_WRONLY | O_APPEND);
    CHECK("append", fd >= 0 && write(fd, "!", 1) == 1);
    close(fd);
    CHECK("stat after append", stat("a", &st) == 0 && st.st_size == 6);
    fd = open("a", O_WRONLY | O_TRUNC);
    CHECK("O_TRUNC", fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0);
    close(fd);
    CHECK("truncate", truncate("a", 100) == 0 && stat("a", &st) == 0 && st.st_size == 100);
    CHECK_ERR("truncate negative", truncate("a", -1), EINVAL);

    CHECK("mkdir", mkdir("d", 0777) == 0);
    CHECK("mkdir mode with umask", stat("d", &st) == 0 && (st.st_mode & 0777) == 0755);
    CHECK_ERR("mkdir existing", mkdir("d", 0777), EEXIST);
    CHECK_ERR("mkdir under a file", mkdir("a/x", 0777), ENOTDIR);
    CHECK_ERR("mkdir missing parent", mkdir("nope/x", 0777), ENOENT);
    CHECK("create d/f", close(open("d/f", O_CREAT | O_WRONLY, 0600)) == 0);
    CHECK_ERR("rmdir non-empty", rmdir("d"), ENOTEMPTY);
    CHECK_ERR("unlink a directory", unlink("d"), EISDIR);
    CHECK_ERR("rmdir a file", rmdir("a"), ENOTDIR);
    CHECK_ERR("open file with trailing slash", open("a/", O_RDONLY), ENOTDIR);
    CHECK_ERR("open dir for writing", open("d", O_WRONLY), EISDIR);
    CHECK_ERR("O_DIRECTORY on a file", open("a", O_RDONLY | O_DIRECTORY), ENOTDIR);
    CHECK_ERR("open missing", open("missing", O_RDONLY), ENOENT);

    CHECK("link", link("a", "b") == 0 && stat("a", &st) == 0 && st.st_nlink == 2);
    CHECK_ERR("link existing", link("a", "b"), EEXIST);
    CHECK_ERR("link a directory", link("d", "e"), EPERM);
    CHECK("symlink", symlink("a", "s") == 0);
    char target[64] = {0};
    CHECK("readlink", readlink("s", target, sizeof target) == 1 && target[0] == 'a');
    CHECK_ERR("readlink a file", readlink("a", target, sizeof target), EINVAL);
    CHECK("stat through symlink", stat("s", &st) == 0 && S_ISREG(st.st_mode));
    CHECK("lstat symlink", lstat("s", &st) == 0 && S_ISLNK(st.st_mode) && st.st_size == 1);
    CHECK_ERR("O_NOFOLLOW on symlink", open("s", O_RDONLY | O_NOFOLLOW), ELOOP);
    CHECK("symlink loop", symlink("loop2", "loop1") == 0 && symlink("loop1", "loop2") == 0);
    CHECK_ERR("open symlink loop", open("loop1", O_RDONLY), ELOOP);
    CHECK("symlink to dir", symlink("d", "dl") == 0 && stat("dl/f", &st) == 0);
    int pfd = open("s", O_PATH | O_NOFOLLOW);
    CHECK("O_PATH on a symlink", pfd >= 0);
    CHECK_ERR("read O_PATH", read(pfd, buf, 1), EBADF);
    CHECK("fstat O_PATH", fstat(pfd, &st) == 0 && S_ISLNK(st.st_mode));
    close(pfd);

    CHECK("rename", rename("b", "c") == 0);
    CHECK_ERR("old name gone", access("b", F_OK), ENOENT);
    CHECK_ERR("rename NOREPLACE", syscall(SYS_renameat2, AT_FDCWD, "c", AT_FDCWD, "a", 1), EEXIST);
    CHECK("rename EXCHANGE", syscall(SYS_renameat2, AT_FDCWD, "c", AT_FDCWD, "d", 2) == 0);
    CHECK("exchanged", stat("c/f", &st) == 0 && stat("d", &st) == 0 && S_ISREG(st.st_mode));
    CHECK("exchange back", syscall(SYS_renameat2, AT_FDCWD, "c", AT_FDCWD, "d", 2) == 0);
    CHECK_ERR("rename dir into itself", rename("d", "d/sub"), EINVAL);
    CHECK_ERR("rename dir over file", rename("d", "a"), ENOTDIR);
    CHECK_ERR("rename file over dir", rename("a", "d"), EISDIR);

    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    CHECK("openat relative to dirfd", close(openat(dfd, "g", O_CREAT | O_WRONLY, 0644)) == 0);
    CHECK("fstatat relative to dirfd", fstatat(dfd, "g", &st, 0) == 0);
    CHECK_ERR("openat with a file as dirfd", openat(open("a", O_RDONLY), "x", O_RDONLY), ENOTDIR);
    CHECK("unlinkat", unlinkat(dfd, "g", 0) == 0);
    CHECK("fchdir", fchdir(dfd) == 0 && getcwd(cwd, sizeof cwd) && strstr(cwd, "/d") != NULL);
    CHECK("chdir ..", chdir("..") == 0);
    close(dfd);

    CHECK("chmod", chmod("a", 0640) == 0 && stat("a", &st) == 0 && (st.st_mode & 0777) == 0640);
    CHECK("access R_OK|W_OK", access("a", R_OK | W_OK) == 0);
    CHECK_ERR("access X_OK on 0640 file", access("a", X_OK), EACCES);
    list(".");
    list("d");

    CHECK("unlink files", unlink("a") == 0 && unlink("c") == 0 && unlink("s") == 0 && unlink("loop1") == 0 &&
                              unlink("loop2") == 0 && unlink("dl") == 0 && unlink("d/f") == 0);
    CHECK("rmdir d", rmdir("d") == 0);
    list(".");
    CHECK("chdir /", chdir("/") == 0);
    CHECK("rmdir tmp dir", rmdir(dir) == 0);
    return 0;
}
