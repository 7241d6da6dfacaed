/*
 * Per-tenant connection counters (tenant_conns.h): an open-addressing
 * hash of names, doubled at half load; counters allocated one by one so
 * that a pointer handed out stays valid when the table grows.
 */
#include "gateway/state/tenant_conns.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    char *name; /* NULL: free */
    atomic_uint *count;
};

struct bb_tconns {
    struct slot *slots;
    size_t cap, n; /* cap a power of two */
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

struct bb_tconns *bb_tconns_new(void)
{
    struct bb_tconns *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->cap = 64;
    t->slots = calloc(t->cap, sizeof(*t->slots));
    if (t->slots == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

void bb_tconns_free(struct bb_tconns *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->cap; i++) {
        free(t->slots[i].name);
        free(t->slots[i].count);
    }
    free(t->slots);
    free(t);
}

static struct slot *find(struct slot *slots, size_t cap, const char *name)
{
    for (size_t i = fnv1a(name) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (slots[i].name == NULL || strcmp(slots[i].name, name) == 0)
            return &slots[i];
}

static int grow(struct bb_tconns *t)
{
    size_t cap = t->cap * 2;
    struct slot *slots = calloc(cap, sizeof(*slots));
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].name != NULL)
            *find(slots, cap, t->slots[i].name) = t->slots[i];
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

atomic_uint *bb_tconns_get(struct bb_tconns *t, const char *name)
{
    struct slot *s = find(t->slots, t->cap, name);
    if (s->name != NULL)
        return s->count;
    if (t->n == BB_TCONNS_MAX || (2 * (t->n + 1) > t->cap && grow(t) != 0))
        return NULL;
    s = find(t->slots, t->cap, name);
    char *copy = strdup(name);
    atomic_uint *count = malloc(sizeof(*count));
    if (copy == NULL || count == NULL) {
        free(copy);
        free(count);
        return NULL;
    }
    atomic_init(count, 0);
    *s = (struct slot){copy, count};
    t->n++;
    return count;
}
