/*
 * Which tenant a client is (the per-node gateway's tenants, docs/
 * configuration.md "Tenants"): by the client interface its packets came
 * in on and its source address, together, so that a client behind one
 * interface cannot claim the addresses of a tenant behind another.
 *
 * A tenant's match is a list of interfaces (positions in
 * gateway.client_interfaces; BB_TMATCH_ANY_IFACE: every one) and a list
 * of CIDRs. Matches must not overlap: no two (interface, CIDR) pairs of
 * any tenants, the same tenant's included, may share an address on a
 * shared interface. So a lookup finds at most one tenant, and no order or
 * longest-prefix rule decides between them.
 *
 * Built once per config: for each interface and address family, the
 * pairs as disjoint address ranges sorted by their start, found by binary
 * search: a lookup costs O(log n) whatever the number of tenants (made
 * for 10 000; tests/bench/bench_tenants.c measures it).
 *
 * Pure: no I/O; immutable once built, shared by every thread.
 */
#ifndef BB_TENANT_MATCH_H
#define BB_TENANT_MATCH_H

#include "policy/cidr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BB_TMATCH_ANY_IFACE  UINT16_MAX
#define BB_TMATCH_IFACES_MAX 64         /* client interfaces a matcher knows */
#define BB_TMATCH_PAIRS_MAX  (1u << 22) /* (interface, CIDR) pairs in all: a bound on memory */

/* One tenant's match. */
struct bb_tmatch_spec {
    const uint16_t *ifaces; /* positions, or one BB_TMATCH_ANY_IFACE */
    size_t nifaces;
    const struct bb_cidr *cidrs;
    size_t ncidrs;
};

struct bb_tmatch;

/* Why a build failed: the two tenants (and their CIDRs' positions) that
 * overlap on interface `iface`, or a limit (overlap false). */
struct bb_tmatch_err {
    bool overlap;
    size_t tenant_a, cidr_a, tenant_b, cidr_b;
    uint16_t iface;
};

/* The matcher for specs[0..n) over niface client interfaces. NULL on an
 * overlap or a limit (*err says which), or out of memory (errno ENOMEM,
 * err->overlap false). */
struct bb_tmatch *bb_tmatch_build(const struct bb_tmatch_spec *specs, size_t n, uint16_t nifaces,
                                  struct bb_tmatch_err *err);
void bb_tmatch_free(struct bb_tmatch *m);

/* The tenant of a client on interface iface (< nifaces) with address addr
 * (4 bytes for AF_INET, 16 for AF_INET6, network order), or -1. */
long bb_tmatch_find(const struct bb_tmatch *m, uint16_t iface, int family, const uint8_t *addr);

/* Bytes the matcher holds (docs/benchmarks.md: memory per tenant). */
size_t bb_tmatch_bytes(const struct bb_tmatch *m);

#endif
