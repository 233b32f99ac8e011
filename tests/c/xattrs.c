/* Extended attributes on a file under /tmp. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

int main(void) {
    char dir[] = "/tmp/compat-xattr-XXXXXX";
    CHECK("mkdtemp", mkdtemp(dir) != NULL && chdir(dir) == 0);
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    CHECK("create", fd >= 0);
    char buf[64] = {0};
    CHECK_ERR("get missing", getxattr("f", "user.none", buf, sizeof buf), ENODATA);
    CHECK("set", setxattr("f", "user.colour", "blue", 4, 0) == 0);
    CHECK("get", getxattr("f", "user.colour", buf, sizeof buf) == 4 && memcmp(buf, "blue", 4) == 0);
    CHECK("size query", getxattr("f", "user.colour", NULL, 0) == 4);
    CHECK_ERR("buffer too small", getxattr("f", "user.colour", buf, 2), ERANGE);
    CHECK_ERR("XATTR_CREATE on existing", setxattr("f", "user.colour", "red", 3, XATTR_CREATE), EEXIST);
    CHECK_ERR("XATTR_REPLACE on missing", setxattr("f", "user.shape", "round", 5, XATTR_REPLACE), ENODATA);
    CHECK("XATTR_REPLACE", fsetxattr(fd, "user.colour", "green", 5, XATTR_REPLACE) == 0);
    CHECK("fget", fgetxattr(fd, "user.colour", buf, sizeof buf) == 5 && memcmp(buf, "green", 5) == 0);
    CHECK("second", setxattr("f", "user.shape", "round", 5, 0) == 0);
    char list[128];
    long n = listxattr("f", list, sizeof list);
    int colour = 0, shape = 0;
    for (long i = 0; i < n; i += strlen(list + i) + 1) {
        colour |= strcmp(list + i, "user.colour") == 0;
        shape |= strcmp(list + i, "user.shape") == 0;
    }
    CHECK("list", colour && shape);
    CHECK("list size query", listxattr("f", NULL, 0) == n);
    CHECK("remove", removexattr("f", "user.shape") == 0);
    CHECK_ERR("remove again", removexattr("f", "user.shape"), ENODATA);
    CHECK_ERR("empty name", setxattr("f", "", "x", 1, 0), ERANGE);
    CHECK_ERR("unknown namespace", setxattr("f", "bogus.name", "x", 1, 0), EOPNOTSUPP);
    CHECK_ERR("CREATE|REPLACE on missing", setxattr("f", "user.x", "x", 1, 3), ENODATA);
    CHECK_ERR("unknown flags", setxattr("f", "user.x", "x", 1, 4), EINVAL);
    CHECK("symlink", symlink("f", "l") == 0);
    CHECK_ERR("user xattr on a symlink", lsetxattr("l", "user.x", "x", 1, 0), EPERM);
    CHECK("through the symlink", getxattr("l", "user.colour", buf, sizeof buf) == 5);
    close(fd);
    CHECK("cleanup", unlink("l") == 0 && unlink("f") == 0 && chdir("/") == 0 && rmdir(dir) == 0);
    return 0;
}
