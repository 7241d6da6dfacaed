/*
 * The tenants' anti-spoofing (docs/steering.md, "Tenants"): a packet from
 * a client interface whose source address is some tenant's but which did
 * not come in on one of that tenant's interfaces is queued, marked
 * BB_NFT_MARK_SPOOF, for the verdict thread to drop and audit. It runs
 * first, at prerouting before the steering and before conntrack: a forged
 * packet is neither steered, nor redirected to the DNS forwarder, nor
 * tracked. An address no tenant names passes on: it is the unmatched
 * tenant's (or refused) everywhere else, by the address alone.
 *
 * Two interval sets per family:
 *   tenant_claims4/6   every tenant's sources (addresses: an rbtree, each
 *                      range a start and an end element, as nft sends
 *                      them; a concatenation with a whole-range interface
 *                      field would do too, but `nft list` aborts on it);
 *   tenant_sources4/6  (one of its interfaces . the same source), a
 *                      concatenation (the kernel's pipapo).
 * One rule per family: saddr claimed, and (iifname . saddr) not a pair.
 */
#include "nft/nft_int.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define NFT_TYPE_IFNAME    41
#define NFT_TYPE_IPV4_ADDR 7
#define NFT_TYPE_IPV6_ADDR 8
#define NFT_TYPE_BITS      6 /* a concatenation's type: each field's id shifted in */
#define NFT_BYTEORDER_HOST 1
#define NFT_BYTEORDER_BIG  2
#define NFT_KEY_MAX        (IFNAMSIZ + 16)

struct family {
    int af;
    uint8_t nfproto;
    uint32_t type; /* the address's nft datatype */
    uint32_t alen; /* its length in the key (a multiple of 4) */
    uint32_t off;  /* saddr's offset in the network header */
    const char *claims, *sources;
};

static const struct family families[] = {
    {AF_INET, NFPROTO_IPV4, NFT_TYPE_IPV4_ADDR, 4, 12, "tenant_claims4", "tenant_sources4"},
    {AF_INET6, NFPROTO_IPV6, NFT_TYPE_IPV6_ADDR, 16, 8, "tenant_claims6", "tenant_sources6"},
};

static void add_sets(struct bb_ruleset *rs, const struct family *f)
{
    struct nftnl_set *s = bb_nb_add_set(rs, f->claims, f->type, f->alen, NFT_BYTEORDER_BIG);
    if (s != NULL)
        nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
    uint32_t type = NFT_TYPE_IFNAME << NFT_TYPE_BITS | f->type;
    s = bb_nb_add_set(rs, f->sources, type, IFNAMSIZ + f->alen, NFT_BYTEORDER_HOST);
    if (s == NULL)
        return;
    uint8_t fields[] = {IFNAMSIZ, (uint8_t)f->alen};
    nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL | NFT_SET_CONCAT);
    nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields, sizeof(fields));
}

/* The claim on c: its first address, and the one after its last as the
 * interval's end (none when the range runs to the family's last address).
 * Sources are disjoint (the config refuses overlaps), so ends never clash;
 * an end may equal the next range's start, which the rbtree takes. */
static void add_claim(struct bb_nb *rc, const struct family *f, const uint8_t *first,
                      const uint8_t *last, const char *what)
{
    uint8_t end[16];
    memcpy(end, last, f->alen);
    bool carry = true;
    for (uint32_t i = f->alen; carry && i-- > 0;)
        carry = ++end[i] == 0;
    struct bb_nft_obj *o = bb_nb_add_elem(rc->rs, f->claims, first, f->alen);
    if (o != NULL)
        bb_nb_describe(o, NULL, "", "%s in set %s", what, f->claims);
    if (carry)
        return;
    o = bb_nb_add_elem_flags(rc->rs, f->claims, end, f->alen, NFT_SET_ELEM_INTERVAL_END);
    if (o != NULL)
        bb_nb_describe(o, NULL, "", "%s (its end) in set %s", what, f->claims);
}

