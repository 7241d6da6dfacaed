/*
 * The tenant matcher (see tenant_match.h).
 */
#include "policy/tenant_match.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef unsigned __int128 u128;

struct range {
    u128 lo, hi;
    uint32_t tenant, cidr;
};

struct table {
    struct range *r;
    size_t n;
};

struct bb_tmatch {
    uint16_t nifaces;
    struct table *t; /* [iface * 2 + (family == AF_INET6)] */
    size_t bytes;
};

static u128 load(int family, const uint8_t *a)
{
    u128 v = 0;
    for (int i = 0; i < (family == AF_INET ? 4 : 16); i++)
        v = v << 8 | a[i];
    return v;
}

static void bounds(const struct bb_cidr *c, u128 *lo, u128 *hi)
{
    int bits = c->family == AF_INET ? 32 : 128;
    u128 host = c->prefix >= bits ? 0
                : c->prefix == 0
                    ? (bits == 128 ? ~(u128)0 : 0xffffffffu) /* a shift by 128 is undefined */
                    : ((u128)1 << (bits - c->prefix)) - 1;
    *lo = load(c->family, c->addr) & ~host;
    *hi = *lo | host;
}

static int by_start(const void *a, const void *b)
{
    const struct range *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->hi > y->hi ? -1 : x->hi < y->hi; /* the wider first */
}

/* Calls fn for each (table, range) the specs make; 0, or fn's -1. */
static int each_pair(const struct bb_tmatch_spec *specs, size_t n, uint16_t nifaces,
                     int (*fn)(void *arg, size_t table, const struct range *r), void *arg)
{
    for (size_t t = 0; t < n; t++)
        for (size_t k = 0; k < specs[t].nifaces; k++) {
            uint16_t f = specs[t].ifaces[k];
            uint16_t from = f == BB_TMATCH_ANY_IFACE ? 0 : f;
            uint16_t to = f == BB_TMATCH_ANY_IFACE ? nifaces : (uint16_t)(f + 1);
            for (uint16_t i = from; i < to; i++)
                for (size_t c = 0; c < specs[t].ncidrs; c++) {
                    const struct bb_cidr *cd = &specs[t].cidrs[c];
                    struct range r = {.tenant = (uint32_t)t, .cidr = (uint32_t)c};
                    bounds(cd, &r.lo, &r.hi);
                    if (fn(arg, (size_t)i * 2 + (cd->family == AF_INET6), &r) != 0)
                        return -1;
                }
        }
    return 0;
}

static int count(void *arg, size_t table, const struct range *r)
{
    (void)r;
    ((struct bb_tmatch *)arg)->t[table].n++;
    return 0;
}

static int put(void *arg, size_t table, const struct range *r)
{
    struct table *t = &((struct bb_tmatch *)arg)->t[table];
    t->r[t->n++] = *r;
    return 0;
}

static bool bad_iface(const struct bb_tmatch_spec *specs, size_t n, uint16_t nifaces)
{
    for (size_t t = 0; t < n; t++)
        for (size_t k = 0; k < specs[t].nifaces; k++)
            if (specs[t].ifaces[k] != BB_TMATCH_ANY_IFACE && specs[t].ifaces[k] >= nifaces)
                return true;
    return false;
}

/* Sorted, then any overlap shows between neighbours (intervals sorted by
 * start: if i and j > i overlap, so do i and i + 1). */
static bool disjoint(struct table *t, uint16_t iface, struct bb_tmatch_err *err)
{
    if (t->n > 1)
        qsort(t->r, t->n, sizeof(*t->r), by_start);
    for (size_t i = 1; i < t->n; i++)
        if (t->r[i].lo <= t->r[i - 1].hi) {
            *err = (struct bb_tmatch_err){.overlap = true,
                                          .tenant_a = t->r[i - 1].tenant,
                                          .cidr_a = t->r[i - 1].cidr,
                                          .tenant_b = t->r[i].tenant,
                                          .cidr_b = t->r[i].cidr,
                                          .iface = iface};
            return false;
        }
    return true;
}

struct bb_tmatch *bb_tmatch_build(const struct bb_tmatch_spec *specs, size_t n, uint16_t nifaces,
                                  struct bb_tmatch_err *err)
{
    *err = (struct bb_tmatch_err){0};
    if (nifaces == 0 || nifaces > BB_TMATCH_IFACES_MAX || bad_iface(specs, n, nifaces)) {
        errno = EINVAL;
        return NULL;
    }
    struct bb_tmatch *m = calloc(1, sizeof(*m));
    if (m == NULL || (m->t = calloc((size_t)nifaces * 2, sizeof(*m->t))) == NULL) {
        free(m);
        errno = ENOMEM;
        return NULL;
    }
    m->nifaces = nifaces;
    m->bytes = sizeof(*m) + (size_t)nifaces * 2 * sizeof(*m->t);
    each_pair(specs, n, nifaces, count, m);
    size_t total = 0;
    for (size_t i = 0; i < (size_t)nifaces * 2; i++)
        total += m->t[i].n;
    bool ok = total <= BB_TMATCH_PAIRS_MAX;
    for (size_t i = 0; ok && i < (size_t)nifaces * 2; i++) {
        ok = m->t[i].n == 0 || (m->t[i].r = calloc(m->t[i].n, sizeof(struct range))) != NULL;
        m->bytes += m->t[i].n * sizeof(struct range);
        m->t[i].n = 0;
    }
    if (!ok) {
        bb_tmatch_free(m);
        errno = total > BB_TMATCH_PAIRS_MAX ? E2BIG : ENOMEM;
        return NULL;
    }
    each_pair(specs, n, nifaces, put, m);
    for (size_t i = 0; i < (size_t)nifaces * 2; i++)
        if (!disjoint(&m->t[i], (uint16_t)(i / 2), err)) {
            bb_tmatch_free(m);
            errno = EEXIST;
            return NULL;
        }
    return m;
}

void bb_tmatch_free(struct bb_tmatch *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; m->t != NULL && i < (size_t)m->nifaces * 2; i++)
        free(m->t[i].r);
    free(m->t);
    free(m);
}

long bb_tmatch_find(const struct bb_tmatch *m, uint16_t iface, int family, const uint8_t *addr)
{
    if (m == NULL || iface >= m->nifaces || (family != AF_INET && family != AF_INET6))
        return -1;
    const struct table *t = &m->t[(size_t)iface * 2 + (family == AF_INET6)];
    u128 a = load(family, addr);
    size_t lo = 0, hi = t->n; /* the last range starting at or before a */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->r[mid].lo <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && a <= t->r[lo - 1].hi ? (long)t->r[lo - 1].tenant : -1;
}

size_t bb_tmatch_bytes(const struct bb_tmatch *m)
{
    return m != NULL ? m->bytes : 0;
}
