/*
 * Ruleset builder: the pure half of `botbox nft`. Turns a config (with its
 * environment overrides already applied) into the ordered objects of table
 * `inet botbox`: sets, chains and rules, each libnftnl object tagged with
 * what it is for and which config value it came from, so that a kernel
 * refusal can be traced back to a config line. Nothing here talks to the
 * kernel (see nft.h) and the output is deterministic, which is what the
 * golden tests compare.
 *
 * The shapes (docs/steering.md):
 *   sidecar  steer TCP 80/443 of every uid but proxy_uid to the loopback
 *            listeners (output mark + policy routing + prerouting tproxy),
 *            redirect DNS (output nat), and in postrouting accept
 *            loopback/proxy_uid/established and queue the rest;
 *   gateway  the same for packets arriving on gateway.client_interfaces, on
 *            prerouting, input and forward.
 *
 * Error convention: bb_ruleset_build returns NULL only on out-of-memory.
 */
#ifndef BB_RULESET_H
#define BB_RULESET_H

#include "policy/config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BB_NFT_TABLE         "botbox"    /* the one table botbox owns (family inet) */
#define BB_NFT_MARK          0x6262u     /* packet mark of steered connections */
#define BB_NFT_MARK_INVALID  0x6263u     /* set on a conntrack-invalid packet it queues */
#define BB_NFT_MARK_SPOOF    0x6264u     /* set on a tenant's address from another interface */
#define BB_NFT_CT_PROXY      0x40000000u /* ct mark bit: a flow proxy_uid opened */
#define BB_NFT_ROUTE_TABLE   25186u      /* policy-routing table (0x6262) */
#define BB_NFT_RULE_PRIORITY 100u        /* pref of the fwmark rule (fixed: EEXIST = present) */
#define BB_NFT_QUEUE_NUM     25186u      /* NFQUEUE number the verdict thread binds */
#define BB_NFT_PRIO_TENANT   (-310)      /* tenants' anti-spoofing: before everything else */
#define BB_NFT_PRIO_RAW      (-300)      /* notrack of steered connections (gateway) */
#define BB_NFT_PRIO_MANGLE   (-150)      /* tproxy and marks */
#define BB_NFT_PRIO_DSTNAT   (-100)      /* DNS redirect */
#define BB_NFT_PRIO_FILTER   0           /* accept / queue */
#define BB_NFT_PRIO_SRCNAT   100         /* botbox run's masquerade */

/* How "queue to userspace" is expressed: the native nft expression, or the
 * xtables NFQUEUE target through nft_compat (kernels without
 * CONFIG_NFT_QUEUE, like this project's CI). Never with a bypass flag: with
 * nobody reading the queue the kernel drops, so a dead daemon fails closed. */
enum bb_nft_queue { BB_NFT_QUEUE_NATIVE, BB_NFT_QUEUE_COMPAT };

struct bb_ruleset;

struct bb_ruleset *bb_ruleset_build(const struct bb_config *cfg, enum bb_nft_queue queue);
void bb_ruleset_free(struct bb_ruleset *rs);

/* Writes the ruleset as text: one block per object, expressions in the
 * `nft --debug=netlink` notation. Kernel dumps render the same way (nft.h),
 * so a built ruleset and an applied one can be compared line by line. */
void bb_ruleset_render(const struct bb_ruleset *rs, FILE *out);

/* `botbox run`'s NAT: table inet `table` (with NFT_TABLE_F_* flags) whose
 * one rule masquerades what arrives on iif and leaves by oif (NULL: by any
 * other interface). NULL on out-of-memory. */
struct bb_ruleset *bb_ruleset_build_masq(const char *table, uint32_t flags, const char *iif,
                                         const char *oif);

/* TCP ports steered to the proxy for this config: 80, plus 443 when
 * interception is enabled or a rule is tls: passthrough. */
size_t bb_ruleset_steered_ports(const struct bb_config *cfg, uint16_t ports[2]);

#endif
