/*
 * Anonymous memory mappings: a sparse 1 GiB mapping (demand paging, mincore,
 * MADV_DONTNEED), mremap, partial munmap, MAP_FIXED replacement, MAP_SHARED
 * and the argument errors of mmap/munmap/mremap.
 */
#define _GNU_SOURCE
#include "common.h"
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define MiB (1UL << 20)
#define GiB (1UL << 30)
#define STRIDE (64 * MiB)
#define NTOUCH (GiB / STRIDE)

static long pg;

static void fill(char *p, size_t n, int salt) {
    for (size_t i = 0; i < n; i++)
        p[i] = (char)(i * 13 + salt);
}

static int same(const char *p, size_t n, int salt) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != (char)(i * 13 + salt))
            return 0;
    return 1;
}

static int all_zero(const volatile char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

/* mincore() result for one page: 1 resident, 0 not, -errno on failure. */
static int resident(const void *p) {
    unsigned char v = 0;
    if (mincore((void *)p, pg, &v) != 0)
        return -errno;
    return v & 1;
}

static void *map_anon(size_t len) {
    return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                -1, 0);
}

static void sparse_gib(void) {
    volatile char *m = mmap(NULL, GiB, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK("mmap 1 GiB NORESERVE", m != MAP_FAILED);
    for (size_t i = 0; i < NTOUCH; i++)
        m[i * STRIDE] = (char)(i + 1);

    int ok = 1;
    for (size_t i = 0; i < NTOUCH; i++)
        ok &= m[i * STRIDE] == (char)(i + 1);
    CHECK("touched bytes hold their values", ok);

    /* Offsets are kept 2 MiB apart by purpose so that transparent huge pages
     * cannot make one probe's page resident as a side effect of another. */
    ok = 1;
    for (size_t i = 0; i < NTOUCH; i++)
        ok &= m[i * STRIDE + 1] == 0 && m[i * STRIDE + 16 * MiB + 123] == 0;
    CHECK("untouched bytes read zero", ok);

    int touched = 1, untouched = 1;
    for (size_t i = 0; i < NTOUCH; i++) {
        touched &= resident((const char *)m + i * STRIDE) == 1;
        untouched &= resident((const char *)m + i * STRIDE + 32 * MiB) == 0;
    }
    CHECK("mincore: touched pages resident", touched);
    CHECK("mincore: never-accessed pages not resident", untouched);
    CHECK_ERR("mincore unaligned", mincore((char *)m + 1, pg, (unsigned char[1]){0}),
              EINVAL);

    CHECK("madvise DONTNEED", madvise((char *)m + STRIDE, pg, MADV_DONTNEED) == 0);
    CHECK("page reads zero after DONTNEED", m[STRIDE] == 0);
    CHECK("other pages unaffected by DONTNEED", m[2 * STRIDE] == 3);
    CHECK("munmap 1 GiB", munmap((void *)m, GiB) == 0);
}

static void remap(void) {
    char *a = map_anon(2 * pg);
    CHECK("mmap 2 pages", a != MAP_FAILED);
    fill(a, 2 * pg, 1);

    char *b = mremap(a, 2 * pg, 8 * pg, MREMAP_MAYMOVE);
    CHECK("mremap grow", b != MAP_FAILED);
    CHECK("grow preserves contents", same(b, 2 * pg, 1));
    CHECK("grown part is zero", all_zero(b + 2 * pg, 6 * pg));

    char *c = mremap(b, 8 * pg, pg, 0);
    CHECK("mremap shrink stays in place", c == b);
    CHECK("shrink preserves contents", same(c, pg, 1));
    CHECK("shrunk tail is unmapped", resident(c + pg) == -ENOMEM);

    char *dst = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap move target", dst != MAP_FAILED);
    char *d = mremap(c, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
    CHECK("mremap move to fixed address", d == dst);
    CHECK("move preserves contents", same(d, pg, 1));
    CHECK("old address unmapped after move", resident(c) == -ENOMEM);

    CHECK_ERR("mremap unaligned", mremap(d + 1, pg, 2 * pg, MREMAP_MAYMOVE),
              EINVAL);
    CHECK_ERR("mremap FIXED without MAYMOVE",
              mremap(d, pg, pg, MREMAP_FIXED, c), EINVAL);
    CHECK("munmap moved", munmap(d, pg) == 0);
}

static void partial_unmap(void) {
    char *r = map_anon(3 * pg);
    CHECK("mmap 3 pages", r != MAP_FAILED);
    fill(r, 3 * pg, 2);
    CHECK("munmap middle page", munmap(r + pg, pg) == 0);
    CHECK("first page intact", same(r, pg, 2));
    /* fill() numbered bytes across all three pages; check the third. */
    int ok = 1;
    for (size_t i = 2 * pg; i < 3 * (size_t)pg; i++)
        ok &= r[i] == (char)(i * 13 + 2);
    CHECK("last page intact", ok);
    CHECK("middle page unmapped", resident(r + pg) == -ENOMEM);
    CHECK("munmap rest (spanning the hole)", munmap(r, 3 * pg) == 0);
}

static void fixed_replace(void) {
    char *f = map_anon(2 * pg);
    CHECK("mmap 2 pages", f != MAP_FAILED);
    memset(f, 0xAA, 2 * pg);
    char *g = mmap(f, pg, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK("MAP_FIXED over existing mapping", g == f);
    CHECK("replaced page is zero", all_zero(f, pg));
    int ok = 1;
    for (long i = pg; i < 2 * pg; i++)
        ok &= (unsigned char)f[i] == 0xAA;
    CHECK("neighbour page untouched", ok);
    munmap(f, 2 * pg);
}

static void shared_anon(void) {
    volatile char *s = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap MAP_SHARED|MAP_ANONYMOUS", s != MAP_FAILED);
    s[0] = 42;
    s[pg + 7] = 43;
    CHECK("shared anonymous memory holds data", s[0] == 42 && s[pg + 7] == 43);
    CHECK("shared anonymous memory starts zeroed", s[1] == 0 && s[pg] == 0);
    CHECK("munmap shared", munmap((void *)s, 2 * pg) == 0);
}

static void errors(void) {
    CHECK_ERR("mmap length 0", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              EINVAL);
    CHECK_ERR("mmap neither PRIVATE nor SHARED",
              mmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
    CHECK_ERR("mmap MAP_FIXED unaligned",
              mmap((void *)(uintptr_t)(pg * 1024 + 1), pg, PROT_READ,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
              EINVAL);
    CHECK_ERR("mmap bad fd", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 12345, 0), EBADF);
    char *p = map_anon(pg);
    CHECK("mmap one page", p != MAP_FAILED);
    CHECK_ERR("munmap unaligned", munmap(p + 1, pg), EINVAL);
    CHECK_ERR("munmap length 0", munmap(p, 0), EINVAL);
    munmap(p, pg);
}

int main(void) {
    pg = sysconf(_SC_PAGESIZE);
    sparse_gib();
    remap();
    partial_unmap();
    fixed_replace();
    shared_anon();
    errors();
    return 0;
}
