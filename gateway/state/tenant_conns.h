/*
 * Open connections per tenant (docs/configuration.md, "Tenants":
 * tenants[].max_connections). A connection is counted against the tenant
 * it was accepted for and given back when it closes, whatever reloads
 * came between: so a tenant's counter is found by its name, made on first
 * use, and lives as long as the process (a name that leaves the config
 * keeps its counter, at zero once its connections are gone).
 *
 * Thread-safety: bb_tconns_get on the control thread only, while it
 * builds a snapshot; the counters themselves are atomics any worker
 * moves.
 */
#ifndef BB_TENANT_CONNS_H
#define BB_TENANT_CONNS_H

#include <stdatomic.h>

#define BB_TCONNS_MAX (1u << 20) /* names ever counted: beyond, a tenant has no own limit */

struct bb_tconns;

struct bb_tconns *bb_tconns_new(void);
void bb_tconns_free(struct bb_tconns *t);

/* The counter of tenant `name`; NULL when out of memory or past
 * BB_TCONNS_MAX (the tenant is then bound by the gateway's limit only). */
atomic_uint *bb_tconns_get(struct bb_tconns *t, const char *name);

#endif
