/*
 * The secrets a config serves with: its own secrets_dir's and, with
 * tenants (docs/configuration.md, "Tenants"), each tenant's, loaded,
 * compared and counted together, so that a reload swaps every tenant at
 * once or none. The watch list is the distinct directories among them.
 */
#ifndef BB_SECRET_SET_H
#define BB_SECRET_SET_H

#include <stdbool.h>
#include <stddef.h>

struct bb_config;
struct bb_diag;
struct bb_secrets;
struct bb_snapshot;

struct bb_secret_set {
    struct bb_secrets *base;
    struct bb_secrets **tenants; /* cfg->tenants.n, or NULL */
    size_t n;
};

/* 0, or -1 (nothing held) on out-of-memory or an unusable directory. */
int bb_secret_set_load(struct bb_secret_set *set, const struct bb_config *cfg,
                       struct bb_diag *diag);
void bb_secret_set_free(struct bb_secret_set *set);

/* Whether every directory could be read (a vanished one is no change). */
bool bb_secret_set_dirs_ok(const struct bb_secret_set *set);
/* Whether set holds what snap serves with already. */
bool bb_secret_set_same(const struct bb_secret_set *set, const struct bb_snapshot *snap);
/* Referenced secrets missing, over the base and every tenant. */
size_t bb_secret_set_missing(const struct bb_secret_set *set);

/* The distinct secrets directories of cfg and its tenants, sorted:
 * *n of them, pointers into cfg. NULL (errno ENOMEM) when out of memory. */
const char **bb_secret_dirs(const struct bb_config *cfg, size_t *n);

#endif
