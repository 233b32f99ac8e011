/*
 * The initial process state the loader builds: argv, envp and the auxiliary
 * vector. Values that are the same on every run are printed (the sandbox must
 * mirror the host); per-run values (addresses, random bytes) are only checked.
 */
#define _GNU_SOURCE
#include "common.h"
#include <elf.h>
#include <link.h>
#include <sys/auxv.h>

extern char **environ;
/* Linker-provided: our own ELF header, wherever we were loaded. */
extern const ElfW(Ehdr) __ehdr_start;
/* crt1's entry point; AT_ENTRY must point here (relocated for PIE). */
extern char _start[];

static const ElfW(Phdr) *first_phdr;

static int first_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    (void)data;
    first_phdr = info->dlpi_phdr;
    return 1; /* stop: the first object is the main program */
}

static void print_str(const char *name, unsigned long type) {
    const char *s = (const char *)getauxval(type);
    printf("%s: %s\n", name, s ? s : "(null)");
}

int main(int argc, char **argv) {
    printf("argc: %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]: %s\n", i, argv[i]);
    for (char **e = environ; *e; e++)
        printf("env: %s\n", *e);

    printf("AT_PAGESZ: %lu\n", getauxval(AT_PAGESZ));
    printf("AT_CLKTCK: %lu\n", getauxval(AT_CLKTCK));
    printf("AT_PHENT: %lu\n", getauxval(AT_PHENT));
    printf("AT_PHNUM: %lu\n", getauxval(AT_PHNUM));
    printf("AT_UID: %lu\n", getauxval(AT_UID));
    printf("AT_EUID: %lu\n", getauxval(AT_EUID));
    printf("AT_GID: %lu\n", getauxval(AT_GID));
    printf("AT_EGID: %lu\n", getauxval(AT_EGID));
    printf("AT_SECURE: %lu\n", getauxval(AT_SECURE));
    printf("AT_HWCAP: %#lx\n", getauxval(AT_HWCAP));
    print_str("AT_PLATFORM", AT_PLATFORM);
    print_str("AT_EXECFN", AT_EXECFN);
    /* Only dynamic executables have an interpreter, hence a nonzero base. */
    printf("AT_BASE is zero: %s\n", getauxval(AT_BASE) == 0 ? "yes" : "no");

    CHECK("AT_ENTRY is _start", getauxval(AT_ENTRY) == (unsigned long)_start);

    const volatile unsigned char *rnd =
        (const volatile unsigned char *)getauxval(AT_RANDOM);
    CHECK("AT_RANDOM present", rnd != NULL);
    unsigned char any = 0;
    for (int i = 0; i < 16; i++)
        any |= rnd[i];
    CHECK("AT_RANDOM 16 bytes readable and not all zero", any != 0);

    unsigned long phdr = (unsigned long)((const char *)&__ehdr_start +
                                         __ehdr_start.e_phoff);
    CHECK("AT_PHDR is our program headers", getauxval(AT_PHDR) == phdr);
    CHECK("AT_PHNUM matches e_phnum",
          getauxval(AT_PHNUM) == __ehdr_start.e_phnum);
    CHECK("AT_PHENT matches e_phentsize",
          getauxval(AT_PHENT) == __ehdr_start.e_phentsize);
    dl_iterate_phdr(first_object, NULL);
    CHECK("dl_iterate_phdr main object agrees with AT_PHDR",
          (unsigned long)first_phdr == getauxval(AT_PHDR));
    return 0;
}
