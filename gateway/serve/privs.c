#include "common/log.h"
/*
#include "common/log.h"
 * Dropping privileges (see privs.h), with the raw capget/capset system
#include "common/log.h"
 * calls: no libcap needed for three masks.
#include "common/log.h"
 */
#include "common/log.h"
#include "gateway/serve/privs.h"
#include "common/log.h"

#include "common/log.h"
#include <errno.h>
#include "common/log.h"
#include <grp.h>
#include "common/log.h"
#include <linux/capability.h>
#include "common/log.h"
#include <stdbool.h>
#include "common/log.h"
#include <stdio.h>
#include "common/log.h"
#include <string.h>
#include "common/log.h"
#include <sys/prctl.h>
#include "common/log.h"
#include <sys/syscall.h>
#include "common/log.h"
#include <unistd.h>
#include "common/log.h"

#include "common/log.h"
#define KEEP_BIT (1u << CAP_NET_ADMIN) /* CAP_NET_ADMIN is 12: in word 0 */
#include "common/log.h"

#include "common/log.h"
struct caps {
#include "common/log.h"
    struct __user_cap_header_struct hdr;
#include "common/log.h"
    struct __user_cap_data_struct data[2];
#include "common/log.h"
};
#include "common/log.h"

#include "common/log.h"
static int caps_get(struct caps *c)
#include "common/log.h"
{
#include "common/log.h"
    memset(c, 0, sizeof(*c));
#include "common/log.h"
    c->hdr.version = _LINUX_CAPABILITY_VERSION_3;
#include "common/log.h"
    return (int)syscall(SYS_capget, &c->hdr, c->data);
#include "common/log.h"
}
#include "common/log.h"

#include "common/log.h"
static int caps_set(struct caps *c)
#include "common/log.h"
{
#include "common/log.h"
    c->hdr.version = _LINUX_CAPABILITY_VERSION_3;
#include "common/log.h"
    c->hdr.pid = 0;
#include "common/log.h"
    return (int)syscall(SYS_capset, &c->hdr, c->data);
#include "common/log.h"
}
#include "common/log.h"

#include "common/log.h"
static int fail(const char *what)
#include "common/log.h"
{
#include "common/log.h"
    bb_log_warn("dropping privileges: %s", what);
#include "common/log.h"
    return -1;
#include "common/log.h"
}
#include "common/log.h"

#include "common/log.h"
/* The highest capability number this kernel knows. */
#include "common/log.h"
static int last_cap(void)
#include "common/log.h"
{
#include "common/log.h"
    int last = 40; /* CAP_CHECKPOINT_RESTORE on 5.9+; a guess if /proc is absent */
#include "common/log.h"
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
#include "common/log.h"
    if (f != NULL) {
#include "common/log.h"
        if (fscanf(f, "%d", &last) != 1)
#include "common/log.h"
            last = 40;
#include "common/log.h"
        fclose(f);
#include "common/log.h"
    }
#include "common/log.h"
    return last;
#include "common/log.h"
}
#include "common/log.h"

#include "common/log.h"
/* Needs CAP_SETPCAP; without it (not started as root) the bounding set
#include "common/log.h"
 * stays, which no_new_privs makes moot for execve anyway. */
#include "common/log.h"
static int trim_bounding_set(bool must)
#include "common/log.h"
{
#include "common/log.h"
    int last = last_cap(); /* read once, not once per capability */
#include "common/log.h"
    for (int cap = 0; cap <= last; cap++) {
#include "common/log.h"
        if (cap == CAP_NET_ADMIN || prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
#include "common/log.h"
            continue;
#include "common/log.h"
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && (must || errno != EPERM))
#include "common/log.h"
            return fail("PR_CAPBSET_DROP");
#include "common/log.h"
    }
#include "common/log.h"
    return 0;
#include "common/log.h"
}
#include "common/log.h"

#include "common/log.h"
static int become(uid_t uid)
#include "common/log.h"
{
#include "common/log.h"
    gid_t gid = (gid_t)uid; /* proxy_uid's own group, as the sidecar convention has it */
#include "common/log.h"
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
#include "common/log.h"
        return fail("PR_SET_KEEPCAPS");
#include "common/log.h"
    if (setgroups(0, NULL) != 0)
#include "common/log.h"
        return fail("setgroups");
#include "common/log.h"
    if (setresgid(gid, gid, gid) != 0)
#include "common/log.h"
        return fail("setresgid");
#include "common/log.h"
    if (setresuid(uid, uid, uid) != 0)
#include "common/log.h"
        return fail("setresuid");
#include "common/log.h"
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
#include "common/log.h"
        return fail("PR_SET_KEEPCAPS");
#include "common/log.h"
    return 0;
#include "common/log.h"
}
#include "common/log.h"

#include "common/log.h"
static int keep_only_net_admin(void)
#include "common/log.h"
{
#include "common/log.h"
    struct caps c;
#include "common/log.h"
    if (caps_get(&c) != 0)
#include "common/log.h"
        return fail("capget");
#include "common/log.h"
    uint32_t keep = c.data[0].permitted & KEEP_BIT;
#include "common/log.h"
    memset(c.data, 0, sizeof(c.data));
#include "common/log.h"
    c.data[0].permitted = c.data[0].effective = keep;
#include "common/log.h"
    if (caps_set(&c) != 0)
#include "common/log.h"
        return fail("capset");
#include "common/log.h"
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
#include "common/log.h"
        return fail("clearing ambient capabilities");
#include "common/log.h"
    return 0;
#include "common/log.h"
}
#include "common/log.h"

#include "common/log.h"
/* Trust, but verify: what the kernel says we now hold. */
#include "common/log.h"
static int verify(uid_t want_uid, bool switched)
#include "common/log.h"
{
#include "common/log.h"
    struct caps c;
#include "common/log.h"
    uid_t r, e, s;
#include "common/log.h"
    if (caps_get(&c) != 0 || getresuid(&r, &e, &s) != 0)
#include "common/log.h"
        return fail("checking");
#include "common/log.h"
    bool caps_ok = (c.data[0].permitted & ~KEEP_BIT) == 0 && c.data[1].permitted == 0 &&
#include "common/log.h"
                   c.data[0].inheritable == 0 && c.data[1].inheritable == 0;
#include "common/log.h"
    bool uid_ok = !switched || (r == want_uid && e == want_uid && s == want_uid);
#include "common/log.h"
    if (!caps_ok || !uid_ok || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
#include "common/log.h"
        bb_log_warnx("dropping privileges: the kernel reports more than was kept");
#include "common/log.h"
        return -1;
#include "common/log.h"
    }
#include "common/log.h"
    return 0;
#include "common/log.h"
}
#include "common/log.h"

#include "common/log.h"
int bb_privs_drop(uint32_t uid)
#include "common/log.h"
{
#include "common/log.h"
    bool root = geteuid() == 0;
#include "common/log.h"
    bool switching = root && uid != 0;
#include "common/log.h"
    if (trim_bounding_set(root) != 0)
#include "common/log.h"
        return -1;
#include "common/log.h"
    if (switching && become((uid_t)uid) != 0)
#include "common/log.h"
        return -1;
#include "common/log.h"
    if (keep_only_net_admin() != 0)
#include "common/log.h"
        return -1;
#include "common/log.h"
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
#include "common/log.h"
        return fail("PR_SET_NO_NEW_PRIVS");
#include "common/log.h"
    return verify((uid_t)uid, switching);
#include "common/log.h"
}
