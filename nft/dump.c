/*
 * `botbox nft show`: reads table inet botbox back from the kernel into a
 * ruleset (the same object model the builder produces) and renders it with
 * bb_ruleset_render, then prints the policy-routing state. What the kernel
 * holds and what the builder meant can therefore be compared line by line.
 */
#include "nft/nft.h"

#include "common/diag.h"
#include "nft/nft_int.h"
#include "nft/route.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DUMP_BUF (1 << 16)

struct dumper {
    struct mnl_socket *nl;
    uint32_t seq, portid;
    struct bb_ruleset *rs;
    int oom;
};

/* Sends one request built by build(nlh, arg) and feeds every answer to cb. */
static int request(struct dumper *d, uint16_t type, uint16_t flags,
                   void (*build)(struct nlmsghdr *, void *), void *arg, mnl_cb_t cb, void *data)
{
    static char buf[DUMP_BUF];
    struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, flags, ++d->seq);
    if (build != NULL)
        build(nlh, arg);
    if (mnl_socket_sendto(d->nl, nlh, nlh->nlmsg_len) < 0)
        return -1;
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(d->nl, buf, sizeof(buf));
        if (n < 0)
            return -1;
        int rc = mnl_cb_run(buf, (size_t)n, d->seq, d->portid, cb, data);
        if (rc <= MNL_CB_STOP)
            return rc < 0 ? -1 : 0;
    }
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
    struct nftnl_table *t = nftnl_table_alloc();
    if (t != NULL && nftnl_table_nlmsg_parse(nlh, t) == 0 &&
        strcmp(nftnl_table_get_str(t, NFTNL_TABLE_NAME), BB_NFT_TABLE) == 0 &&
        nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY) == NFPROTO_INET) {
        struct dumper *d = data;
        struct bb_nft_obj *o = bb_ruleset_add(d->rs, BB_NFT_OBJ_TABLE);
        if (o != NULL) {
            o->table = t;
            return MNL_CB_OK;
        }
    }
    if (t != NULL)
        nftnl_table_free(t);
    return MNL_CB_OK;
}

static void put_table_attr(struct nlmsghdr *nlh, void *arg)
{
    (void)arg;
    mnl_attr_put_strz(nlh, NFTA_SET_TABLE, BB_NFT_TABLE); /* same id for chains and rules */
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
    struct dumper *d = data;
    struct nftnl_set *s = nftnl_set_alloc();
    struct bb_nft_obj *o = NULL;
    if (s != NULL && nftnl_set_nlmsg_parse(nlh, s) == 0 &&
        (o = bb_ruleset_add(d->rs, BB_NFT_OBJ_SET)) != NULL) {
        o->set = s;
        return MNL_CB_OK;
    }
    if (s != NULL)
        nftnl_set_free(s);
    d->oom = 1;
    return MNL_CB_OK;
}

static void put_set_ref(struct nlmsghdr *nlh, void *arg)
{
    nftnl_set_elems_nlmsg_build_payload(nlh, arg);
}

static int elem_cb(const struct nlmsghdr *nlh, void *data)
{
    nftnl_set_elems_nlmsg_parse(nlh, data);
    return MNL_CB_OK;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
    struct dumper *d = data;
    struct nftnl_chain *c = nftnl_chain_alloc();
    if (c != NULL && nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
        strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), BB_NFT_TABLE) == 0) {
        struct bb_nft_obj *o = bb_ruleset_add(d->rs, BB_NFT_OBJ_CHAIN);
        if (o != NULL) {
            o->chain = c;
            return MNL_CB_OK;
        }
    }
    if (c != NULL)
        nftnl_chain_free(c);
    return MNL_CB_OK;
}

struct rules {
    struct nftnl_rule **v;
    size_t n;
};

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
    struct rules *rl = data;
    struct nftnl_rule *r = nftnl_rule_alloc();
    struct nftnl_rule **v = realloc(rl->v, (rl->n + 1) * sizeof(*v));
    if (r == NULL || v == NULL || nftnl_rule_nlmsg_parse(nlh, r) != 0 ||
        strcmp(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), BB_NFT_TABLE) != 0) {
        if (v != NULL)
            rl->v = v;
        if (r != NULL)
            nftnl_rule_free(r);
        return MNL_CB_OK;
    }
    rl->v = v;
    rl->v[rl->n++] = r;
    return MNL_CB_OK;
}

