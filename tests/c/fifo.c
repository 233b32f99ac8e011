/* mknod/mkfifo and named pipes in one process; chroot. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    char dir[] = "/tmp/compat-fifo-XXXXXX";
    CHECK("mkdtemp", mkdtemp(dir) != NULL && chdir(dir) == 0);
    struct stat st;
    CHECK("mkfifo", mkfifo("p", 0600) == 0 && stat("p", &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0600);
    CHECK_ERR("mkfifo existing", mkfifo("p", 0600), EEXIST);
    CHECK_ERR("writer without a reader", open("p", O_WRONLY | O_NONBLOCK), ENXIO);
    int r = open("p", O_RDONLY | O_NONBLOCK);
    CHECK("nonblocking reader", r >= 0);
    CHECK("empty FIFO without writers reads EOF", read(r, (char[4]){0}, 4) == 0);
    int w = open("p", O_WRONLY | O_NONBLOCK);
    CHECK("writer with a reader", w >= 0);
    CHECK("write", write(w, "ping", 4) == 4);
    char buf[8] = {0};
    CHECK("read", read(r, buf, sizeof buf) == 4 && memcmp(buf, "ping", 4) == 0);
    CHECK("fstat of the open FIFO", fstat(r, &st) == 0 && S_ISFIFO(st.st_mode));
    close(w);
    CHECK("EOF after the writer left", read(r, buf, sizeof buf) == 0);
    signal(SIGPIPE, SIG_IGN);
    int rw = open("p", O_RDWR);
    CHECK("O_RDWR open", rw >= 0 && write(rw, "x", 1) == 1 && read(rw, buf, 1) == 1 && buf[0] == 'x');
    close(rw);
    close(r);
    CHECK("mknod regular file", mknod("reg", S_IFREG | 0640, 0) == 0 && stat("reg", &st) == 0 && S_ISREG(st.st_mode));
    CHECK("mknod with no type is a file", mknod("plain", 0600, 0) == 0 && stat("plain", &st) == 0 && S_ISREG(st.st_mode));
    CHECK("mknodat socket", mknodat(AT_FDCWD, "sock", S_IFSOCK | 0600, 0) == 0 && stat("sock", &st) == 0 && S_ISSOCK(st.st_mode));
    CHECK_ERR("open a socket node", open("sock", O_RDONLY), ENXIO);
    CHECK_ERR("mknod bad type", mknod("bad", 0170000 | 0600, 0), EINVAL);

    CHECK("remove the nodes", unlink("p") == 0 && unlink("reg") == 0 && unlink("plain") == 0 && unlink("sock") == 0);
    /* After chroot the directory is out of reach: "jail" and its parent stay behind, empty. */
    CHECK("mkdir jail", mkdir("jail", 0755) == 0 && close(open("jail/inside", O_CREAT | O_WRONLY, 0644)) == 0);
    CHECK("chroot", chroot("jail") == 0);
    char cwd[256];
    CHECK("cwd outside the new root", getcwd(cwd, sizeof cwd) == NULL || strncmp(cwd, "(unreachable)", 13) == 0);
    CHECK("chdir / inside", chdir("/") == 0 && getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0);
    CHECK("files of the new root", access("/inside", F_OK) == 0);
    CHECK_ERR("nothing outside it", access("/jail", F_OK), ENOENT);
    CHECK(".. stays at the new root", chdir("..") == 0 && access("inside", F_OK) == 0);
    CHECK("remove the jail's file", unlink("/inside") == 0);
    return 0;
}
