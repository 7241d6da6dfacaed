/*
 * `botbox run`'s namespaces, links and tables (see run_net.h). The order of
 * bb_run_net_up: slot, namespaces, links from the outer side, then each
 * namespace configured from inside (its own rtnetlink socket), then the
 * outer masquerade table.
 */
#include "gateway/run/run_net.h"

#include "common/diag.h"
#include "gateway/run/link.h"
#include "gateway/run/netns.h"
#include "nft/nft.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter/nf_tables.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FWD4 "/proc/sys/net/ipv4/ip_forward"
#define FWD6 "/proc/sys/net/ipv6/conf/all/forwarding"

/* ---- slot ---- */

/* A slot is held by binding an abstract unix socket named after it: names
 * are per network namespace (slots only need to be unique among runs
 * sharing an outer namespace) and the kernel frees them when the process
 * dies. */
static int take_slot(struct bb_run_net *n, const struct bb_run_ranges *ranges)
{
    uint32_t slots = bb_run_slots(ranges);
    for (uint32_t i = 0; i < slots; i++) {
        uint32_t slot = ((uint32_t)n->pid + i) % slots;
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        int len = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "botbox-run-slot-%u", slot);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        if (bind(fd, (struct sockaddr *)&a,
                 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len)) == 0) {
            n->slot = slot;
            n->slot_fd = fd;
            return 0;
        }
        close(fd);
    }
    errno = EBUSY;
    return -1;
}

/* ---- inside the namespaces ---- */

struct inside {
    struct bb_run_net *n;
    const struct bb_config *cfg;
    struct bb_diag *diag;
};

static int say(struct bb_diag *diag, const char *where, const char *what, const char *name, int err)
{
    if (err != 0)
        bb_diag_add(diag, BB_DIAG_ERROR, "botbox run: %s: %s %s: %s", where, what, name,
                    strerror(err));
    return err;
}

/* Link up, its IPv4 /30 and (with IPv6) /64. */
static int link_conf(struct bb_rtnl *r, const struct inside *in, const char *where,
                     const char *name, const struct in_addr *a4, const struct in6_addr *a6)
{
    if (say(in->diag, where, "setting up", name, bb_link_up(r, name)) != 0 ||
        say(in->diag, where, "addressing", name,
            bb_link_addr(r, name, AF_INET, a4, BB_RUN_PLEN4)) != 0)
        return -1;
    if (in->n->ipv6 && say(in->diag, where, "addressing", name,
                           bb_link_addr(r, name, AF_INET6, a6, BB_RUN_PLEN6)) != 0)
        return -1;
    return 0;
}

static int routes(struct bb_rtnl *r, const struct inside *in, const char *where, const char *name,
                  const struct in_addr *gw4, const struct in6_addr *gw6)
{
    if (say(in->diag, where, "default route via", name,
            bb_link_default_route(r, name, AF_INET, gw4)) != 0)
        return -1;
    if (in->n->ipv6 && say(in->diag, where, "default route via", name,
                           bb_link_default_route(r, name, AF_INET6, gw6)) != 0)
        return -1;
    return 0;
}

/* Without flows: a default route into a dead end (see run_plan.h). */
static int gw_nowhere(struct bb_rtnl *r, const struct inside *in)
{
    const char *w = "gateway namespace";
    if (say(in->diag, w, "creating veth", BB_RUN_GW_NOWHERE,
            bb_link_veth(r, BB_RUN_GW_NOWHERE, -1, BB_RUN_GW_NOWHERE_PEER, -1)) != 0 ||
        say(in->diag, w, "setting up", BB_RUN_GW_NOWHERE, bb_link_up(r, BB_RUN_GW_NOWHERE)) != 0)
        return -1;
    return routes(r, in, w, BB_RUN_GW_NOWHERE, NULL, NULL);
}

/* With flows: link A toward the outer side, and a masquerade so the outer
 * side only ever sees link A's address. */
static int gw_uplink(struct bb_rtnl *r, const struct inside *in)
{
    const struct bb_run_ends *e = &in->n->ends;
    if (link_conf(r, in, "gateway namespace", BB_RUN_GW_UPLINK, &e->gw_up4, &e->gw_up6) != 0 ||
        routes(r, in, "gateway namespace", BB_RUN_GW_UPLINK, &e->outer4, &e->outer6) != 0)
        return -1;
    struct bb_ruleset *rs =
        bb_ruleset_build_masq("botbox_run", 0, BB_RUN_GW_CLIENT, BB_RUN_GW_UPLINK);
    int rc = rs != NULL ? bb_nft_send_on(NULL, rs, in->diag) : -1;
    bb_ruleset_free(rs);
    return rc;
}

/* The gateway's namespace: links, a way out for flows (or a dead end),
 * forwarding (so that everything a client sends meets the forward hook)
 * and botbox's gateway ruleset. */
