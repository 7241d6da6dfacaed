/*
 * The secrets of a config and of its tenants, together (secret_set.h).
 */
#include "gateway/serve/secret_set.h"

#include "gateway/state/secrets.h"
#include "gateway/state/snapshot.h"
#include "policy/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int bb_secret_set_load(struct bb_secret_set *set, const struct bb_config *cfg, struct bb_diag *diag)
{
    *set = (struct bb_secret_set){0};
    set->base = bb_secrets_load(cfg, diag);
    if (set->base == NULL)
        return -1;
    if (cfg->tenants.n == 0)
        return 0;
    set->tenants = calloc(cfg->tenants.n, sizeof(*set->tenants));
    if (set->tenants == NULL) {
        bb_secret_set_free(set);
        return -1;
    }
    for (; set->n < cfg->tenants.n; set->n++) {
        set->tenants[set->n] = bb_secrets_load(cfg->tenants.list[set->n], diag);
        if (set->tenants[set->n] == NULL) {
            bb_secret_set_free(set);
            return -1;
        }
    }
    return 0;
}

void bb_secret_set_free(struct bb_secret_set *set)
{
    bb_secrets_free(set->base);
    for (size_t i = 0; i < set->n; i++)
        bb_secrets_free(set->tenants[i]);
    free(set->tenants);
    *set = (struct bb_secret_set){0};
}

bool bb_secret_set_dirs_ok(const struct bb_secret_set *set)
{
    bool ok = bb_secrets_dir_ok(set->base);
    for (size_t i = 0; ok && i < set->n; i++)
        ok = bb_secrets_dir_ok(set->tenants[i]);
    return ok;
}

bool bb_secret_set_same(const struct bb_secret_set *set, const struct bb_snapshot *snap)
{
    if (!bb_secrets_equal(set->base, snap->secrets) || set->n != snap->ntenants)
        return false;
    for (size_t i = 0; i < set->n; i++)
        if (!bb_secrets_equal(set->tenants[i], snap->tenants[i].secrets))
            return false;
    return true;
}

size_t bb_secret_set_missing(const struct bb_secret_set *set)
{
    size_t n = bb_secrets_missing(set->base);
    for (size_t i = 0; i < set->n; i++)
        n += bb_secrets_missing(set->tenants[i]);
    return n;
}

static int cmp_dir(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **bb_secret_dirs(const struct bb_config *cfg, size_t *n)
{
    size_t all = cfg->tenants.n + 1;
    const char **dirs = calloc(all, sizeof(*dirs));
    *n = 0;
    if (dirs == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    dirs[0] = cfg->secrets_dir;
    for (size_t i = 0; i < cfg->tenants.n; i++)
        dirs[i + 1] = cfg->tenants.list[i]->secrets_dir;
    qsort(dirs, all, sizeof(*dirs), cmp_dir); /* then each once: 10 000 tenants stay cheap */
    for (size_t i = 0; i < all; i++)
        if (*n == 0 || strcmp(dirs[*n - 1], dirs[i]) != 0)
            dirs[(*n)++] = dirs[i];
    return dirs;
}
