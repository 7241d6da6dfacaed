/*
 * Tenant matching benchmark (policy/tenant_match.c): matchers of 1, 100,
 * 1 000 and 10 000 tenants (each an IPv4 /24 and an IPv6 /64), built as
 * the config builds them (by address: the ruleset checks interfaces),
 * timed lookups of clients that match and of ones that do not, and the
 * matcher's memory per tenant. Prints numbers only; what to look for: the
 * lookup cost stays flat as tenants grow.
 */
#include "policy/tenant_match.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define LOOKUPS 2000000 /* per round */
#define ROUNDS  5       /* a figure is the fastest round */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void tenant(size_t t, struct bb_cidr c[2])
{
    memset(c, 0, 2 * sizeof(*c));
    c[0] = (struct bb_cidr){.family = AF_INET, .prefix = 24};
    c[0].addr[0] = 10;
    c[0].addr[1] = (uint8_t)(t >> 8);
    c[0].addr[2] = (uint8_t)t;
    c[1] = (struct bb_cidr){.family = AF_INET6, .prefix = 64};
    c[1].addr[0] = 0xfd;
    c[1].addr[6] = (uint8_t)(t >> 8);
    c[1].addr[7] = (uint8_t)t;
}

static double ns_per_lookup(const struct bb_tmatch *m, size_t n, bool hit, long *found)
{
    double best = 1e9;
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now();
        for (size_t i = 0; i < LOOKUPS; i++) {
            size_t t = (i * 2654435761u) % n;
            /* a miss: 11.x.y.z, next to every tenant's range */
            uint8_t a[4] = {hit ? 10 : 11, (uint8_t)(t >> 8), (uint8_t)t, (uint8_t)i};
            *found += bb_tmatch_find(m, 0, AF_INET, a) >= 0;
        }
        double dt = (now() - t0) * 1e9 / LOOKUPS;
        best = dt < best ? dt : best;
    }
    return best;
}

int main(void)
{
    static const size_t sizes[] = {1, 100, 1000, 10000};
    printf("tenants  build_ms  ns_per_lookup_hit  ns_per_lookup_miss  bytes_per_tenant\n");
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        size_t n = sizes[s];
        struct bb_cidr(*c)[2] = calloc(n, sizeof(*c));
        struct bb_tmatch_spec *specs = calloc(n, sizeof(*specs));
        static const uint16_t any = BB_TMATCH_ANY_IFACE;
        if (c == NULL || specs == NULL)
            return 1;
        for (size_t t = 0; t < n; t++) {
            tenant(t, c[t]);
            specs[t] = (struct bb_tmatch_spec){&any, 1, c[t], 2};
        }
        struct bb_tmatch_err err;
        double t0 = now();
        struct bb_tmatch *m = bb_tmatch_build(specs, n, 1, &err);
        double build = (now() - t0) * 1e3;
        if (m == NULL)
            return 1;
        long found = 0;
        double hit = ns_per_lookup(m, n, true, &found);
        double miss = ns_per_lookup(m, n, false, &found);
        if (found != (long)LOOKUPS * ROUNDS && n > 0) /* every hit found, no miss */
            return 1;
        printf("%7zu  %8.2f  %17.1f  %18.1f  %16zu\n", n, build, hit, miss, bb_tmatch_bytes(m) / n);
        bb_tmatch_free(m);
        free(c);
        free(specs);
    }
    return 0;
}
