/* Copy-on-write after fork: writes to a global, .bss, a 1 MiB heap buffer, a
 * stack array and a MAP_PRIVATE anonymous mapping stay in the process that
 * made them, in both directions and in a grandchild, while a
 * MAP_SHARED|MAP_ANONYMOUS mapping is seen by all. Read-only private pages
 * stay readable (and unwritable) in the child. Children report through a
 * pipe; only the parent prints. */
#define _GNU_SOURCE
#include "procs.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define HEAP_SIZE (1 << 20)
#define STACK_SIZE (3 * PAGE)
#define MAP_SIZE (8 * PAGE)
#define NREGIONS 5

static int global = 1;
static char bss[2 * PAGE];
static char *heap, *stack, *priv, *shared;
static int report_fd[2];

/* A pattern that differs per page and per seed, so a wrong page shows. */
static void fill(char *p, size_t n, int seed) {
    for (size_t i = 0; i < n; i++)
        p[i] = (char)(seed * 13 + i + i / PAGE * 7);
}

static int same(const char *p, size_t n, int seed) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != (char)(seed * 13 + i + i / PAGE * 7))
            return 0;
    return 1;
}

/* The private state: every region but the shared mapping. */
static void set_private(int seed) {
    global = seed;
    fill(bss, sizeof bss, seed);
    fill(heap, HEAP_SIZE, seed);
    fill(stack, STACK_SIZE, seed);
    fill(priv, MAP_SIZE, seed);
}

/* Bit i set: region i does not hold `seed`. */
static int check_private(int seed) {
    int bad = 0;
    bad |= (global != seed) << 0;
    bad |= !same(bss, sizeof bss, seed) << 1;
    bad |= !same(heap, HEAP_SIZE, seed) << 2;
    bad |= !same(stack, STACK_SIZE, seed) << 3;
    bad |= !same(priv, MAP_SIZE, seed) << 4;
    return bad;
}

static void describe(const char *label, int bad) {
    static const char *names[NREGIONS] = {"global", "bss", "heap", "stack", "private map"};
    printf("%s:", label);
    for (int i = 0; i < NREGIONS; i++)
        printf(" %s %s", names[i], bad & (1 << i) ? "WRONG" : "ok");
    printf("\n");
    if (bad)
        FAIL("%s", label);
}

static void send_int(int fd, int v) {
    if (write(fd, &v, sizeof v) != sizeof v)
        _exit(120);
}

static int recv_int(int fd) {
    int v;
    if (read(fd, &v, sizeof v) != sizeof v)
        FAIL("short read on a report pipe");
    return v;
}

