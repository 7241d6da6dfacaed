/*
 * `botbox run`: the names and addresses of one run, computed from a slot
 * number and the two private ranges (--net4, --net6). Pure functions.
 *
 * A run has three network namespaces (docs/run.md): the outer one (where
 * `botbox run` was started), the gateway's, and the sandbox where CMD runs.
 * Two veth links join them:
 *
 *   outer  bbr<pid> ──link A── host0    [gateway ns]   sandbox0 ──link B── eth0  [sandbox]
 *
 * Link A exists only when the config has `flows` rules: the gateway's own
 * connections leave from the outer namespace directly (its sockets are
 * opened there), so only raw forwarded flows need a path. Without it the
 * gateway namespace routes everything to egress0, one end of a veth pair
 * whose other end stays down: packets still pass the forward hook, where
 * they are queued, audited and dropped, and then go nowhere.
 *
 * Slot s takes 8 IPv4 addresses at range + 8s (two /30s: link A .1 outer,
 * .2 gateway; link B .5 gateway, .6 sandbox) and the /64s 2s and 2s+1 of
 * the IPv6 range (::1 the side nearer the outer namespace, ::2 the other).
 * Only link A's addresses are ever visible outside the run, which is why
 * slots are reserved (run.c locks one per run).
 */
#ifndef BB_RUN_PLAN_H
#define BB_RUN_PLAN_H

#include "policy/cidr.h"

#include <netinet/in.h>
#include <stdint.h>

#define BB_RUN_NET4_DEFAULT    "10.200.0.0/16"
#define BB_RUN_NET6_DEFAULT    "fd62:6f74:626f::/48"
#define BB_RUN_SLOTS_MAX       8192u /* concurrent runs, whatever the ranges allow */
#define BB_RUN_NETNS_PREFIX    "botbox-run-"
#define BB_RUN_OUTER_PREFIX    "bbr"      /* + pid: the outer end of link A */
#define BB_RUN_GW_UPLINK       "host0"    /* gateway's end of link A */
#define BB_RUN_GW_CLIENT       "sandbox0" /* gateway's end of link B: gateway.client_interfaces */
#define BB_RUN_SANDBOX_IF      "eth0"     /* the sandbox's only interface */
#define BB_RUN_GW_NOWHERE      "egress0"  /* default route without flows: a dead end */
#define BB_RUN_GW_NOWHERE_PEER "egress1"
#define BB_RUN_TABLE_PREFIX    "botbox_run_" /* + pid: the outer table (masquerade) */
/* Present when this boot's kernel refused the native queue expression. */
#define BB_RUN_QUEUE_HINT "/run/botbox-run/nft-queue-compat"

struct bb_run_ranges {
    struct bb_cidr v4, v6;
};

struct bb_run_ends {
    struct in_addr outer4, gw_up4, gw_cli4, sandbox4;  /* /30 each link */
    struct in6_addr outer6, gw_up6, gw_cli6, sandbox6; /* /64 each link */
};

#define BB_RUN_PLEN4 30
#define BB_RUN_PLEN6 64

/* Parses a --net4 / --net6 value: a private range (10/8, 172.16/12,
 * 192.168/16, 100.64/10; fc00::/7) with room for at least one slot (/29 or
 * wider, /63 or wider). Returns NULL or the reason. */
const char *bb_run_range4(const char *s, struct bb_cidr *out);
const char *bb_run_range6(const char *s, struct bb_cidr *out);

/* Number of slots the ranges hold (at most BB_RUN_SLOTS_MAX). */
uint32_t bb_run_slots(const struct bb_run_ranges *r);

/* The addresses of slot (< bb_run_slots). */
void bb_run_ends(const struct bb_run_ranges *r, uint32_t slot, struct bb_run_ends *out);

#endif
