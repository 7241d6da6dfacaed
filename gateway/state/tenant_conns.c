/*
 * Per-tenant connection counters (tenant_conns.h): a map of names to
 * counters allocated one by one, so that a pointer handed out stays
 * valid when the map grows.
 */
#include "gateway/state/tenant_conns.h"

#include "common/strmap.h"

#include <stdlib.h>

struct bb_tconns {
    struct bb_strmap *names;
};

struct bb_tconns *bb_tconns_new(void)
{
    struct bb_tconns *t = calloc(1, sizeof(*t));
    if (t == NULL || (t->names = bb_strmap_new()) == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

void bb_tconns_free(struct bb_tconns *t)
{
    if (t == NULL)
        return;
    bb_strmap_free(t->names, free);
    free(t);
}

atomic_uint *bb_tconns_get(struct bb_tconns *t, const char *name)
{
    atomic_uint *count = bb_strmap_get(t->names, name);
    if (count != NULL)
        return count;
    if (bb_strmap_count(t->names) == BB_TCONNS_MAX || (count = malloc(sizeof(*count))) == NULL)
        return NULL;
    atomic_init(count, 0);
    if (bb_strmap_put(t->names, name, count) != 0) {
        free(count);
        return NULL;
    }
    return count;
}
