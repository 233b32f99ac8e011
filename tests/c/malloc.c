/*
 * Heap behaviour: brk/sbrk directly, then malloc's two back ends (small
 * chunks from the brk heap, large ones from mmap), realloc growth and calloc.
 * Every byte written is verified and folded into a checksum of the contents
 * (never of addresses), so the printed checksum is the same on every run.
 */
#define _GNU_SOURCE
#include "common.h"
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KiB (1UL << 10)
#define MiB (1UL << 20)

static uint32_t checksum = 2166136261u; /* FNV-1a */

static unsigned char pattern(size_t i, size_t salt) {
    return (unsigned char)(i * 31 + salt * 7 + 1);
}

static void fill(unsigned char *p, size_t n, size_t salt) {
    for (size_t i = 0; i < n; i++)
        p[i] = pattern(i, salt);
}

/* Verifies the pattern and folds it into the checksum. */
static int verify(const unsigned char *p, size_t n, size_t salt) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] != pattern(i, salt))
            return 0;
        checksum = (checksum ^ p[i]) * 16777619u;
    }
    return 1;
}

static int all_zero(const volatile unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

/* No malloc may run in here: malloc's top chunk ends at the break. */
static void brk_checks(void) {
    long pg = sysconf(_SC_PAGESIZE);
    char *cur = sbrk(0);
    CHECK("sbrk(0)", cur != (char *)-1);
    CHECK("raw brk(0) returns the break", (char *)syscall(SYS_brk, 0) == cur);

    CHECK("brk grow 1 MiB", brk(cur + MiB) == 0);
    CHECK("sbrk(0) after grow", sbrk(0) == cur + MiB);
    fill((unsigned char *)cur, MiB, 1);
    CHECK("grown heap holds data", verify((unsigned char *)cur, MiB, 1));

    CHECK("brk shrink back", brk(cur) == 0);
    CHECK("sbrk(0) after shrink", sbrk(0) == cur);
    CHECK("brk regrow", brk(cur + MiB) == 0);
    /* Pages released by the shrink come back zero-filled. */
    char *first_new = (char *)(((uintptr_t)cur + pg - 1) & ~(uintptr_t)(pg - 1));
    CHECK("regrown heap is zero",
          all_zero((unsigned char *)first_new, (size_t)(cur + MiB - first_new)));
    CHECK("brk restore", brk(cur) == 0);

    /* A break reaching into the stack cannot be granted: the raw syscall
     * returns the unchanged break, glibc's brk() reports ENOMEM. */
    char on_stack;
    CHECK("raw brk into the stack returns old break",
          (char *)syscall(SYS_brk, &on_stack) == cur);
    CHECK_ERR("brk() into the stack", brk(&on_stack), ENOMEM);
    CHECK("raw brk below heap start returns old break",
          (char *)syscall(SYS_brk, 4096) == cur);
    CHECK("break unchanged after failures", sbrk(0) == cur);
}

#define NSMALL 20000

static void small_allocs(void) {
    static unsigned char *p[NSMALL];
    static size_t len[NSMALL];
    for (size_t i = 0; i < NSMALL; i++) {
        len[i] = (i * 37) % 500 + 1;
        p[i] = malloc(len[i]);
        if (!p[i])
            FAIL("malloc(%zu)", len[i]);
        fill(p[i], len[i], i);
    }
    int ok = 1;
    for (size_t i = 0; i < NSMALL; i++)
        ok &= verify(p[i], len[i], i);
    CHECK("small allocations keep their contents", ok);

    /* Free every other chunk and refill the holes with different sizes. */
    for (size_t i = 0; i < NSMALL; i += 2)
        free(p[i]);
    for (size_t i = 0; i < NSMALL; i += 2) {
        len[i] = (i * 53) % 700 + 1;
        p[i] = malloc(len[i]);
        if (!p[i])
            FAIL("malloc(%zu)", len[i]);
        fill(p[i], len[i], i + 1);
    }
    ok = 1;
    for (size_t i = 0; i < NSMALL; i++)
        ok &= verify(p[i], len[i], i % 2 == 0 ? i + 1 : i);
    CHECK("reused chunks keep their contents", ok);
    for (size_t i = 0; i < NSMALL; i++)
        free(p[i]);
}

/* Above glibc's 128 KiB mmap threshold, once the heap's top chunk is too
 * small, malloc maps memory instead of growing the brk heap. */
static void large_allocs(void) {
    static const size_t sizes[] = {128 * KiB + 1, 256 * KiB, MiB, 4 * MiB,
                                   16 * MiB};
    enum { N = sizeof sizes / sizeof sizes[0] };
    unsigned char *p[N];
    for (size_t i = 0; i < N; i++) {
        p[i] = malloc(sizes[i]);
        if (!p[i])
            FAIL("malloc(%zu)", sizes[i]);
        fill(p[i], sizes[i], i);
    }
    int ok = 1;
    for (size_t i = 0; i < N; i++)
        ok &= verify(p[i], sizes[i], i);
    CHECK("large allocations keep their contents", ok);
    for (size_t i = 0; i < N; i++)
        free(p[i]);

    unsigned char *z = calloc(1, 8 * MiB);
    CHECK("calloc 8 MiB", z != NULL);
    CHECK("calloc memory is zero", all_zero(z, 8 * MiB));
    free(z);
}

static void realloc_growth(void) {
    size_t n = 16;
    unsigned char *p = malloc(n);
    CHECK("malloc 16", p != NULL);
    fill(p, n, 99);
    int ok = 1;
    while (n < 8 * MiB) {
        unsigned char *q = realloc(p, n * 2);
        if (!q)
            FAIL("realloc(%zu)", n * 2);
        ok &= verify(q, n, 99); /* old contents survive the move */
        p = q;
        n *= 2;
        fill(p, n, 99);
    }
    CHECK("realloc growth to 8 MiB preserves contents", ok);
    p = realloc(p, 100);
    CHECK("realloc shrink", p != NULL && verify(p, 100, 99));
    free(p);
}

int main(void) {
    /* First printf allocates stdout's buffer, before brk_checks starts. */
    printf("malloc test\n");
    brk_checks();
    small_allocs();
    large_allocs();
    realloc_growth();
    printf("checksum: %08x\n", (unsigned)checksum);
    return 0;
}
