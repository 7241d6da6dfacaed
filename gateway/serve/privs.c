/*
 * Dropping privileges (see privs.h), with the raw capget/capset system
 * calls: no libcap needed for three masks.
 */
#include "gateway/serve/privs.h"

#include "common/log.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEEP_BIT (1u << CAP_NET_ADMIN) /* CAP_NET_ADMIN is 12: in word 0 */

struct caps {
    struct __user_cap_header_struct hdr;
    struct __user_cap_data_struct data[2];
};

static int caps_get(struct caps *c)
{
    memset(c, 0, sizeof(*c));
    c->hdr.version = _LINUX_CAPABILITY_VERSION_3;
    return (int)syscall(SYS_capget, &c->hdr, c->data);
}

static int caps_set(struct caps *c)
{
    c->hdr.version = _LINUX_CAPABILITY_VERSION_3;
    c->hdr.pid = 0;
    return (int)syscall(SYS_capset, &c->hdr, c->data);
}

static int fail(const char *what)
{
    bb_log_warn("dropping privileges: %s", what);
    return -1;
}

/* The highest capability number this kernel knows. */
static int last_cap(void)
{
    int last = 40; /* CAP_CHECKPOINT_RESTORE on 5.9+; a guess if /proc is absent */
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
    if (f != NULL) {
        if (fscanf(f, "%d", &last) != 1)
            last = 40;
        fclose(f);
    }
    return last;
}

/* Needs CAP_SETPCAP; without it (not started as root) the bounding set
 * stays, which no_new_privs makes moot for execve anyway. */
static int trim_bounding_set(bool must)
{
    int last = last_cap(); /* read once, not once per capability */
    for (int cap = 0; cap <= last; cap++) {
        if (cap == CAP_NET_ADMIN || prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && (must || errno != EPERM))
            return fail("PR_CAPBSET_DROP");
    }
    return 0;
}

static int become(uid_t uid)
{
    gid_t gid = (gid_t)uid; /* proxy_uid's own group, as the sidecar convention has it */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
        return fail("PR_SET_KEEPCAPS");
    if (setgroups(0, NULL) != 0)
        return fail("setgroups");
    if (setresgid(gid, gid, gid) != 0)
        return fail("setresgid");
    if (setresuid(uid, uid, uid) != 0)
        return fail("setresuid");
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
        return fail("PR_SET_KEEPCAPS");
    return 0;
}

static int keep_only_net_admin(void)
{
    struct caps c;
    if (caps_get(&c) != 0)
        return fail("capget");
    uint32_t keep = c.data[0].permitted & KEEP_BIT;
    memset(c.data, 0, sizeof(c.data));
    c.data[0].permitted = c.data[0].effective = keep;
    if (caps_set(&c) != 0)
        return fail("capset");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return fail("clearing ambient capabilities");
    return 0;
}

/* Trust, but verify: what the kernel says we now hold. */
static int verify(uid_t want_uid, bool switched)
{
    struct caps c;
    uid_t r, e, s;
    if (caps_get(&c) != 0 || getresuid(&r, &e, &s) != 0)
        return fail("checking");
    bool caps_ok = (c.data[0].permitted & ~KEEP_BIT) == 0 && c.data[1].permitted == 0 &&
                   c.data[0].inheritable == 0 && c.data[1].inheritable == 0;
    bool uid_ok = !switched || (r == want_uid && e == want_uid && s == want_uid);
    if (!caps_ok || !uid_ok || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
        bb_log_warnx("dropping privileges: the kernel reports more than was kept");
        return -1;
    }
    return 0;
}

int bb_privs_drop(uint32_t uid)
{
    bool root = geteuid() == 0;
    bool switching = root && uid != 0;
    if (trim_bounding_set(root) != 0)
        return -1;
    if (switching && become((uid_t)uid) != 0)
        return -1;
    if (keep_only_net_admin() != 0)
        return -1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return fail("PR_SET_NO_NEW_PRIVS");
    return verify((uid_t)uid, switching);
}
