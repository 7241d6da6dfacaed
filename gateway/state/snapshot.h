/*
 * Snapshots: the one piece of shared mutable state (docs/reference.md §9). A snapshot
 * is an immutable bundle of config and secrets with a reference count.
 * The control thread builds a new one on every reload and hands it to each
 * worker (bb_loop_post); a worker keeps one reference to its current
 * snapshot, and every request pins the snapshot it started with until it
 * ends, so work in flight never sees a half-applied reload. The last
 * reference frees it (secrets wiped).
 *
 * The config inside is itself shared by reference: a secrets reload makes a
 * new snapshot around the same config.
 */
#ifndef BB_SNAPSHOT_H
#define BB_SNAPSHOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bb_config;
struct bb_secrets;
struct bb_cfgref;
struct bb_creds;

struct bb_snapshot {
    atomic_uint refs;
    /* A tenant's part (docs/configuration.md, "Tenants"): its config,
     * secrets, credentials and labels, inside the snapshot `owner`, whose
     * count its references are (a request pinning its tenant's part pins
     * the whole). NULL for a snapshot itself. */
    struct bb_snapshot *owner;
    struct bb_snapshot *tenants; /* cfg->tenants.n parts, or NULL */
    size_t ntenants;
    uint64_t generation;
    const struct bb_config *cfg;
    const struct bb_secrets *secrets;
    struct bb_cfgref *cfgref;
    uint16_t *labels;      /* metrics host label per rule (freed with the snapshot) */
    uint16_t tenant_label; /* a part's tenant's metrics label; BB_TLABEL_UNMATCHED (0) else */
    atomic_uint *conns;    /* a part's tenant's open connections (tenant_conns.h), or NULL */
    /* placeholders and redaction (gateway/cred/creds.h; NULL: the config
     * gives no secret), freed with the snapshot */
    const struct bb_creds *creds;
};

/* A shared handle on a config (frees it with the last reference). */
struct bb_cfgref *bb_cfgref_new(const struct bb_config *cfg);

/* A snapshot of cfgref's config with `secrets` (ownership of secrets passes
 * to the snapshot; cfgref gains a reference). One reference, the caller's.
 * NULL on out-of-memory (secrets then freed). */
struct bb_snapshot *bb_snapshot_new(struct bb_cfgref *cfgref, struct bb_secrets *secrets,
                                    uint64_t generation);

struct bb_snapshot *bb_snapshot_ref(struct bb_snapshot *s);

/* The tenants' parts of s, one per tenant of its config, each taking
 * over secrets[i] (freed on failure too). 0, or -1 on out-of-memory. */
int bb_snapshot_add_tenants(struct bb_snapshot *s, struct bb_secrets **secrets, size_t n);

/* What a client gets: s itself when its config has no tenants, else the
 * part of the tenant whose sources hold (family, addr), else the
 * unmatched_tenant's, else NULL (the client is refused). The address
 * alone decides: the ruleset has already dropped a tenant's address that
 * came in on another interface (docs/configuration.md, "Tenants"). No
 * reference is taken. */
struct bb_snapshot *bb_snapshot_for(struct bb_snapshot *s, int family, const uint8_t *addr);

struct sockaddr_storage;
/* bb_snapshot_for a socket's peer (an IPv4-mapped IPv6 address is the
 * IPv4 one); NULL for an address of no family botbox knows. */
struct bb_snapshot *bb_snapshot_for_peer(struct bb_snapshot *s,
                                         const struct sockaddr_storage *peer);

/* The tenant's name a part serves, for audit lines and metrics; NULL
 * for a snapshot without tenants. */
const char *bb_snapshot_tenant(const struct bb_snapshot *s);
/* Whether decisions under s are counted per tenant: s is a part, or the
 * snapshot of a config with tenants (an unmatched client's). */
static inline bool bb_snapshot_tenanted(const struct bb_snapshot *s)
{
    return s->owner != NULL || s->ntenants > 0;
}

struct bb_loop;

/* Hands snap (one reference, taken over) to the thread running l: there,
 * *slot becomes snap and the old one is released. Callable from any
 * thread; on out-of-memory the old snapshot stays and snap is released. */
void bb_snapshot_post(struct bb_loop *l, struct bb_snapshot **slot, struct bb_snapshot *snap);
void bb_snapshot_unref(struct bb_snapshot *s);
void bb_cfgref_unref(struct bb_cfgref *c);

#endif
