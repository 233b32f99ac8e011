/* Buffers that run past the end of the user address space (TASK_SIZE_MAX,
 * 2^47 - 4096). Linux checks the whole buffer first (access_ok): read,
 * write, pread, readv and writev fail with EFAULT and touch nothing, even
 * when the buffer starts in valid memory (here: on the stack, which must
 * come through intact). A buffer that stays below the limit but runs off
 * the last mapping is filled up to the hole: a short read. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/uio.h>

#define TASK_SIZE_MAX 0x7ffffffff000UL

static unsigned long stack_end(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    unsigned long s = 0, e = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "[stack]"))
            sscanf(line, "%lx-%lx", &s, &e);
    if (f)
        fclose(f);
    return e;
}

int main(void) {
    volatile char canary[64];
    memset((char *)canary, 'c', sizeof canary);
    char *local = (char *)canary;
    /* Hide the array's size from the compiler's overflow warnings. */
    __asm__("" : "+r"(local));
    unsigned long to_top = TASK_SIZE_MAX - (uintptr_t)local;
    int zero = open("/dev/zero", O_RDONLY);
    int file = open("/proc/self/exe", O_RDONLY);
    int null = open("/dev/null", O_WRONLY);
    int pipefd[2];
    if (zero < 0 || file < 0 || null < 0 || pipe(pipefd) != 0)
        FAIL("setup: %s", errname(errno));

    CHECK_ERR("read /dev/zero, 2^46 bytes from the stack", read(zero, local, 1UL << 46),
              EFAULT);
    CHECK_ERR("read /dev/zero, to 2^47", read(zero, local, (1UL << 47) - (uintptr_t)local),
              EFAULT);
    CHECK_ERR("read /dev/zero, one byte past the limit", read(zero, local, to_top + 1),
              EFAULT);
    CHECK_ERR("read a file, one byte past the limit", read(file, local, to_top + 1), EFAULT);
    CHECK_ERR("pread a file, one byte past the limit", pread(file, local, to_top + 1, 0),
              EFAULT);
    CHECK_ERR("read at the limit", read(zero, (void *)(TASK_SIZE_MAX - 100), 200), EFAULT);
    CHECK_ERR("read above the limit", read(zero, (void *)(TASK_SIZE_MAX + 4096), 1), EFAULT);
    CHECK_ERR("read wrapping around", read(zero, (void *)-4096L, 8192), EFAULT);
    CHECK_ERR("write /dev/null, one byte past the limit", write(null, local, to_top + 1),
              EFAULT);
    CHECK_ERR("write a pipe, one byte past the limit", write(pipefd[1], local, to_top + 1),
              EFAULT);
    struct iovec iov[2] = {{(void *)local, 8}, {(void *)local, to_top + 1}};
    CHECK_ERR("readv, second buffer past the limit", readv(zero, iov, 2), EFAULT);
    CHECK_ERR("writev, second buffer past the limit", writev(null, iov, 2), EFAULT);

    /* Even an empty buffer must lie below the limit. */
    CHECK_ERR("read of 0 bytes at -1", read(zero, (void *)-1L, 0), EFAULT);
    CHECK_ERR("write of 0 bytes at -1", write(null, (void *)-1L, 0), EFAULT);
    CHECK("read of 0 bytes at TASK_SIZE_MAX", read(zero, (void *)TASK_SIZE_MAX, 0) == 0);

    int intact = 1;
    for (size_t i = 0; i < sizeof canary; i++)
        intact &= canary[i] == 'c';
    CHECK("the stack is untouched", intact);

    /* Below the limit but off the end of the stack mapping: a short read. */
    unsigned long end = stack_end();
    if (end == 0)
        FAIL("no [stack] in /proc/self/maps");
    errno = 0;
    long n = pread(file, (void *)(end - 64), 8192, 0);
    printf("pread a file over the end of the stack: %ld %s\n", n, n < 0 ? errname(errno) : "");
    if (n != 64)
        FAIL("want a short read of 64 bytes");
    printf("still running\n");
    return 0;
}
