/*
 * nft/ internals shared by the builder, the renderer, the kernel I/O and
 * the unit tests (no other module includes this).
 *
 * A ruleset is an ordered array of objects; the order is the order of the
 * netlink batch (sets before the rules that look them up). Each object keeps
 * a short description and, when it comes from a specific config value, a
 * pointer to that value (and for list elements their position), so errors
 * can say "botbox.yaml:4:26: gateway.client_interfaces[1]: ...".
 */
#ifndef BB_NFT_INT_H
#define BB_NFT_INT_H

#include "nft/ruleset.h"

struct bb_diag;

/* glibc's netinet/in.h must precede any linux/ uapi header that pulls in
 * linux/in.h, or both define struct in_addr. */
#include <netinet/in.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <net/if.h>
#include <stdbool.h>

#define BB_NFT_WHAT_MAX 160

enum bb_nft_kind {
    BB_NFT_OBJ_TABLE,
    BB_NFT_OBJ_SET,
    BB_NFT_OBJ_ELEM,
    BB_NFT_OBJ_CHAIN,
    BB_NFT_OBJ_RULE
};

struct bb_nft_obj {
    enum bb_nft_kind kind;
    struct nftnl_table *table;
    struct nftnl_set *set; /* SET: the set; ELEM: a set carrying one element */
    struct nftnl_chain *chain;
    struct nftnl_rule *rule;
    char what[BB_NFT_WHAT_MAX]; /* "rule 'tproxy tcp/80 to 127.0.0.1:8080' in chain steer_tproxy" */
    const void *field;          /* config value it derives from, or NULL */
    char path[64];              /* key path for field (or for pos) */
    struct bb_srcpos pos;       /* explicit position (list elements), line 0 if none */
    bool uses_queue;            /* holds the queue expression (fallback trigger) */
};

struct bb_ruleset {
    char table[32];       /* BB_NFT_TABLE, or botbox run's own table */
    uint32_t table_flags; /* NFT_TABLE_F_* */
    struct bb_nft_obj *objs;
    size_t n, cap;
    enum bb_nft_queue queue;
    int oom;
};

/* Appends a zeroed object; NULL (and rs->oom set) on out-of-memory. */
struct bb_nft_obj *bb_ruleset_add(struct bb_ruleset *rs, enum bb_nft_kind kind);

/* An empty ruleset (used by dumps); NULL on out-of-memory. */
struct bb_ruleset *bb_ruleset_new(enum bb_nft_queue queue);

/* Appends the table object (always the first one); sets rs->oom on failure. */
void bb_ruleset_add_table(struct bb_ruleset *rs);

/* "prerouting", "input", ... for a NF_INET_* hook number. */
const char *bb_nft_hook_name(uint32_t hook);

/* ---- netlink (txn.c, dump.c) ---- */

struct mnl_socket;
/* A bound NETLINK_NETFILTER socket with short (capped) extended acks. */
int bb_nfnl_open(struct mnl_socket **out, struct bb_diag *diag);

/* One refused message of a transaction: the object index it came from
 * (negative for the batch's own messages) and the errno. */
struct bb_nft_refusal {
    int32_t step;
    int err;
};

/* The native-to-compat fallback trigger: rs used the native queue
 * expression and every refusal is ENOENT on a rule holding it (a kernel
 * without nft_queue aborts the whole batch that way). */
bool bb_nft_only_queue_refused(const struct bb_ruleset *rs, const struct bb_nft_refusal *r,
                               size_t n);

/* ---- rule building (build_expr.c): sticky-error helpers ---- */

struct bb_rb {
    struct nftnl_rule *rule;
    int err;
};

void bb_rb_meta_load(struct bb_rb *b, uint32_t key, uint32_t dreg);
void bb_rb_meta_set(struct bb_rb *b, uint32_t key, uint32_t sreg);
void bb_rb_cmp(struct bb_rb *b, uint32_t op, uint32_t sreg, const void *data, uint32_t len);
void bb_rb_payload(struct bb_rb *b, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg);
void bb_rb_lookup(struct bb_rb *b, uint32_t sreg, const char *set, bool invert);
void bb_rb_imm(struct bb_rb *b, uint32_t dreg, const void *data, uint32_t len);
void bb_rb_verdict(struct bb_rb *b, int verdict);
void bb_rb_tproxy(struct bb_rb *b, int nfproto, uint32_t areg, uint32_t preg);
void bb_rb_redir(struct bb_rb *b, uint32_t preg);
void bb_rb_queue(struct bb_rb *b, enum bb_nft_queue mode, uint16_t num);
void bb_rb_masq(struct bb_rb *b);
void bb_rb_notrack(struct bb_rb *b);
void bb_rb_counter(struct bb_rb *b);
/* "tcp flags ! syn" (l4proto already matched) */
void bb_rb_not_syn(struct bb_rb *b);
/* "socket transparent 1": a socket with IP_TRANSPARENT owns the packet */
void bb_rb_socket_transparent(struct bb_rb *b);

