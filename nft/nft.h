/*
 * `botbox nft`: install, show and remove botbox's steering in the current
 * network namespace. Owns exactly table `inet botbox` plus the policy
 * routing of route.h; everything else (other tables, other rules) is left
 * as it is.
 *
 * apply = policy routing first (harmless alone: only botbox's rules set the
 * mark), then one atomic nftables transaction that replaces the table.
 * The transaction uses the native queue expression and, when the kernel
 * answers ENOENT for it (no CONFIG_NFT_QUEUE), is rebuilt with the compat
 * NFQUEUE target and sent again. A refused transaction changes nothing: the
 * previous ruleset stays in place.
 *
 * Error convention: 0 / -1, with every reason in diag (kernel refusals name
 * the object and the config line it came from).
 */
#ifndef BB_NFT_H
#define BB_NFT_H

#include "nft/ruleset.h"

#include <stdio.h>

struct bb_diag;

/* What apply did, for the summary line. */
struct bb_nft_report {
    enum bb_nft_queue queue; /* the form the kernel accepted */
    size_t chains, rules, elements;
    int attempts; /* 2 when the native queue was refused */
};

int bb_nft_apply(const struct bb_config *cfg, struct bb_nft_report *report, struct bb_diag *diag);

/* The same, trying the queue form `first` first. The compat form works on
 * every kernel that took it once (botbox run remembers that, and skips a
 * refused native attempt on every run: about 12 ms here). */
int bb_nft_apply_as(const struct bb_config *cfg, enum bb_nft_queue first,
                    struct bb_nft_report *report, struct bb_diag *diag);

/* Removes table inet botbox and the policy routing; nothing else. */
int bb_nft_flush(struct bb_diag *diag);

/* Prints table inet botbox (same notation as bb_ruleset_render) and the
 * policy routing state. */
int bb_nft_show(FILE *out, struct bb_diag *diag);

/* Sends an already built ruleset as one replacing transaction; used by apply
 * and by tests that feed it a deliberately broken ruleset. cfg names config
 * lines in errors. Returns 0, or -1 with *enoent_queue set when the only
 * problem was an unsupported native queue expression. */
int bb_nft_send(const struct bb_ruleset *rs, const struct bb_config *cfg, int *enoent_queue,
                struct bb_diag *diag);

/* Sends rs (whose table is its own, e.g. bb_ruleset_build_masq's) as one
 * replacing transaction over nl, which the caller keeps: a table with
 * NFT_TABLE_F_OWNER belongs to that socket and the kernel removes it when
 * the socket closes, also when the process dies. */
struct mnl_socket;
int bb_nft_send_on(struct mnl_socket *nl, const struct bb_ruleset *rs, struct bb_diag *diag);

/* Opens a NETLINK_NETFILTER socket in the current network namespace. */
int bb_nft_socket(struct mnl_socket **out, struct bb_diag *diag);

#endif