static int gw_inside(void *arg)
{
    const struct inside *in = arg;
    const struct bb_run_ends *e = &in->n->ends;
    const char *w = "gateway namespace";
    struct bb_rtnl r;
    int rc = -1;
    if (say(in->diag, w, "opening", "rtnetlink", bb_rtnl_open(&r)) != 0)
        return -1;
    if (say(in->diag, w, "setting up", "lo", bb_link_up(&r, "lo")) == 0 &&
        link_conf(&r, in, w, BB_RUN_GW_CLIENT, &e->gw_cli4, &e->gw_cli6) == 0 &&
        (in->n->flows ? gw_uplink(&r, in) : gw_nowhere(&r, in)) == 0 &&
        say(in->diag, w, "writing", FWD4, bb_sysctl_write(FWD4, "1")) == 0 &&
        (!in->n->ipv6 || say(in->diag, w, "writing", FWD6, bb_sysctl_write(FWD6, "1")) == 0))
        rc = 0;
    bb_rtnl_close(&r);
    return rc;
}

/* A kernel that refused the native queue expression once (no nft_queue)
 * refuses it until the next boot: /run remembers, and the compat form is
 * sent straight away. */
static int gw_ruleset(void *arg)
{
    const struct inside *in = arg;
    struct bb_nft_report rep;
    bool compat = access(BB_RUN_QUEUE_HINT, F_OK) == 0;
    int rc = bb_nft_apply_as(in->cfg, compat ? BB_NFT_QUEUE_COMPAT : BB_NFT_QUEUE_NATIVE, &rep,
                             in->diag);
    if (rc == 0 && !compat && rep.queue == BB_NFT_QUEUE_COMPAT) {
        int fd = open(BB_RUN_QUEUE_HINT, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
            close(fd);
    }
    return rc;
}

static int sandbox_inside(void *arg)
{
    const struct inside *in = arg;
    const struct bb_run_ends *e = &in->n->ends;
    struct bb_rtnl r;
    if (say(in->diag, "sandbox namespace", "opening", "rtnetlink", bb_rtnl_open(&r)) != 0)
        return -1;
    int rc = say(in->diag, "sandbox namespace", "setting up", "lo", bb_link_up(&r, "lo")) == 0 &&
                     link_conf(&r, in, "sandbox namespace", BB_RUN_SANDBOX_IF, &e->sandbox4,
                               &e->sandbox6) == 0 &&
                     routes(&r, in, "sandbox namespace", BB_RUN_SANDBOX_IF, &e->gw_cli4,
                            &e->gw_cli6) == 0
                 ? 0
                 : -1;
    bb_rtnl_close(&r);
    return rc;
}

/* ---- the outer side ---- */

static int call_inside(int fd, int (*fn)(void *), struct inside *in, const char *what)
{
    int rc = bb_netns_call(fd, fn, in);
    if (rc > 0) /* an errno: the namespace itself failed us */
        bb_diag_add(in->diag, BB_DIAG_ERROR, "botbox run: entering the %s namespace: %s", what,
                    strerror(rc));
    return rc == 0 ? 0 : -1;
}

static int make_links(struct bb_run_net *n, struct inside *in)
{
    struct bb_rtnl r;
    if (say(in->diag, "outer namespace", "opening", "rtnetlink", bb_rtnl_open(&r)) != 0)
        return -1;
    int rc = -1;
    /* Link B: both ends go straight into their namespaces. */
    if (say(in->diag, "outer namespace", "creating veth", BB_RUN_GW_CLIENT,
            bb_link_veth(&r, BB_RUN_GW_CLIENT, n->gw_fd, BB_RUN_SANDBOX_IF, n->sandbox_fd)) != 0)
        goto out;
    if (!n->flows) {
        rc = 0;
        goto out;
    }
    if (say(in->diag, "outer namespace", "creating veth", n->outer_if,
            bb_link_veth(&r, n->outer_if, -1, BB_RUN_GW_UPLINK, n->gw_fd)) != 0)
        goto out;
    n->have_link = true;
    rc = link_conf(&r, in, "outer namespace", n->outer_if, &n->ends.outer4, &n->ends.outer6);
out:
    bb_rtnl_close(&r);
    return rc;
}

static bool has_flows(const struct bb_config *cfg, int family)
{
    for (size_t i = 0; i < cfg->egress.nflows; i++)
        if (cfg->egress.flows[i].cidr.family == family)
            return true;
    return false;
}

/* flows traffic is forwarded by the outer namespace too: forwarding on,
 * only when needed, remembered so it is switched back off. */
static int outer_forwarding(struct bb_run_net *n, const struct bb_config *cfg, struct bb_diag *diag)
{
    static const char *const paths[2] = {FWD4, FWD6};
    static const int families[2] = {AF_INET, AF_INET6};
    for (int i = 0; i < 2; i++) {
        char now[8];
        if (!has_flows(cfg, families[i]) || (i == 1 && !n->ipv6))
            continue;
        if (bb_sysctl_read(paths[i], now, sizeof(now)) == 0 && now[0] == '1')
            continue;
        if (say(diag, "outer namespace", "writing", paths[i], bb_sysctl_write(paths[i], "1")) != 0)
            return -1;
        n->forward_set[i] = true;
    }
    return 0;
}

static int outer_masq(struct bb_run_net *n, struct bb_diag *diag)
{
    if (bb_nft_socket(&n->masq, diag) != 0)
        return -1;
    struct bb_ruleset *rs = bb_ruleset_build_masq(n->table, NFT_TABLE_F_OWNER, n->outer_if, NULL);
    int rc = rs != NULL ? bb_nft_send_on(n->masq, rs, diag) : -1;
    bb_ruleset_free(rs);
    return rc;
}

int bb_run_net_up(struct bb_run_net *n, const struct bb_config *cfg,
                  const struct bb_run_ranges *ranges, struct bb_diag *diag)
{
    *n = (struct bb_run_net){
        .pid = getpid(), .slot_fd = -1, .outer_fd = -1, .gw_fd = -1, .sandbox_fd = -1};
    n->ipv6 = cfg->enable_ipv6;
    n->flows = cfg->egress.nflows > 0;
    snprintf(n->sandbox_ns, sizeof(n->sandbox_ns), BB_RUN_NETNS_PREFIX "%d", (int)n->pid);
    snprintf(n->gw_ns, sizeof(n->gw_ns), BB_RUN_NETNS_PREFIX "%d-gw", (int)n->pid);
    snprintf(n->outer_if, sizeof(n->outer_if), BB_RUN_OUTER_PREFIX "%d", (int)n->pid);
    snprintf(n->table, sizeof(n->table), BB_RUN_TABLE_PREFIX "%d", (int)n->pid);
    struct inside in = {.n = n, .cfg = cfg, .diag = diag};
    int err;
    if (take_slot(n, ranges) != 0) {
        bb_diag_add(diag, BB_DIAG_ERROR, "botbox run: no free address slot in the ranges: %s",
                    strerror(errno));
        return -1;
    }
    bb_run_ends(ranges, n->slot, &n->ends);
    if ((n->outer_fd = bb_netns_self()) < 0)
        err = errno;
    else if ((err = bb_netns_create(n->gw_ns, &n->gw_fd)) == 0)
        err = bb_netns_create(n->sandbox_ns, &n->sandbox_fd);
    if (err != 0) {
        bb_diag_add(diag, BB_DIAG_ERROR, "botbox run: creating network namespaces: %s%s",
                    strerror(err), err == EPERM ? " (botbox run needs root)" : "");
        goto fail;
    }
    if (make_links(n, &in) != 0 || call_inside(n->gw_fd, gw_inside, &in, "gateway") != 0 ||
        (n->flows && (outer_masq(n, diag) != 0 || outer_forwarding(n, cfg, diag) != 0)))
        goto fail;
    return 0;
fail:
    bb_run_net_down(n);
    return -1;
}

int bb_run_net_finish(struct bb_run_net *n, const struct bb_config *cfg, struct bb_diag *diag)
{
    struct inside in = {.n = n, .cfg = cfg, .diag = diag};
    if (call_inside(n->gw_fd, gw_ruleset, &in, "gateway") != 0 ||
        call_inside(n->sandbox_fd, sandbox_inside, &in, "sandbox") != 0)
        return -1;
    return 0;
}

/* ---- teardown ---- */

/* Another run still alive (in any outer namespace) may need forwarding. */
static bool other_runs(pid_t self)
{
    DIR *d = opendir(BB_NETNS_DIR);
    struct dirent *e;
    bool found = false;
    while (d != NULL && !found && (e = readdir(d)) != NULL) {
        int pid;
        if (sscanf(e->d_name, BB_RUN_NETNS_PREFIX "%d", &pid) == 1 && pid != self &&
            (kill(pid, 0) == 0 || errno == EPERM))
            found = true;
    }
    if (d != NULL)
        closedir(d);
    return found;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

void bb_run_net_down(struct bb_run_net *n)
{
    if (n->masq != NULL) /* the kernel drops the table it owns */
        mnl_socket_close(n->masq);
    n->masq = NULL;
    if (n->have_link) { /* synchronously: the peer in the gateway goes with it */
        struct bb_rtnl r;
        if (bb_rtnl_open(&r) == 0) {
            bb_link_del(&r, n->outer_if);
            bb_rtnl_close(&r);
        }
        n->have_link = false;
    }
    if (n->gw_fd >= 0)
        bb_netns_forget(n->gw_ns);
    if (n->sandbox_fd >= 0)
        bb_netns_forget(n->sandbox_ns);
    close_fd(&n->gw_fd);
    close_fd(&n->sandbox_fd);
    close_fd(&n->outer_fd);
    if ((n->forward_set[0] || n->forward_set[1]) && !other_runs(n->pid)) {
        if (n->forward_set[0])
            bb_sysctl_write(FWD4, "0");
        if (n->forward_set[1])
            bb_sysctl_write(FWD6, "0");
    }
    close_fd(&n->slot_fd);
}

void bb_run_net_gc(void)
{
    DIR *d = opendir(BB_NETNS_DIR);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        int pid;
        if (sscanf(e->d_name, BB_RUN_NETNS_PREFIX "%d", &pid) == 1 && pid > 0 &&
            kill(pid, 0) != 0 && errno == ESRCH)
            bb_netns_forget(e->d_name);
    }
    if (d != NULL)
        closedir(d);
}
