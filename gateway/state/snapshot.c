/*
 * Snapshot reference counting (see snapshot.h).
 */
#include "gateway/state/snapshot.h"

#include "gateway/cred/creds.h"
#include "gateway/io/loop.h"
#include "gateway/state/secrets.h"
#include "policy/config.h"

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
    return s;
}

struct bb_snapshot *bb_snapshot_ref(struct bb_snapshot *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

void bb_snapshot_unref(struct bb_snapshot *s)
{
    if (s == NULL || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    bb_creds_free((struct bb_creds *)s->creds); /* points into the secrets: first */
    bb_secrets_free((struct bb_secrets *)s->secrets);
    bb_cfgref_unref(s->cfgref);
    free(s->labels);
    free(s);
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
