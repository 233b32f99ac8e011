/* User and group IDs, supplementary groups and capabilities: Linux's rules for
 * root and non-root (a forked child drops to uid 1000), saved IDs, the fsuid,
 * and what leaving uid 0 does to the capability sets (capabilities(7)). */
#define _GNU_SOURCE
#include "procs.h"
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static struct __user_cap_data_struct caps[2];

static int get_caps(void) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    return syscall(SYS_capget, &h, caps);
}

static int set_caps(void) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    return syscall(SYS_capset, &h, caps);
}

static int has(unsigned set, int cap) { return (set >> cap) & 1; }

static int eff(int cap) { get_caps(); return has(caps[cap / 32].effective, cap % 32); }
static int prm(int cap) { get_caps(); return has(caps[cap / 32].permitted, cap % 32); }

static char secret[64];

static void saved_ids(void) {
    uid_t r, e, s;
    CHECK("setresgid 1000", setresgid(1000, 1000, 1000) == 0);
    CHECK("setresuid 1000,1000,0", setresuid(1000, 1000, 0) == 0);
    CHECK("getresuid", getresuid(&r, &e, &s) == 0 && r == 1000 && e == 1000 && s == 0);
    CHECK("effective set empty with euid 1000", !eff(CAP_SETUID) && !eff(CAP_CHOWN));
    CHECK("permitted kept while saved uid is 0", prm(CAP_SETUID));
    CHECK_ERR("open root's 0600 file", open(secret, O_RDONLY), EACCES);
    CHECK("seteuid(0) through the saved uid", seteuid(0) == 0 && geteuid() == 0);
    CHECK("effective restored", eff(CAP_SETUID));
    CHECK("setresuid 1000 all", setresuid(1000, 1000, 1000) == 0);
    CHECK("permitted cleared", !prm(CAP_SETUID) && !eff(CAP_SETUID));
    CHECK_ERR("setuid(0)", setuid(0), EPERM);
    CHECK_ERR("setresuid(-1,0,-1)", setresuid(-1, 0, -1), EPERM);
    CHECK_ERR("setreuid(0,-1)", setreuid(0, -1), EPERM);
    CHECK_ERR("setgid(0)", setgid(0), EPERM);
    CHECK_ERR("setresgid(0,-1,-1)", setresgid(0, -1, -1), EPERM);
    gid_t g = 7;
    CHECK_ERR("setgroups", setgroups(1, &g), EPERM);
    CHECK("setuid(1000) to itself", setuid(1000) == 0);
    CHECK("setfsuid(-1) reports 1000", setfsuid(-1) == 1000);
    CHECK("setfsuid(0) refused, reports 1000", setfsuid(0) == 1000 && setfsuid(-1) == 1000);
    CHECK_ERR("capset raising effective", (caps[0].effective = 1 << CAP_CHOWN, set_caps()), EPERM);
    CHECK("PR_CAPBSET_READ", prctl(PR_CAPBSET_READ, CAP_CHOWN) == 1);
    CHECK_ERR("PR_CAPBSET_DROP without CAP_SETPCAP", prctl(PR_CAPBSET_DROP, CAP_CHOWN), EPERM);
    CHECK_ERR("kill root parent", kill(getppid(), 0), EPERM);
}

static void keepcaps(void) {
    CHECK("PR_GET_KEEPCAPS 0", prctl(PR_GET_KEEPCAPS) == 0);
    CHECK_ERR("PR_SET_KEEPCAPS 2", prctl(PR_SET_KEEPCAPS, 2), EINVAL);
    CHECK("PR_SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1) == 0 && prctl(PR_GET_KEEPCAPS) == 1);
    CHECK("setresuid 1000 all", setresuid(1000, 1000, 1000) == 0);
    CHECK("permitted kept", prm(CAP_SETUID) && !eff(CAP_SETUID));
    get_caps();
    caps[0].effective = 1 << CAP_SETUID;
    CHECK("capset effective from permitted", set_caps() == 0 && eff(CAP_SETUID));
    CHECK_ERR("ambient raise without inheritable", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SETUID, 0, 0), EPERM);
    get_caps();
    caps[0].inheritable = 1 << CAP_SETUID;
    CHECK("capset inheritable", set_caps() == 0);
    CHECK("ambient raise", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SETUID, 0, 0) == 0);
    CHECK("ambient is set", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_SETUID, 0, 0) == 1);
    CHECK_ERR("ambient bad cap", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 99, 0, 0), EINVAL);
    CHECK("ambient clear all", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0 &&
          prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_SETUID, 0, 0) == 0);
    CHECK("setuid(0) with CAP_SETUID", setuid(0) == 0 && getuid() == 0 && geteuid() == 0);
}

