/*
 * The network of one `botbox run` (layout in run_plan.h): two named
 * namespaces, two veth links, addresses and default routes, the gateway
 * ruleset in the gateway's namespace, and masquerading for `flows`
 * traffic on both hops.
 *
 * Without `flows` rules the outer namespace is not touched at all. With
 * them, three things of a run are visible there: the link bbr<pid>, the
 * table inet botbox_run_<pid> (owned by a netlink socket this process
 * keeps, so the kernel removes it even if botbox run is killed), and
 * forwarding switched on. Everything else lives in namespaces that die
 * with the run.
 *
 * Error convention: 0 / -1 with the reason in diag.
 */
#ifndef BB_RUN_NET_H
#define BB_RUN_NET_H

#include "gateway/run/run_plan.h"
#include "policy/config.h"

#include <stdbool.h>
#include <sys/types.h>

struct bb_diag;
struct mnl_socket;

struct bb_run_net {
    pid_t pid;
    uint32_t slot;
    int slot_fd; /* holds the slot (an abstract socket in the outer namespace) */
    struct bb_run_ends ends;
    bool ipv6;
    bool flows; /* link A and the masquerades exist */
    char sandbox_ns[48], gw_ns[48], outer_if[16], table[32];
    int outer_fd, gw_fd, sandbox_fd; /* namespace descriptors */
    struct mnl_socket *masq;         /* owns the outer table */
    bool have_link;
    bool forward_set[2]; /* we switched ipv4 / ipv6 forwarding on */
};

/* Builds the namespaces, links, addresses and routes for cfg (already
 * loaded for gateway mode with client interface BB_RUN_GW_CLIENT): enough
 * for the gateway to start. On failure, what was built is removed. */
int bb_run_net_up(struct bb_run_net *n, const struct bb_config *cfg,
                  const struct bb_run_ranges *ranges, struct bb_diag *diag);

/* The rest, done while the gateway starts (nothing flows before CMD does):
 * the gateway ruleset and the sandbox's addresses and routes. On failure
 * the caller still owns n (bb_run_net_down). */
int bb_run_net_finish(struct bb_run_net *n, const struct bb_config *cfg, struct bb_diag *diag);

/* Removes everything bb_run_net_up built; safe on a partly built one. */
void bb_run_net_down(struct bb_run_net *n);

/* Names left by runs that were killed (SIGKILL leaves no time to clean
 * up): removed when their process is gone. */
void bb_run_net_gc(void);

#endif
