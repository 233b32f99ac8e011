/*
 * Shared helpers for the compatibility programs.
 *
 * Every check prints one line ("label: ok" or the errno name seen) so that a
 * native-vs-sandbox diff shows exactly which check diverged. A failed check
 * prints "FAIL: ..." and exits 1: on the host that means the program itself
 * is wrong, in the sandbox it means the sandbox differs from Linux.
 */
#ifndef COMPAT_COMMON_H
#define COMPAT_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Names, not numbers, so expected and actual read well in diffs. */
static inline const char *errname(int e) {
    switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENOTTY: return "ENOTTY";
    case ESPIPE: return "ESPIPE";
    case ERANGE: return "ERANGE";
    case ENOSYS: return "ENOSYS";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EROFS: return "EROFS";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ELOOP: return "ELOOP";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EXDEV: return "EXDEV";
    case ENOSPC: return "ENOSPC";
    case ENODATA: return "ENODATA";
    case E2BIG: return "E2BIG";
    case ENXIO: return "ENXIO";
    case ECHILD: return "ECHILD";
    case ENOEXEC: return "ENOEXEC";
    case EPIPE: return "EPIPE";
    case EFBIG: return "EFBIG";
    case EOVERFLOW: return "EOVERFLOW";
    case ETXTBSY: return "ETXTBSY";
    default: return "E(unknown)";
    }
}

#define FAIL(...)                                                              \
    do {                                                                       \
        printf("FAIL: ");                                                      \
        printf(__VA_ARGS__);                                                   \
        printf(" (line %d)\n", __LINE__);                                      \
        fflush(stdout);                                                        \
        exit(1);                                                               \
    } while (0)

/* Check a condition; on success print "label: ok". */
#define CHECK(label, cond)                                                     \
    do {                                                                       \
        if (cond)                                                              \
            printf("%s: ok\n", label);                                         \
        else                                                                   \
            FAIL("%s: %s", label, #cond);                                      \
    } while (0)

/* Expect `expr` to fail with -1 and errno `want`; print the errno name seen. */
#define CHECK_ERR(label, expr, want)                                           \
    do {                                                                       \
        errno = 0;                                                             \
        long r_ = (long)(expr);                                                \
        int e_ = errno;                                                        \
        printf("%s: %s\n", label, r_ == -1 ? errname(e_) : "success");         \
        if (r_ != -1 || e_ != (want))                                          \
            FAIL("%s: want %s, got ret=%ld errno=%s", label, errname(want),    \
                 r_, errname(e_));                                             \
    } while (0)

/* Prints what /proc/self/fd/FD reads as ("link: ..."). */
static inline void print_fd_link(int fd) {
    char path[64], link[64] = {0};
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (readlink(path, link, sizeof link - 1) < 0)
        snprintf(link, sizeof link, "(%s)", errname(errno));
    printf("link: %s\n", link);
}

#endif
