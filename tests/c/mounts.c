/* mount and umount2 of tmpfs, proc and bind mounts (as root). Natively the
 * program first moves to a private mount namespace so nothing leaks to the host;
 * the sandbox has one namespace of its own already. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    if (unshare(CLONE_NEWNS) == 0)
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    char dir[] = "/tmp/compat-mounts-XXXXXX";
    CHECK("mkdtemp", mkdtemp(dir) != NULL && chdir(dir) == 0);
    CHECK("dirs", mkdir("t", 0755) == 0 && mkdir("src", 0755) == 0 && mkdir("dst", 0755) == 0 && mkdir("p", 0755) == 0);
    CHECK("a file in src", close(open("src/file", O_CREAT | O_WRONLY, 0644)) == 0);

    CHECK("mount tmpfs", mount("none", "t", "tmpfs", 0, NULL) == 0);
    CHECK("write into it", close(open("t/x", O_CREAT | O_WRONLY, 0644)) == 0 && access("t/x", F_OK) == 0);
    struct stat st;
    CHECK("the mount root is sticky and world-writable", stat("t", &st) == 0 && (st.st_mode & 07777) == 01777);
    CHECK("umount", umount2("t", 0) == 0);
    CHECK_ERR("its files went with it", access("t/x", F_OK), ENOENT);
    CHECK_ERR("umount a plain directory", umount2("t", 0), EINVAL);

    CHECK("bind mount", mount("src", "dst", NULL, MS_BIND, NULL) == 0 && access("dst/file", F_OK) == 0);
    CHECK("a change through the bind shows in the source", close(open("dst/new", O_CREAT | O_WRONLY, 0644)) == 0 &&
                                                                access("src/new", F_OK) == 0);
    CHECK("umount the bind", umount2("dst", 0) == 0 && access("dst/file", F_OK) != 0);

    CHECK("read-only tmpfs", mount("none", "t", "tmpfs", MS_RDONLY, NULL) == 0);
    CHECK_ERR("write to it", open("t/y", O_CREAT | O_WRONLY, 0644), EROFS);
    CHECK("umount it", umount2("t", MNT_DETACH) == 0);

    CHECK("mount proc", mount("proc", "p", "proc", 0, NULL) == 0 && access("p/self/status", R_OK) == 0);
    CHECK("umount proc", umount2("p", 0) == 0);
    CHECK_ERR("unknown filesystem type", mount("none", "t", "nosuchfs", 0, NULL), ENODEV);
    CHECK_ERR("tmpfs on a file", mount("none", "src/file", "tmpfs", 0, NULL), ENOTDIR);
    CHECK_ERR("umount2 bad flags", umount2("t", 0x100), EINVAL);
    CHECK("propagation change", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);

    CHECK("cleanup", unlink("src/file") == 0 && unlink("src/new") == 0 && rmdir("src") == 0 && rmdir("dst") == 0 &&
                         rmdir("t") == 0 && rmdir("p") == 0 && chdir("/") == 0 && rmdir(dir) == 0);
    return 0;
}