static void reap(const char *label, pid_t p) {
    int status;
    CHECK(label, waitpid(p, &status, 0) == p && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void one_pipe(int p[2]) {
    if (pipe(p) != 0)
        FAIL("pipe: %s", errname(errno));
}

int main(void) {
    char stack_array[STACK_SIZE];
    stack = stack_array;
    heap = malloc(HEAP_SIZE);
    CHECK("malloc 1 MiB", heap != NULL);
    priv = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap MAP_PRIVATE|MAP_ANONYMOUS", priv != MAP_FAILED);
    shared = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap MAP_SHARED|MAP_ANONYMOUS", shared != MAP_FAILED);
    set_private(1);
    fill(shared, MAP_SIZE, 1);
    one_pipe(report_fd);
    int rd = report_fd[0], wr = report_fd[1];

    /* 1. The child writes; the parent keeps its values, except shared. */
    pid_t p = fork_flushed();
    if (p == 0) {
        send_int(wr, check_private(1));
        send_int(wr, !same(shared, MAP_SIZE, 1));
        set_private(2);
        fill(shared, MAP_SIZE, 2);
        send_int(wr, check_private(2));
        char *more = malloc(1 << 16);
        send_int(wr, more == NULL);
        free(more);
        _exit(0);
    }
    describe("child sees the parent's values", recv_int(rd));
    CHECK("child sees the parent's shared map", recv_int(rd) == 0);
    describe("child sees its own writes", recv_int(rd));
    CHECK("malloc in the child", recv_int(rd) == 0);
    reap("child 1 exits 0", p);
    describe("parent unchanged by the child's writes", check_private(1));
    CHECK("parent sees the child's shared writes", same(shared, MAP_SIZE, 2));

    /* 2. The parent writes after fork; the child keeps the old values. */
    int go[2];
    one_pipe(go);
    p = fork_flushed();
    if (p == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            _exit(121);
        send_int(wr, check_private(1));
        send_int(wr, !same(shared, MAP_SIZE, 3));
        _exit(0);
    }
    close(go[0]);
    set_private(3);
    fill(shared, MAP_SIZE, 3);
    CHECK("parent wrote after fork", write(go[1], "g", 1) == 1);
    close(go[1]);
    describe("child unchanged by the parent's writes", recv_int(rd));
    CHECK("child sees the parent's shared writes", recv_int(rd) == 0);
    reap("child 2 exits 0", p);
    describe("parent keeps its own writes", check_private(3));
    set_private(1);

    /* 3. Both write the same pages, in turn. */
    int to_child[2], to_parent[2];
    one_pipe(to_child);
    one_pipe(to_parent);
    p = fork_flushed();
    if (p == 0) {
        char c;
        set_private(4);
        if (write(to_parent[1], "c", 1) != 1 || read(to_child[0], &c, 1) != 1)
            _exit(122);
        send_int(wr, check_private(4));
        _exit(0);
    }
    char c;
    CHECK("child wrote first", read(to_parent[0], &c, 1) == 1);
    describe("parent after the child wrote", check_private(1));
    set_private(5);
    CHECK("parent wrote second", write(to_child[1], "p", 1) == 1);
    describe("child after the parent wrote", recv_int(rd));
    reap("child 3 exits 0", p);
    describe("parent after the child exited", check_private(5));
    set_private(1);
    close(to_child[0]);
    close(to_child[1]);
    close(to_parent[0]);
    close(to_parent[1]);

    /* 4. A read-only private page. */
    char *ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap the read-only page", ro != MAP_FAILED);
    fill(ro, PAGE, 7);
    CHECK("mprotect PROT_READ", mprotect(ro, PAGE, PROT_READ) == 0);
    p = fork_flushed();
    if (p == 0) {
        send_int(wr, !same(ro, PAGE, 7));
        int bad = mprotect(ro, PAGE, PROT_READ | PROT_WRITE) != 0;
        if (!bad) {
            fill(ro, PAGE, 8);
            bad = !same(ro, PAGE, 8);
        }
        send_int(wr, bad);
        _exit(0);
    }
    CHECK("child reads the read-only page", recv_int(rd) == 0);
    CHECK("child makes it writable and writes", recv_int(rd) == 0);
    reap("child 4 exits 0", p);
    CHECK("parent still sees its page", same(ro, PAGE, 7));
    p = fork_flushed();
    if (p == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        *(volatile char *)ro = 1;
        _exit(0);
    }
    int status;
    CHECK("writing it in the child is SIGSEGV",
          waitpid(p, &status, 0) == p && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
    CHECK("parent's page intact after the fault", same(ro, PAGE, 7));

    /* 5. A grandchild: copies of the child's copies. */
    p = fork_flushed();
    if (p == 0) {
        set_private(2);
        fill(shared, MAP_SIZE, 2);
        pid_t g = fork();
        if (g < 0)
            _exit(123);
        if (g == 0) {
            send_int(wr, check_private(2));
            send_int(wr, !same(shared, MAP_SIZE, 2));
            set_private(6);
            fill(shared, MAP_SIZE, 6);
            _exit(0);
        }
        int st;
        if (waitpid(g, &st, 0) != g || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            _exit(124);
        send_int(wr, check_private(2));
        send_int(wr, !same(shared, MAP_SIZE, 6));
        _exit(0);
    }
    describe("grandchild sees the child's values", recv_int(rd));
    CHECK("grandchild sees the child's shared writes", recv_int(rd) == 0);
    describe("child unchanged by the grandchild", recv_int(rd));
    CHECK("child sees the grandchild's shared writes", recv_int(rd) == 0);
    reap("child 5 exits 0", p);
    describe("parent unchanged by both", check_private(1));
    CHECK("parent sees the grandchild's shared writes", same(shared, MAP_SIZE, 6));

    /* 6. Unmapping in the child leaves the parent's mappings. */
    p = fork_flushed();
    if (p == 0)
        _exit(munmap(priv, MAP_SIZE) != 0 || munmap(shared, MAP_SIZE) != 0 || munmap(ro, PAGE) != 0);
    reap("child unmaps everything", p);
    describe("parent after the child unmapped", check_private(1));
    CHECK("parent's shared map after the child unmapped", same(shared, MAP_SIZE, 6));
    CHECK("parent's read-only page after the child unmapped", same(ro, PAGE, 7));
    return 0;
}