/* The first and last address of c, after an interface field each. */
static void cidr_range(const struct bb_cidr *c, uint32_t alen, uint8_t *first, uint8_t *last)
{
    for (uint32_t i = 0; i < alen; i++) {
        uint32_t bits = c->prefix > i * 8 ? c->prefix - i * 8 : 0;
        uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
        first[IFNAMSIZ + i] = c->addr[i] & mask;
        last[IFNAMSIZ + i] = (uint8_t)(c->addr[i] | ~mask);
    }
}

static void add_source(struct bb_nb *rc, const struct family *f, const struct bb_config *t,
                       size_t k)
{
    const struct bb_cidr *c = &t->match.sources[k];
    uint8_t first[NFT_KEY_MAX] = {0}, last[NFT_KEY_MAX] = {0};
    cidr_range(c, f->alen, first, last);
    char text[BB_CIDR_TEXT_MAX], what[BB_CIDR_TEXT_MAX + BB_TENANT_NAME_MAX + 32];
    bb_cidr_format(c, text, sizeof(text));
    snprintf(what, sizeof(what), "tenant %s's source %s", t->tenant_name, text);
    add_claim(rc, f, first + IFNAMSIZ, last + IFNAMSIZ, what);
    uint32_t len = IFNAMSIZ + f->alen;
    for (size_t i = 0; i < t->match.nifaces; i++) {
        const char *name = rc->cfg->gateway.client_interfaces[t->match.ifaces[i]];
        uint8_t end[IFNAMSIZ];
        bb_nb_iface_range(name, first, end);
        /* pipapo's ends are inclusive: the pattern's last name */
        memcpy(last, first, IFNAMSIZ);
        if (strchr(name, '*') != NULL)
            memset(last + strlen(name) - 1, 0xff, IFNAMSIZ - (strlen(name) - 1));
        struct bb_nft_obj *o = bb_nb_add_range(rc->rs, f->sources, first, last, len);
        if (o == NULL)
            return;
        bb_nb_describe(o, NULL, "", "%s on %s in set %s", what, name, f->sources);
        o->pos = t->tenant_pos;
    }
}

static void guard_rule(struct bb_nb *rc, const struct family *f)
{
    char comment[128];
    snprintf(comment, sizeof(comment),
             "queue marked (dropped, audited): a tenant's %s source on another interface",
             f->af == AF_INET ? "IPv4" : "IPv6");
    uint32_t mark = BB_NFT_MARK_SPOOF;
    struct bb_rb b = bb_nb_begin(rc, NULL, "tenants", comment);
    bb_rb_nfproto(&b, f->nfproto);
    bb_rb_meta_load(&b, NFT_META_IIFNAME, NFT_REG32_00);
    bb_rb_payload(&b, NFT_PAYLOAD_NETWORK_HEADER, f->off, f->alen, NFT_REG32_04);
    bb_rb_lookup(&b, NFT_REG32_04, f->claims, false);
    bb_rb_lookup(&b, NFT_REG32_00, f->sources, true);
    bb_rb_imm(&b, NFT_REG_1, &mark, sizeof(mark));
    bb_rb_meta_set(&b, NFT_META_MARK, NFT_REG_1);
    bb_nb_end_queue(rc, &b);
}

void bb_nb_tenant_guard(struct bb_nb *rc)
{
    const struct bb_config *c = rc->cfg;
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        const struct family *f = &families[i];
        add_sets(rc->rs, f);
        for (size_t t = 0; t < c->tenants.n; t++)
            for (size_t k = 0; k < c->tenants.list[t]->match.nsources; k++)
                if (c->tenants.list[t]->match.sources[k].family == f->af)
                    add_source(rc, f, c->tenants.list[t], k);
    }
    rc->chain = "tenant_guard";
    bb_nb_add_chain(rc->rs, rc->chain, "filter", NF_INET_PRE_ROUTING, BB_NFT_PRIO_TENANT);
    bb_nb_not_client(rc);
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
        guard_rule(rc, &families[i]);
}
