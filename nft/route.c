/*
 * rtnetlink for botbox's policy routing (see route.h). Each change is one
 * request with NLM_F_ACK, answered by one NLMSG_ERROR carrying the errno
 * (0 = done). The rule has a fixed priority and is added with NLM_F_EXCL:
 * without them the kernel would add a duplicate on every apply
 * (nft-facts §5).
 */
#include "nft/route.h"

#include "common/diag.h"
#include "common/rtnl.h"
#include "nft/ruleset.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ROUTE_BUF BB_RTNL_BUF

static int rtnl_open(struct bb_rtnl *r, struct bb_diag *diag)
{
    int err = bb_rtnl_open(r);
    if (err != 0)
        bb_diag_add(diag, BB_DIAG_ERROR, "rtnetlink: %s", strerror(err));
    return err != 0 ? -1 : 0;
}

static struct nlmsghdr *rule_msg(char *buf, uint16_t type, int family)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    if (type == RTM_NEWRULE)
        nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
    struct fib_rule_hdr *h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
    h->family = (uint8_t)family;
    h->action = FR_ACT_TO_TBL;
    h->table = RT_TABLE_UNSPEC;
    mnl_attr_put_u32(nlh, FRA_PRIORITY, BB_NFT_RULE_PRIORITY);
    mnl_attr_put_u32(nlh, FRA_FWMARK, BB_NFT_MARK);
    mnl_attr_put_u32(nlh, FRA_TABLE, BB_NFT_ROUTE_TABLE);
    return nlh;
}

static struct nlmsghdr *route_msg(char *buf, uint16_t type, int family)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    if (type == RTM_NEWROUTE)
        nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
    struct rtmsg *rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
    rt->rtm_family = (uint8_t)family;
    rt->rtm_dst_len = 0; /* default */
    rt->rtm_table = RT_TABLE_UNSPEC;
    rt->rtm_protocol = RTPROT_BOOT;
    rt->rtm_scope = RT_SCOPE_HOST;
    rt->rtm_type = RTN_LOCAL;
    mnl_attr_put_u32(nlh, RTA_TABLE, BB_NFT_ROUTE_TABLE);
    mnl_attr_put_u32(nlh, RTA_OIF, if_nametoindex("lo"));
    return nlh;
}

static const char *fam(int family)
{
    return family == AF_INET ? "ipv4" : "ipv6";
}

static const char *hint(int err)
{
    return err == EPERM ? " (botbox nft needs CAP_NET_ADMIN: run it as root)" : "";
}

static int add_family(struct bb_rtnl *r, int family, struct bb_diag *diag)
{
    char buf[ROUTE_BUF] = {0};
    int err = bb_rtnl_talk(r, route_msg(buf, RTM_NEWROUTE, family));
    if (err != 0 && err != EEXIST) {
        bb_diag_add(diag, BB_DIAG_ERROR,
                    "policy routing: adding %s route local default dev lo table %u: %s%s",
                    fam(family), BB_NFT_ROUTE_TABLE, strerror(err), hint(err));
        return -1;
    }
    err = bb_rtnl_talk(r, rule_msg(buf, RTM_NEWRULE, family));
    if (err != 0 && err != EEXIST) {
        bb_diag_add(diag, BB_DIAG_ERROR,
                    "policy routing: adding %s rule pref %u fwmark 0x%x lookup %u: %s%s",
                    fam(family), BB_NFT_RULE_PRIORITY, BB_NFT_MARK, BB_NFT_ROUTE_TABLE,
                    strerror(err), hint(err));
        return -1;
    }
    return 0;
}

/* Removes one family's rule and route; absent ones (ENOENT, ESRCH) or a
 * kernel without that family (EAFNOSUPPORT) leave nothing to do. */
static int del_family(struct bb_rtnl *r, int family, struct bb_diag *diag)
{
    char buf[ROUTE_BUF] = {0};
    int rc = 0;
    int err = bb_rtnl_talk(r, rule_msg(buf, RTM_DELRULE, family));
    if (err != 0 && err != ENOENT && err != EAFNOSUPPORT) {
        bb_diag_add(diag, BB_DIAG_ERROR, "policy routing: removing %s rule: %s%s", fam(family),
                    strerror(err), hint(err));
        rc = -1;
    }
    err = bb_rtnl_talk(r, route_msg(buf, RTM_DELROUTE, family));
    if (err != 0 && err != ESRCH && err != ENOENT && err != EAFNOSUPPORT) {
        bb_diag_add(diag, BB_DIAG_ERROR, "policy routing: removing %s route: %s%s", fam(family),
                    strerror(err), hint(err));
        rc = -1;
    }
    return rc;
}