static void bounding(void) {
    CHECK("PR_CAPBSET_DROP CAP_CHOWN", prctl(PR_CAPBSET_DROP, CAP_CHOWN) == 0);
    CHECK("dropped from the bounding set", prctl(PR_CAPBSET_READ, CAP_CHOWN) == 0);
    CHECK("still effective", eff(CAP_CHOWN));
    CHECK_ERR("PR_CAPBSET_READ 99", prctl(PR_CAPBSET_READ, 99), EINVAL);
}

int main(void) {
    uid_t r, e, s;
    CHECK("getresuid root", getresuid(&r, &e, &s) == 0 && r == 0 && e == 0 && s == 0);
    gid_t gr, ge, gs;
    CHECK("getresgid root", getresgid(&gr, &ge, &gs) == 0 && gr == 0 && ge == 0 && gs == 0);
    CHECK("capget", get_caps() == 0);
    CHECK("root has CAP_SETUID, CAP_DAC_OVERRIDE", eff(CAP_SETUID) && eff(CAP_DAC_OVERRIDE));
    struct __user_cap_header_struct h = {0x1234, 0};
    CHECK("capget probe", syscall(SYS_capget, &h, NULL) == 0 && h.version == _LINUX_CAPABILITY_VERSION_3);
    h.version = 0x1234;
    CHECK_ERR("capget bad version", syscall(SYS_capget, &h, caps), EINVAL);
    h = (struct __user_cap_header_struct){_LINUX_CAPABILITY_VERSION_3, -1};
    CHECK_ERR("capget pid -1", syscall(SYS_capget, &h, caps), EINVAL);

    gid_t groups[] = {50, 7, 30};
    CHECK("setgroups", setgroups(3, groups) == 0);
    gid_t got[8];
    CHECK("getgroups count", getgroups(0, NULL) == 3);
    int n = getgroups(8, got);
    printf("groups: %d %u %u %u\n", n, got[0], got[1], got[2]);
    CHECK_ERR("getgroups too small", getgroups(1, got), EINVAL);
    CHECK_ERR("setgroups -1", setgroups((size_t)-1, groups), EINVAL);
    CHECK("setgroups empty", setgroups(0, NULL) == 0 && getgroups(0, NULL) == 0);

    snprintf(secret, sizeof secret, "/tmp/compat-identity-%d", getpid());
    int fd = open(secret, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    CHECK("create a 0600 file", fd >= 0 && close(fd) == 0);
    CHECK("setfsuid(1000) reports 0", setfsuid(1000) == 0);
    CHECK("fsuid 1000 drops CAP_DAC_OVERRIDE", !eff(CAP_DAC_OVERRIDE) && eff(CAP_SETUID));
    CHECK_ERR("open as fsuid 1000", open(secret, O_RDONLY), EACCES);
    CHECK("setfsuid(0) reports 1000", setfsuid(0) == 1000);
    fd = open(secret, O_RDONLY);
    CHECK("open as fsuid 0", fd >= 0 && close(fd) == 0);
    CHECK_ERR("setuid(-1)", setuid(-1), EINVAL);
    CHECK("setreuid(-1,-1)", setreuid(-1, -1) == 0);

    in_child(saved_ids);
    in_child(keepcaps);
    in_child(bounding);
    CHECK("unlink", unlink(secret) == 0);
    return 0;
}
