/* Unmapping and remapping at the edges. munmap checks its range against the
 * user address limit (TASK_SIZE_MAX, 2^47 - 4096): a range ending past it
 * is EINVAL, one ending at it works, and unmapping the whole address space
 * works, after which the process dies of SIGSEGV at its next instruction
 * (even with SIGSEGV blocked). mremap with an old size of 0 duplicates a
 * shared mapping (both see each other's writes) and is EINVAL for a private
 * one; an mremap to the same size is a no-op. */
#define _GNU_SOURCE
#include "common.h"
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define PAGE 4096UL
#define TASK_SIZE_MAX 0x7ffffffff000UL

/* Forks a child that unmaps [addr, addr+len) with raw calls only (its code
 * and stack may be gone afterwards), then says so and exits 3. */
static void unmap_in_child(const char *label, unsigned long addr, unsigned long len,
                           int block_segv) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (block_segv) {
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, SIGSEGV);
            sigprocmask(SIG_BLOCK, &set, NULL);
        }
        syscall(SYS_munmap, addr, len);
        syscall(SYS_exit, 3);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        FAIL("%s: waitpid", label);
    if (WIFSIGNALED(status))
        printf("%s: killed by signal %d\n", label, WTERMSIG(status));
    else
        printf("%s: exited %d\n", label, WEXITSTATUS(status));
}

/* mremap as -1/0, errno kept, for CHECK_ERR. */
static long try_mremap(void *old, size_t old_len, size_t new_len, int flags) {
    return mremap(old, old_len, new_len, flags) == MAP_FAILED ? -1 : 0;
}

int main(void) {
    char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *s = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || s == MAP_FAILED)
        FAIL("mmap");

    CHECK_ERR("munmap of length 0", munmap(p, 0), EINVAL);
    CHECK_ERR("munmap 0..2^47", munmap(NULL, 1UL << 47), EINVAL);
    CHECK_ERR("munmap 0x10000 + TASK_SIZE_MAX", munmap((void *)0x10000, TASK_SIZE_MAX),
              EINVAL);
    CHECK_ERR("munmap at TASK_SIZE_MAX", munmap((void *)TASK_SIZE_MAX, PAGE), EINVAL);
    CHECK_ERR("munmap unaligned", munmap(p + 1, PAGE), EINVAL);
    /* Nothing of ours is up there; Linux unmaps the (empty) range. */
    CHECK("munmap of the last 16 MiB below TASK_SIZE_MAX",
          munmap((void *)(TASK_SIZE_MAX - (16UL << 20)), 16UL << 20) == 0);
    CHECK("munmap of the top page", munmap((void *)(TASK_SIZE_MAX - PAGE), PAGE) == 0);

    void *q = mremap(p, PAGE, PAGE, 0);
    CHECK("mremap to the same size", q == p);
    CHECK_ERR("mremap of 0 bytes of a private mapping", try_mremap(p, 0, PAGE, MREMAP_MAYMOVE),
              EINVAL);

    s[0] = 7;
    q = mremap(s + PAGE, 0, PAGE, MREMAP_MAYMOVE);
    CHECK("mremap of 0 bytes of a shared mapping", q != MAP_FAILED && q != s + PAGE);
    if (q != MAP_FAILED) {
        char *dup = q;
        s[PAGE] = 11;
        CHECK("the duplicate sees the original's second page", dup[0] == 11);
        dup[1] = 9;
        CHECK("the original sees the duplicate's writes", s[PAGE + 1] == 9);
        CHECK("the original is still mapped", s[0] == 7);
        CHECK("munmap of the duplicate", munmap(dup, PAGE) == 0);
        CHECK("the original keeps its data", s[PAGE] == 11 && s[PAGE + 1] == 9);
    }
    CHECK_ERR("mremap of 0 bytes without MREMAP_MAYMOVE", try_mremap(s, 0, PAGE, 0), ENOMEM);

    unmap_in_child("unmap everything", 0, TASK_SIZE_MAX, 0);
    unmap_in_child("unmap everything, SIGSEGV blocked", 0, TASK_SIZE_MAX, 1);
    unmap_in_child("unmap from 0x10000 to the top", 0x10000, TASK_SIZE_MAX - 0x10000, 0);
    unmap_in_child("unmap 0..2^47 (refused)", 0, 1UL << 47, 0);
    printf("still running\n");
    return 0;
}
