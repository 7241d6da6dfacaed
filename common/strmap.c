/*
 * String-keyed map (strmap.h).
 */
#include "common/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STRMAP_FIRST_CAP 64

struct slot {
    char *key; /* NULL: free */
    void *value;
};

struct bb_strmap {
    struct slot *slots;
    size_t cap, n; /* cap a power of two, n < cap / 2 */
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

struct bb_strmap *bb_strmap_new(void)
{
    struct bb_strmap *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->cap = STRMAP_FIRST_CAP;
    m->slots = calloc(m->cap, sizeof(*m->slots));
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    return m;
}

void bb_strmap_free(struct bb_strmap *m, void (*free_value)(void *))
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->cap; i++) {
        free(m->slots[i].key);
        if (m->slots[i].key != NULL && free_value != NULL)
            free_value(m->slots[i].value);
    }
    free(m->slots);
    free(m);
}

static struct slot *find(struct slot *slots, size_t cap, const char *key)
{
    for (size_t i = fnv1a(key) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (slots[i].key == NULL || strcmp(slots[i].key, key) == 0)
            return &slots[i];
}

void *bb_strmap_get(const struct bb_strmap *m, const char *key)
{
    return find(m->slots, m->cap, key)->value;
}

static int grow(struct bb_strmap *m)
{
    size_t cap = m->cap * 2;
    struct slot *slots = calloc(cap, sizeof(*slots));
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key != NULL)
            *find(slots, cap, m->slots[i].key) = m->slots[i];
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int bb_strmap_put(struct bb_strmap *m, const char *key, void *value)
{
    if (2 * (m->n + 1) > m->cap && grow(m) != 0)
        return -1;
    struct slot *s = find(m->slots, m->cap, key);
    char *copy = strdup(key);
    if (copy == NULL)
        return -1;
    *s = (struct slot){copy, value};
    m->n++;
    return 0;
}

size_t bb_strmap_count(const struct bb_strmap *m)
{
    return m->n;
}