int bb_route_apply(bool ipv6, struct bb_diag *diag)
{
    struct bb_rtnl r;
    if (rtnl_open(&r, diag) != 0)
        return -1;
    int rc = add_family(&r, AF_INET, diag);
    /* With IPv6 steering off, routing left by an earlier apply goes too. */
    if (rc == 0)
        rc = ipv6 ? add_family(&r, AF_INET6, diag) : del_family(&r, AF_INET6, diag);
    bb_rtnl_close(&r);
    return rc;
}

int bb_route_flush(struct bb_diag *diag)
{
    struct bb_rtnl r;
    if (rtnl_open(&r, diag) != 0)
        return -1;
    int rc = del_family(&r, AF_INET, diag);
    if (del_family(&r, AF_INET6, diag) != 0)
        rc = -1;
    bb_rtnl_close(&r);
    return rc;
}

/* ---- show: dump and look for our objects ---- */

struct found {
    int rule, route;
};

static int attr_u32(const struct nlattr *a, uint16_t type, uint32_t *out)
{
    if (mnl_attr_get_type(a) != type || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
        return 0;
    *out = mnl_attr_get_u32(a);
    return 1;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
    uint32_t prio = 0, mark = 0, table = 0;
    const struct nlattr *a;
    mnl_attr_for_each(a, nlh, sizeof(struct fib_rule_hdr))
    {
        attr_u32(a, FRA_PRIORITY, &prio);
        attr_u32(a, FRA_FWMARK, &mark);
        attr_u32(a, FRA_TABLE, &table);
    }
    if (prio == BB_NFT_RULE_PRIORITY && mark == BB_NFT_MARK && table == BB_NFT_ROUTE_TABLE)
        ((struct found *)data)->rule = 1;
    return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
    const struct rtmsg *rt = mnl_nlmsg_get_payload(nlh);
    uint32_t table = rt->rtm_table, oif = 0;
    const struct nlattr *a;
    mnl_attr_for_each(a, nlh, sizeof(*rt))
    {
        attr_u32(a, RTA_TABLE, &table);
        attr_u32(a, RTA_OIF, &oif);
    }
    if (table == BB_NFT_ROUTE_TABLE && rt->rtm_type == RTN_LOCAL && rt->rtm_dst_len == 0 &&
        oif == if_nametoindex("lo"))
        ((struct found *)data)->route = 1;
    return MNL_CB_OK;
}

static int dump(struct bb_rtnl *r, uint16_t type, int family, mnl_cb_t cb, struct found *f)
{
    char buf[ROUTE_BUF] = {0};
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    struct rtmsg *rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
    rt->rtm_family = (uint8_t)family;
    int err = bb_rtnl_dump(r, nlh, cb, f);
    errno = err;
    return err != 0 ? -1 : 0;
}

int bb_route_show(FILE *out, struct bb_diag *diag)
{
    static const int families[] = {AF_INET, AF_INET6};
    struct bb_rtnl r;
    int present = 0;
    if (rtnl_open(&r, diag) != 0)
        return -1;
    for (size_t i = 0; i < 2; i++) {
        struct found f = {0};
        if (dump(&r, RTM_GETRULE, families[i], rule_cb, &f) != 0 ||
            dump(&r, RTM_GETROUTE, families[i], route_cb, &f) != 0) {
            if (errno == EAFNOSUPPORT)
                continue;
            bb_diag_add(diag, BB_DIAG_ERROR, "policy routing: dump failed: %s", strerror(errno));
            bb_rtnl_close(&r);
            return -1;
        }
        fprintf(out, "routing %s rule pref %u fwmark 0x%x lookup %u: %s\n", fam(families[i]),
                BB_NFT_RULE_PRIORITY, BB_NFT_MARK, BB_NFT_ROUTE_TABLE,
                f.rule ? "present" : "absent");
        fprintf(out, "routing %s route local default dev lo table %u: %s\n", fam(families[i]),
                BB_NFT_ROUTE_TABLE, f.route ? "present" : "absent");
        present += f.rule + f.route;
    }
    bb_rtnl_close(&r);
    return present;
}
