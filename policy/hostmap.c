/*
 * Host map: linear probing over a power-of-two slot array kept at most half
 * full. Keys are copied into one growing byte pool so building a 100 000-rule
 * map costs a handful of allocations, and each slot keeps the key's hash so
 * most mismatches are decided without touching the pool.
 */
#include "policy/hostmap.h"

#include <stdlib.h>
#include <string.h>

#define BB_HOSTMAP_MIN_SLOTS 16u

struct slot {
    uint64_t hash;
    uint32_t off, len; /* key in pool; len 0 = empty slot (keys are never empty) */
    uint32_t value;
};

struct bb_hostmap {
    struct slot *slots;
    size_t nslots, used;
    char *pool;
    size_t pool_len, pool_cap;
};

/* FNV-1a, 64 bits. Keys come from the operator's config, so collision
 * flooding is not a concern; lookups of attacker-chosen names only probe. */
static uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

struct bb_hostmap *bb_hostmap_new(void)
{
    struct bb_hostmap *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->slots = calloc(BB_HOSTMAP_MIN_SLOTS, sizeof(struct slot));
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    m->nslots = BB_HOSTMAP_MIN_SLOTS;
    return m;
}

void bb_hostmap_free(struct bb_hostmap *m)
{
    if (m == NULL)
        return;
    free(m->slots);
    free(m->pool);
    free(m);
}

static struct slot *find(const struct bb_hostmap *m, struct slot *slots, size_t nslots, uint64_t h,
                         const char *key, size_t len)
{
    size_t mask = nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct slot *s = &slots[i];
        if (s->len == 0)
            return s;
        if (s->hash == h && s->len == len && key != NULL && memcmp(m->pool + s->off, key, len) == 0)
            return s;
    }
}

static int grow(struct bb_hostmap *m)
{
    size_t n = m->nslots * 2;
    struct slot *slots = calloc(n, sizeof(struct slot));
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < m->nslots; i++) {
        struct slot *old = &m->slots[i];
        if (old->len != 0)
            *find(m, slots, n, old->hash, NULL, 0) = *old;
    }
    free(m->slots);
    m->slots = slots;
    m->nslots = n;
    return 0;
}

static int pool_add(struct bb_hostmap *m, const char *key, size_t len, uint32_t *off)
{
    if (m->pool_len + len > UINT32_MAX)
        return -1;
    if (m->pool_len + len > m->pool_cap) {
        size_t cap =
            m->pool_cap ? m->pool_cap * 2 : 64; /* small: a tenant's policy has a few names */
        while (cap < m->pool_len + len)
            cap *= 2;
        char *p = realloc(m->pool, cap);
        if (p == NULL)
            return -1;
        m->pool = p;
        m->pool_cap = cap;
    }
    memcpy(m->pool + m->pool_len, key, len);
    *off = (uint32_t)m->pool_len;
    m->pool_len += len;
    return 0;
}

int bb_hostmap_put(struct bb_hostmap *m, const char *key, size_t len, uint32_t value)
{
    if (len == 0 || len > UINT32_MAX)
        return -1;
    if ((m->used + 1) * 2 > m->nslots && grow(m) != 0)
        return -1;
    uint64_t h = hash_bytes(key, len);
    struct slot *s = find(m, m->slots, m->nslots, h, key, len);
    if (s->len != 0)
        return 1;
    uint32_t off;
    if (pool_add(m, key, len, &off) != 0)
        return -1;
    *s = (struct slot){.hash = h, .off = off, .len = (uint32_t)len, .value = value};
    m->used++;
    return 0;
}

int64_t bb_hostmap_get(const struct bb_hostmap *m, const char *key, size_t len)
{
    if (len == 0)
        return -1;
    const struct slot *s = find(m, m->slots, m->nslots, hash_bytes(key, len), key, len);
    return s->len == 0 ? -1 : (int64_t)s->value;
}

size_t bb_hostmap_size(const struct bb_hostmap *m)
{
    return m->used;
}
