/*
 * Config loader internals, shared by the config_*.c files and the unit
 * tests (no other module includes this).
 *
 * Decoding is table-driven: each YAML mapping has a NULL-terminated array of
 * struct bb_field naming its keys, their types and where the value goes
 * (an offset from a base pointer). decode_map() rejects unknown keys, checks
 * types and ranges, and reports missing required keys, so a new key is one
 * table line.
 */
#ifndef BB_CONFIG_INT_H
#define BB_CONFIG_INT_H

#include "policy/config.h"
#include "policy/ytree.h"

#include <stddef.h>

#define BB_CCTX_PATH_MAX 256 /* bytes of key path kept for messages */

enum bb_ftype {
    BB_F_STR,    /* any scalar, copied; null = absent */
    BB_F_BOOL,   /* plain true/false */
    BB_F_U16,    /* plain decimal integer in [min, max] */
    BB_F_U32,    /* plain decimal integer in [min, max] */
    BB_F_ENUM,   /* one of names[], stored as int index */
    BB_F_MAP,    /* nested mapping decoded with sub[] against the same base */
    BB_F_CUSTOM, /* custom(ctx, value, base) */
};

#define BB_F_REQUIRED 0x1u /* the key must be present */
#define BB_F_TRACK    0x2u /* remember where the value came from (cross-checks) */

struct bb_cctx;

struct bb_field {
    const char *key;
    enum bb_ftype type;
    size_t off;
    uint32_t min, max;
    const char *const *names;
    const struct bb_field *sub;
    int (*custom)(struct bb_cctx *ctx, const struct bb_ynode *value, void *base);
    unsigned flags;
};

/* Where a tracked value came from. */
struct bb_origin {
    const void *dst;
    const char *path; /* key path, e.g. "mitm.listen_port" */
    const char *env;  /* "NAME=VALUE" when set from the environment */
    uint32_t line, col;
};

#define BB_MAX_ORIGINS 64

struct bb_cctx {
    const char *file;
    struct bb_diag *diag;
    struct bb_arena *arena; /* the config's arena */
    struct bb_config *cfg;
    bb_getenv_fn env;
    const char *mode_override;       /* --mode, or NULL */
    const struct bb_load_opts *opts; /* every command-line override */
    char path[BB_CCTX_PATH_MAX];
    size_t pathlen;
    struct bb_origin origins[BB_MAX_ORIGINS];
    size_t norigins;
    int oom; /* set once an allocation failed */
};

/* ---- key path stack (for messages) ---- */
size_t bb_cctx_push_key(struct bb_cctx *ctx, const char *key);
size_t bb_cctx_push_index(struct bb_cctx *ctx, size_t i);
void bb_cctx_pop(struct bb_cctx *ctx, size_t saved);

/* ---- messages ---- */
/* "FILE:L:C: <path>: msg" at node n (n NULL: "FILE: <path>: msg"). */
void bb_cerr(struct bb_cctx *ctx, const struct bb_ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bb_cwarn(struct bb_cctx *ctx, const struct bb_ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same for a tracked value: positioned where it came from (file or
 * environment); fallback_path names it when it is a default. */
void bb_cerr_at(struct bb_cctx *ctx, const void *dst, const char *fallback_path, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));
void bb_cwarn_at(struct bb_cctx *ctx, const void *dst, const char *fallback_path, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));
/* "FILE:L:C: <path>: msg" at an explicit position. */
void bb_cerr_pos(struct bb_cctx *ctx, struct bb_srcpos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bb_cwarn_pos(struct bb_cctx *ctx, struct bb_srcpos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- origins ---- */
void bb_cctx_track(struct bb_cctx *ctx, const void *dst, const struct bb_ynode *n, const char *env);
const struct bb_origin *bb_cctx_origin(const struct bb_cctx *ctx, const void *dst);

/* ---- decoding ---- */
/* Decodes mapping m into base with fields[]; m NULL or null = nothing set.
 * Returns 0, or -1 if anything in it was wrong (already reported). */
int bb_decode_map(struct bb_cctx *ctx, const struct bb_ynode *m, const struct bb_field *fields,
                  void *base);

/* Scalar helpers; each reports its own error and returns -1 on failure. */
int bb_decode_string(struct bb_cctx *ctx, const struct bb_ynode *n, const char **out);
int bb_decode_uint(struct bb_cctx *ctx, const struct bb_ynode *n, uint32_t min, uint32_t max,
                   uint32_t *out);

/* Decodes a sequence: for each item, elem(ctx, item, arr + i * size, i).
 * null = empty (*n = 0). More than max items is an error. On an element
 * error *arr and *n are still set (failed elements stay zeroed): callers
 * publish both, so a count is never paired with a NULL array. */
int bb_decode_seq(struct bb_cctx *ctx, const struct bb_ynode *seq, size_t size, size_t max,
                  int (*elem)(struct bb_cctx *, const struct bb_ynode *, void *, size_t),
                  void **arr, size_t *n);

/* A list of ports (1..65535, no repeats). */
int bb_decode_ports(struct bb_cctx *ctx, const struct bb_ynode *seq, const uint16_t **ports,
                    size_t *n);

/* Text of a scalar node or a type name, for messages. */
const char *bb_ynode_kind_name(const struct bb_ynode *n);

/* The checks of a secret_ref (rewrites, credentials): the reason it is
 * refused, or NULL. */
const char *bb_check_secret_name(const char *s);

/* ---- phases (config_policy.c, config_cred.c, config_validate.c) ---- */
extern const struct bb_field bb_egress_fields[];
extern const struct bb_field bb_redaction_fields[];
int bb_decode_credentials(struct bb_cctx *ctx, const struct bb_ynode *v, void *base);
/* After the policy is compiled: bound hosts by default, and the checks
 * that need the rules. */
void bb_config_credentials_finish(struct bb_cctx *ctx);
/* Tenants (config_tenant.c): each decoded into a config of its own from
 * the whole base, then the matcher; and what they hold, freed. */
void bb_config_tenants_finish(struct bb_cctx *ctx, const struct bb_ynode *root);
void bb_config_tenants_free(const struct bb_config *cfg);
/* bb_policy_new's duplicate-host report, under the current key path. */
struct bb_rule;
void bb_config_report_dup(void *arg, const struct bb_rule *first, const struct bb_rule *again);
void bb_config_apply_env(struct bb_cctx *ctx);
void bb_config_validate(struct bb_cctx *ctx);

/* True for 127.0.0.0/8 and ::1 literals; *is_ip says whether s parsed. */
bool bb_ip_is_loopback(const char *s, bool *is_ip);

#endif
