/*
 * mprotect semantics, ending with a write to a read-only page: the process
 * must die by SIGSEGV (the harness expects "killed by signal 11" natively and
 * exit status 139 from the sandbox).
 */
#define _GNU_SOURCE
#include "common.h"
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

int main(void) {
    /* The fault below must not leave core files in the working directory. */
    struct rlimit no_core = {0, 0};
    CHECK("disable core dumps", setrlimit(RLIMIT_CORE, &no_core) == 0);

    long pg = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap one page", p != MAP_FAILED);
    p[0] = 'x';
    CHECK("mprotect PROT_READ", mprotect(p, pg, PROT_READ) == 0);
    printf("read back: %c\n", *(volatile char *)p);

    CHECK_ERR("mprotect unaligned address", mprotect(p + 1, pg, PROT_READ),
              EINVAL);
    CHECK_ERR("mprotect unknown prot bit", mprotect(p, pg, 0x40), EINVAL);

    /* A three-page mapping with a hole in the middle. */
    char *q = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap three pages", q != MAP_FAILED);
    CHECK("munmap middle page", munmap(q + pg, pg) == 0);
    CHECK_ERR("mprotect unmapped page", mprotect(q + pg, pg, PROT_READ),
              ENOMEM);
    CHECK_ERR("mprotect range spanning a hole",
              mprotect(q, 3 * pg, PROT_READ), ENOMEM);

    printf("before fault\n");
    fflush(stdout);
    *(volatile char *)p = 'y';
    FAIL("write to a read-only page did not fault");
}