/* Every set's elements, as one ELEM object following its set. */
static int dump_sets(struct dumper *d)
{
    size_t first = d->rs->n;
    if (request(d, NFT_MSG_GETSET, NLM_F_DUMP, put_table_attr, NULL, set_cb, d) != 0)
        return -1;
    size_t last = d->rs->n;
    for (size_t i = first; i < last; i++) {
        struct nftnl_set *ref = nftnl_set_alloc();
        struct bb_nft_obj *o = bb_ruleset_add(d->rs, BB_NFT_OBJ_ELEM);
        if (ref == NULL || o == NULL) {
            if (ref != NULL)
                nftnl_set_free(ref);
            return -1;
        }
        const struct nftnl_set *s = d->rs->objs[i].set;
        nftnl_set_set_str(ref, NFTNL_SET_TABLE, BB_NFT_TABLE);
        nftnl_set_set_str(ref, NFTNL_SET_NAME, nftnl_set_get_str(s, NFTNL_SET_NAME));
        nftnl_set_set_u32(ref, NFTNL_SET_FAMILY, NFPROTO_INET);
        o->set = ref;
        if (request(d, NFT_MSG_GETSETELEM, NLM_F_DUMP, put_set_ref, ref, elem_cb, ref) != 0)
            return -1;
    }
    return 0;
}

/* Chains in kernel order, each followed by its rules in order. */
static int dump_chains(struct dumper *d)
{
    struct rules rl = {0};
    size_t first = d->rs->n;
    int rc = -1;
    if (request(d, NFT_MSG_GETCHAIN, NLM_F_DUMP, NULL, NULL, chain_cb, d) != 0 ||
        request(d, NFT_MSG_GETRULE, NLM_F_DUMP, put_table_attr, NULL, rule_cb, &rl) != 0)
        goto out;
    size_t last = d->rs->n;
    for (size_t i = first; i < last; i++) {
        const char *chain = nftnl_chain_get_str(d->rs->objs[i].chain, NFTNL_CHAIN_NAME);
        struct bb_nft_obj *o = bb_ruleset_add(d->rs, BB_NFT_OBJ_CHAIN);
        if (o == NULL)
            goto out;
        o->chain = d->rs->objs[i].chain; /* moved behind the previous chain's rules */
        d->rs->objs[i].chain = NULL;
        for (size_t j = 0; j < rl.n; j++) {
            if (rl.v[j] == NULL || strcmp(nftnl_rule_get_str(rl.v[j], NFTNL_RULE_CHAIN), chain))
                continue;
            if ((o = bb_ruleset_add(d->rs, BB_NFT_OBJ_RULE)) == NULL)
                goto out;
            o->rule = rl.v[j];
            rl.v[j] = NULL;
        }
    }
    /* The placeholders left by the move are dropped from the view. */
    size_t w = first;
    for (size_t i = first; i < d->rs->n; i++)
        if (!(d->rs->objs[i].kind == BB_NFT_OBJ_CHAIN && d->rs->objs[i].chain == NULL))
            d->rs->objs[w++] = d->rs->objs[i];
    d->rs->n = w;
    rc = 0;
out:
    for (size_t j = 0; j < rl.n; j++)
        if (rl.v[j] != NULL)
            nftnl_rule_free(rl.v[j]);
    free(rl.v);
    return rc;
}

int bb_nft_show(FILE *out, struct bb_diag *diag)
{
    struct dumper d = {0};
    int rc = -1;
    if (bb_nfnl_open(&d.nl, diag) != 0)
        return -1;
    d.portid = mnl_socket_get_portid(d.nl);
    d.seq = (uint32_t)time(NULL);
    if ((d.rs = bb_ruleset_new(BB_NFT_QUEUE_COMPAT)) == NULL)
        goto out;
    if (request(&d, NFT_MSG_GETTABLE, NLM_F_DUMP, NULL, NULL, table_cb, &d) != 0)
        goto fail;
    if (d.rs->n == 0) {
        fprintf(out, "table inet %s: absent\n", BB_NFT_TABLE);
    } else {
        if (dump_sets(&d) != 0 || dump_chains(&d) != 0 || d.oom)
            goto fail;
        bb_ruleset_render(d.rs, out);
    }
    rc = bb_route_show(out, diag) < 0 ? -1 : 0;
    goto out;
fail:
    bb_diag_add(diag, BB_DIAG_ERROR, "nft show: reading table inet %s: %s", BB_NFT_TABLE,
                strerror(errno));
out:
    bb_ruleset_free(d.rs);
    mnl_socket_close(d.nl);
    return rc;
}