/* Composites (exactly what nft 1.0.6 emits for the same statement). */
void bb_rb_ct_bits(struct bb_rb *b, uint32_t key, uint32_t mask);    /* ct KEY & mask != 0 */
void bb_rb_ct_no_bits(struct bb_rb *b, uint32_t key, uint32_t mask); /* ct KEY & mask == 0 */
void bb_rb_ct_original(struct bb_rb *b);                             /* ct direction original */
void bb_rb_ct_mark_or(struct bb_rb *b, uint32_t bits);              /* ct mark set ct mark | bits */
void bb_rb_l4proto(struct bb_rb *b, uint8_t proto);                 /* meta l4proto P */
void bb_rb_nfproto(struct bb_rb *b, uint8_t nfproto);               /* meta nfproto F */
void bb_rb_dport(struct bb_rb *b, uint8_t proto, uint16_t port);    /* P dport N */
void bb_rb_ifname(struct bb_rb *b, uint32_t key, const char *name); /* [io]ifname "x" */
void bb_rb_ifname_op(struct bb_rb *b, uint32_t key, uint32_t op, const char *name);
void bb_rb_u32(struct bb_rb *b, uint32_t key, uint32_t v); /* meta KEY == v (host order) */

/* ---- the builder's core (build.c), shared with build_tenant.c ---- */

struct nftnl_set;

/* Where rules are being added: the ruleset, its config, the chain. */
struct bb_nb {
    struct bb_ruleset *rs;
    const struct bb_config *cfg;
    const char *chain;
};

void bb_nb_describe(struct bb_nft_obj *o, const void *field, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A set of keys of `len` bytes; NULL (rs->oom set) on out-of-memory. */
struct nftnl_set *bb_nb_add_set(struct bb_ruleset *rs, const char *name, uint32_t type,
                                uint32_t len, uint32_t byteorder);
/* One element per object (and per netlink message), so that a refused
 * element is named precisely; key_end: an interval set's last key. */
struct bb_nft_obj *bb_nb_add_elem(struct bb_ruleset *rs, const char *set, const void *key,
                                  uint32_t len);
/* flags: NFTNL_SET_ELEM_FLAGS (NFT_SET_ELEM_INTERVAL_END) */
struct bb_nft_obj *bb_nb_add_elem_flags(struct bb_ruleset *rs, const char *set, const void *key,
                                        uint32_t len, uint32_t flags);
struct bb_nft_obj *bb_nb_add_range(struct bb_ruleset *rs, const char *set, const void *key,
                                   const void *key_end, uint32_t len);
void bb_nb_add_chain(struct bb_ruleset *rs, const char *name, const char *type, uint32_t hook,
                     int32_t prio);
/* A rule in the current chain, commented (what `nft list` shows and what
 * errors call it); bb_nb_end closes it, bb_nb_end_queue with the queue. */
struct bb_rb bb_nb_begin(struct bb_nb *rc, const void *field, const char *path,
                         const char *comment);
void bb_nb_end(struct bb_nb *rc, struct bb_rb *b);
void bb_nb_end_queue(struct bb_nb *rc, struct bb_rb *b);
/* Return unless the packet comes from a client interface. */
void bb_nb_not_client(struct bb_nb *rc);
/* Whether a client interface is a pattern ("cali*"). */
bool bb_nb_iface_patterns(const struct bb_config *cfg);
/* The keys of a client interface name or pattern: its first name, and one
 * past its last (an interval's exclusive end); true when that end would
 * run past every name (there is none). */
bool bb_nb_iface_range(const char *name, uint8_t first[IFNAMSIZ], uint8_t end[IFNAMSIZ]);

/* The tenants' anti-spoofing chain and sets (build_tenant.c). */
void bb_nb_tenant_guard(struct bb_nb *rc);

#endif
