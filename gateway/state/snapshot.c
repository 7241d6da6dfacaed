/*
 * Snapshot reference counting (see snapshot.h).
 */
#include "gateway/state/snapshot.h"

#include "gateway/cred/creds.h"
#include "gateway/io/loop.h"
#include "gateway/state/secrets.h"
#include "policy/config.h"
#include "policy/tenant_match.h"

#include <netinet/in.h>
#include <stdlib.h>

struct bb_cfgref {
    atomic_uint refs;
    const struct bb_config *cfg;
};

struct bb_cfgref *bb_cfgref_new(const struct bb_config *cfg)
{
    struct bb_cfgref *c = malloc(sizeof(*c));
    if (c == NULL)
        return NULL;
    atomic_init(&c->refs, 1);
    c->cfg = cfg;
    return c;
}

void bb_cfgref_unref(struct bb_cfgref *c)
{
    if (c != NULL && atomic_fetch_sub(&c->refs, 1) == 1) {
        bb_config_free(c->cfg);
        free(c);
    }
}

struct bb_snapshot *bb_snapshot_new(struct bb_cfgref *cfgref, struct bb_secrets *secrets,
                                    uint64_t generation)
{
    struct bb_snapshot *s = malloc(sizeof(*s));
    if (s == NULL) {
        bb_secrets_free(secrets);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    atomic_fetch_add(&cfgref->refs, 1);
    s->cfgref = cfgref;
    s->cfg = cfgref->cfg;
    s->secrets = secrets;
    s->generation = generation;
    s->labels = NULL;
    s->creds = NULL;
    s->owner = s->tenants = NULL;
    s->ntenants = 0;
    s->tenant_label = 0; /* BB_TLABEL_UNMATCHED */
    s->conns = NULL;
    return s;
}

struct bb_snapshot *bb_snapshot_ref(struct bb_snapshot *s)
{
    struct bb_snapshot *o = s->owner != NULL ? s->owner : s;
    atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
    return s;
}

/* A part's or a snapshot's own holdings. */
static void release(struct bb_snapshot *s)
{
    bb_creds_free((struct bb_creds *)s->creds); /* points into the secrets: first */
    bb_secrets_free((struct bb_secrets *)s->secrets);
    free(s->labels);
}

void bb_snapshot_unref(struct bb_snapshot *s)
{
    if (s != NULL && s->owner != NULL)
        s = s->owner;
    if (s == NULL || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < s->ntenants; i++)
        release(&s->tenants[i]);
    free(s->tenants);
    release(s);
    bb_cfgref_unref(s->cfgref);
    free(s);
}

int bb_snapshot_add_tenants(struct bb_snapshot *s, struct bb_secrets **secrets, size_t n)
{
    s->tenants = calloc(n ? n : 1, sizeof(*s->tenants));
    if (s->tenants == NULL || n != s->cfg->tenants.n) {
        for (size_t i = 0; i < n; i++)
            bb_secrets_free(secrets[i]);
        free(s->tenants);
        s->tenants = NULL;
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        s->tenants[i] = (struct bb_snapshot){.owner = s,
                                             .generation = s->generation,
                                             .cfg = s->cfg->tenants.list[i],
                                             .secrets = secrets[i],
                                             .cfgref = s->cfgref};
    s->ntenants = n;
    return 0;
}

struct bb_snapshot *bb_snapshot_for(struct bb_snapshot *s, int family, const uint8_t *addr)
{
    const struct bb_config *c = s->cfg;
    if (c->tenants.n == 0)
        return s;
    long t = bb_tmatch_find(c->tmatch, 0, family, addr);
    if (t < 0)
        t = c->unmatched_index;
    return t >= 0 && (size_t)t < s->ntenants ? &s->tenants[t] : NULL;
}

struct bb_snapshot *bb_snapshot_for_peer(struct bb_snapshot *s, const struct sockaddr_storage *peer)
{
    if (s->cfg->tenants.n == 0)
        return s;
    if (peer->ss_family == AF_INET)
        return bb_snapshot_for(s, AF_INET,
                               (const uint8_t *)&((const struct sockaddr_in *)peer)->sin_addr);
    if (peer->ss_family != AF_INET6)
        return NULL;
    const struct in6_addr *a = &((const struct sockaddr_in6 *)peer)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a))
        return bb_snapshot_for(s, AF_INET, a->s6_addr + 12);
    return bb_snapshot_for(s, AF_INET6, a->s6_addr);
}

const char *bb_snapshot_tenant(const struct bb_snapshot *s)
{
    return s->owner != NULL ? s->cfg->tenant_name : NULL;
}

struct handover {
    struct bb_snapshot **slot;
    struct bb_snapshot *snap;
};

/* On the receiving thread: work in flight keeps the snapshot it pinned;
 * new work gets this one. */
static void take_over(struct bb_loop *l, void *arg)
{
    (void)l;
    struct handover *h = arg;
    struct bb_snapshot *old = *h->slot;
    *h->slot = h->snap;
    bb_snapshot_unref(old);
    free(h);
}

void bb_snapshot_post(struct bb_loop *l, struct bb_snapshot **slot, struct bb_snapshot *snap)
{
    struct handover *h = malloc(sizeof(*h));
    if (h != NULL)
        *h = (struct handover){slot, snap}; /* filled before posting: it may run at once */
    if (h == NULL || bb_loop_post(l, take_over, h) != 0) {
        free(h);
        bb_snapshot_unref(snap); /* XXX: out of memory: the old snapshot stays */
    }
}
