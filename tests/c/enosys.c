/*
 * Unimplemented syscalls.
 *
 * Without arguments: syscall numbers Linux does not have must fail ENOSYS
 * (compared with native).
 * With argument "acct": calls acct(NULL) and prints the errno name. Natively
 * acct depends on privileges and kernel config (EPERM, success, ENOSYS), so
 * only the sandbox run is checked: the sandbox must answer ENOSYS and log it.
 */
#define _GNU_SOURCE
#include "common.h"
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "acct") == 0) {
        errno = 0;
        long r = syscall(SYS_acct, NULL);
        printf("acct: %s\n", r == -1 ? errname(errno) : "success");
        return 0;
    }
    CHECK_ERR("syscall(1000)", syscall(1000), ENOSYS);
    /* Far past the table's end but below the x32 bit (0x40000000). Numbers in
     * the table's gaps are avoided: new kernels fill them (335 is uretprobe
     * since 6.11 and raises SIGILL). */
    CHECK_ERR("syscall(100000)", syscall(100000), ENOSYS);
    return 0;
}
