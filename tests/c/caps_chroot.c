/*
 * chroot needs CAP_SYS_CHROOT in the effective set (root without it gets
 * EPERM); ambient capabilities stay a subset of the permitted and
 * inheritable sets (capset clears those that leave either) and survive exec;
 * /proc/self/status's CapAmb shows the ambient set.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "common.h"

static struct __user_cap_data_struct data[2];

static void get_caps(void) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    if (syscall(SYS_capget, &h, data) != 0)
        FAIL("capget");
}

static int set_caps(void) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    return syscall(SYS_capset, &h, data);
}

static void clear_bit(uint32_t *set, int cap) { set[0] &= ~(1u << cap); }
static void set_bit(uint32_t *set, int cap) { set[0] |= 1u << cap; }

/* The CapAmb line of /proc/self/status, as a number. */
static unsigned long long cap_amb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long v = ~0ULL;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "CapAmb: %llx", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

static int in_child(void (*fn)(void)) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void chroot_checks(void) {
    CHECK("chroot with the capability", chroot("/") == 0);
    get_caps();
    clear_bit(&data[0].effective, CAP_SYS_CHROOT);
    CHECK("drop CAP_SYS_CHROOT from effective", set_caps() == 0);
    CHECK_ERR("chroot without it", chroot("/"), EPERM);
    CHECK_ERR("chroot without it, bad path first", chroot("/nonexistent"), ENOENT);
    set_bit(&data[0].effective, CAP_SYS_CHROOT);
    CHECK("raise it again", set_caps() == 0);
    CHECK("chroot with it again", chroot("/") == 0);
    clear_bit(&data[0].effective, CAP_SYS_CHROOT);
    clear_bit(&data[0].permitted, CAP_SYS_CHROOT);
    CHECK("drop it from permitted", set_caps() == 0);
    CHECK_ERR("chroot as root without it", chroot("/"), EPERM);
    set_bit(&data[0].effective, CAP_SYS_CHROOT);
    CHECK_ERR("cannot raise it back", set_caps(), EPERM);
}

static void ambient_checks(void) {
    CHECK("CapAmb empty", cap_amb() == 0);
    CHECK_ERR("raise ambient not inheritable",
              prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0), EPERM);
    get_caps();
    set_bit(&data[0].inheritable, CAP_NET_RAW);
    set_bit(&data[0].inheritable, CAP_KILL);
    CHECK("make NET_RAW and KILL inheritable", set_caps() == 0);
    CHECK("raise NET_RAW ambient",
          prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) == 0);
    CHECK("raise KILL ambient",
          prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0) == 0);
    CHECK("CapAmb shows both",
          cap_amb() == ((1ULL << CAP_NET_RAW) | (1ULL << CAP_KILL)));
    clear_bit(&data[0].inheritable, CAP_NET_RAW);
    CHECK("NET_RAW leaves inheritable", set_caps() == 0);
    CHECK("its ambient bit is cleared",
          prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0) == 0);
    CHECK("CapAmb shows KILL only", cap_amb() == (1ULL << CAP_KILL));
    clear_bit(&data[0].permitted, CAP_KILL);
    clear_bit(&data[0].effective, CAP_KILL);
    CHECK("KILL leaves permitted", set_caps() == 0);
    CHECK("CapAmb empty again", cap_amb() == 0);

    /* Ambient capabilities survive exec. */
    set_bit(&data[0].inheritable, CAP_NET_RAW);
    CHECK("NET_RAW inheritable again", set_caps() == 0);
    CHECK("raise NET_RAW ambient again",
          prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) == 0);
    fflush(stdout);
    execl("/proc/self/exe", "caps_chroot", "after-exec", (char *)NULL);
    FAIL("exec");
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "after-exec") == 0) {
        CHECK("after exec: CapAmb holds NET_RAW", cap_amb() == (1ULL << CAP_NET_RAW));
        get_caps();
        CHECK("after exec: NET_RAW inheritable and permitted",
              (data[0].inheritable & (1u << CAP_NET_RAW)) &&
                  (data[0].permitted & (1u << CAP_NET_RAW)));
        return 0;
    }
    CHECK("chroot child", in_child(chroot_checks) == 0);
    CHECK("ambient child", in_child(ambient_checks) == 0);
    printf("done\n");
    return 0;
}
