/*
 * Schema-driven decoding of YAML nodes into config structs: the key path
 * used in messages, positioned errors and warnings, origin tracking for
 * cross-field checks, and the typed scalar and sequence decoders.
 */
#include "policy/config_int.h"

#include "common/arena.h"
#include "common/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- key path ---- */

static size_t append(struct bb_cctx *ctx, int n)
{
    size_t saved = ctx->pathlen;
    size_t room = sizeof(ctx->path) - ctx->pathlen;
    if (n > 0)
        ctx->pathlen += (size_t)n < room ? (size_t)n : room - 1;
    return saved;
}

size_t bb_cctx_push_key(struct bb_cctx *ctx, const char *key)
{
    size_t room = sizeof(ctx->path) - ctx->pathlen;
    char *at = ctx->path + ctx->pathlen;
    size_t saved = ctx->pathlen;
    append(ctx, ctx->pathlen == 0 ? snprintf(at, room, "%s", key) : snprintf(at, room, ".%s", key));
    return saved;
}

size_t bb_cctx_push_index(struct bb_cctx *ctx, size_t i)
{
    size_t room = sizeof(ctx->path) - ctx->pathlen;
    return append(ctx, snprintf(ctx->path + ctx->pathlen, room, "[%zu]", i));
}

void bb_cctx_pop(struct bb_cctx *ctx, size_t saved)
{
    ctx->pathlen = saved;
    ctx->path[saved] = '\0';
}

/* ---- messages ---- */

static void emit(struct bb_cctx *ctx, enum bb_diag_level lvl, const char *where, const char *path,
                 const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static void emit_node(struct bb_cctx *ctx, enum bb_diag_level lvl, const struct bb_ynode *n,
                      const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static void emit_at(struct bb_cctx *ctx, enum bb_diag_level lvl, const void *dst,
                    const char *fallback, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static void emit(struct bb_cctx *ctx, enum bb_diag_level lvl, const char *where, const char *path,
                 const char *fmt, va_list ap)
{
    char msg[BB_DIAG_MAX_LINE];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (path[0] != '\0')
        bb_diag_add(ctx->diag, lvl, "%s: %s: %s", where, path, msg);
    else
        bb_diag_add(ctx->diag, lvl, "%s: %s", where, msg);
}

static void emit_node(struct bb_cctx *ctx, enum bb_diag_level lvl, const struct bb_ynode *n,
                      const char *fmt, va_list ap)
{
    char where[512];
    if (n != NULL)
        snprintf(where, sizeof(where), "%s:%u:%u", ctx->file, n->line, n->col);
    else
        snprintf(where, sizeof(where), "%s", ctx->file);
    emit(ctx, lvl, where, ctx->path, fmt, ap);
}

void bb_cerr(struct bb_cctx *ctx, const struct bb_ynode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit_node(ctx, BB_DIAG_ERROR, n, fmt, ap);
    va_end(ap);
}

void bb_cwarn(struct bb_cctx *ctx, const struct bb_ynode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit_node(ctx, BB_DIAG_WARNING, n, fmt, ap);
    va_end(ap);
}

static void emit_pos(struct bb_cctx *ctx, enum bb_diag_level lvl, struct bb_srcpos pos,
                     const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static void emit_pos(struct bb_cctx *ctx, enum bb_diag_level lvl, struct bb_srcpos pos,
                     const char *fmt, va_list ap)
{
    char where[512];
    snprintf(where, sizeof(where), "%s:%u:%u", ctx->file, pos.line, pos.col);
    emit(ctx, lvl, where, ctx->path, fmt, ap);
}

void bb_cerr_pos(struct bb_cctx *ctx, struct bb_srcpos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit_pos(ctx, BB_DIAG_ERROR, pos, fmt, ap);
    va_end(ap);
}

void bb_cwarn_pos(struct bb_cctx *ctx, struct bb_srcpos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit_pos(ctx, BB_DIAG_WARNING, pos, fmt, ap);
    va_end(ap);
}

static void emit_at(struct bb_cctx *ctx, enum bb_diag_level lvl, const void *dst,
                    const char *fallback, const char *fmt, va_list ap)
{
    char where[512];
    const struct bb_origin *o = bb_cctx_origin(ctx, dst);
    const char *path = fallback;
    if (o == NULL) {
        snprintf(where, sizeof(where), "%s", ctx->file);
    } else if (o->env != NULL) {
        snprintf(where, sizeof(where), "%s", o->env);
        path = o->path;
    } else {
        snprintf(where, sizeof(where), "%s:%u:%u", ctx->file, o->line, o->col);
        path = o->path;
    }
    emit(ctx, lvl, where, path, fmt, ap);
}

void bb_cerr_at(struct bb_cctx *ctx, const void *dst, const char *fallback, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit_at(ctx, BB_DIAG_ERROR, dst, fallback, fmt, ap);
    va_end(ap);
}

void bb_cwarn_at(struct bb_cctx *ctx, const void *dst, const char *fallback, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit_at(ctx, BB_DIAG_WARNING, dst, fallback, fmt, ap);
    va_end(ap);
}

/* ---- origins ---- */

void bb_cctx_track(struct bb_cctx *ctx, const void *dst, const struct bb_ynode *n, const char *env)
{
    struct bb_origin *o = NULL;
    for (size_t i = 0; i < ctx->norigins; i++)
        if (ctx->origins[i].dst == dst)
            o = &ctx->origins[i];
    if (o == NULL) {
        if (ctx->norigins == BB_MAX_ORIGINS)
            return; /* only costs message precision, never correctness */
        o = &ctx->origins[ctx->norigins++];
        o->dst = dst;
        o->path = bb_arena_strndup(ctx->arena, ctx->path, ctx->pathlen);
    }
    o->env = env != NULL ? bb_arena_strndup(ctx->arena, env, strlen(env)) : NULL;
    o->line = n != NULL ? n->line : 0;
    o->col = n != NULL ? n->col : 0;
}

const struct bb_origin *bb_cctx_origin(const struct bb_cctx *ctx, const void *dst)
{
    for (size_t i = 0; i < ctx->norigins; i++)
        if (ctx->origins[i].dst == dst)
            return &ctx->origins[i];
    return NULL;
}

/* ---- scalars ---- */

const char *bb_ynode_kind_name(const struct bb_ynode *n)
{
    switch (n->kind) {
    case BB_Y_MAP:
        return "a mapping";
    case BB_Y_SEQ:
        return "a list";
    default:
        return "a scalar";
    }
}

int bb_decode_string(struct bb_cctx *ctx, const struct bb_ynode *n, const char **out)
{
    if (n->kind != BB_Y_SCALAR) {
        bb_cerr(ctx, n, "expected a string, got %s", bb_ynode_kind_name(n));
        return -1;
    }
    const char *s = bb_arena_strndup(ctx->arena, n->str, n->len);
    if (s == NULL) {
        ctx->oom = 1;
        return -1;
    }
    *out = s;
    return 0;
}

static int decode_bool(struct bb_cctx *ctx, const struct bb_ynode *n, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE"};
    static const char *const no[] = {"false", "False", "FALSE"};
    if (n->kind == BB_Y_SCALAR && n->plain) {
        for (size_t i = 0; i < 3; i++) {
            if (strcmp(n->str, yes[i]) == 0) {
                *out = true;
                return 0;
            }
            if (strcmp(n->str, no[i]) == 0) {
                *out = false;
                return 0;
            }
        }
    }
    bb_cerr(ctx, n, "expected true or false");
    return -1;
}

int bb_decode_uint(struct bb_cctx *ctx, const struct bb_ynode *n, uint32_t min, uint32_t max,
                   uint32_t *out)
{
    /* Decimal digits only, unquoted: "8080" in quotes, 0x1f90, 1e3 or 80.0
     * are refused rather than coerced, like the original serde decoder. */
    bool ok = n->kind == BB_Y_SCALAR && n->plain && n->len > 0;
    uint64_t v = 0;
    for (size_t i = 0; ok && i < n->len; i++) {
        char c = n->str[i];
        if (c == '-' && i == 0 && n->len > 1)
            continue; /* negative: fails the range check below */
        ok = c >= '0' && c <= '9';
        if (v < (1ull << 40))
            v = v * 10 + (uint64_t)(c - '0');
    }
    if (!ok) {
        bb_cerr(ctx, n, "expected an integer");
        return -1;
    }
    if (n->str[0] == '-' || v < min || v > max) {
        bb_cerr(ctx, n, "must be between %u and %u", min, max);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int decode_enum(struct bb_cctx *ctx, const struct bb_ynode *n, const char *const *names,
                       int *out)
{
    if (n->kind == BB_Y_SCALAR)
        for (int i = 0; names[i] != NULL; i++)
            if (strcmp(n->str, names[i]) == 0) {
                *out = i;
                return 0;
            }
    char list[256] = "";
    size_t used = 0;
    for (int i = 0; names[i] != NULL && used < sizeof(list); i++) {
        int w = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", names[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    bb_cerr(ctx, n, "must be one of: %s", list);
    return -1;
}

/* ---- mappings ---- */

static int decode_field(struct bb_cctx *ctx, const struct bb_field *f, const struct bb_ynode *v,
                        void *base)
{
    void *dst = (char *)base + f->off;
    uint32_t u = 0;
    int rc;
    if (f->type == BB_F_CUSTOM)
        return f->custom(ctx, v, base);
    if (f->type == BB_F_MAP)
        return bb_decode_map(ctx, v, f->sub, base);
    switch (f->type) {
    case BB_F_STR:
        rc = bb_decode_string(ctx, v, (const char **)dst);
        break;
    case BB_F_BOOL:
        rc = decode_bool(ctx, v, (bool *)dst);
        break;
    case BB_F_U16:
        rc = bb_decode_uint(ctx, v, f->min, f->max, &u);
        if (rc == 0)
            *(uint16_t *)dst = (uint16_t)u;
        break;
    case BB_F_U32:
        rc = bb_decode_uint(ctx, v, f->min, f->max, (uint32_t *)dst);
        break;
    default:
        rc = decode_enum(ctx, v, f->names, (int *)dst);
        break;
    }
    if (rc == 0 && (f->flags & BB_F_TRACK))
        bb_cctx_track(ctx, dst, v, NULL);
    return rc;
}

static const struct bb_field *find_field(const struct bb_field *fields, const char *key)
{
    for (const struct bb_field *f = fields; f->key != NULL; f++)
        if (strcmp(f->key, key) == 0)
            return f;
    return NULL;
}

static int check_required(struct bb_cctx *ctx, const struct bb_ynode *m,
                          const struct bb_field *fields)
{
    int rc = 0;
    for (const struct bb_field *f = fields; f->key != NULL; f++) {
        if (!(f->flags & BB_F_REQUIRED) || bb_ymap_get(m, f->key) != NULL)
            continue;
        size_t saved = bb_cctx_push_key(ctx, f->key);
        bb_cerr(ctx, m, "missing required key");
        bb_cctx_pop(ctx, saved);
        rc = -1;
    }
    return rc;
}

int bb_decode_map(struct bb_cctx *ctx, const struct bb_ynode *m, const struct bb_field *fields,
                  void *base)
{
    if (m == NULL)
        return 0;
    if (bb_ynode_is_null(m)) /* "key:" with nothing: an empty mapping */
        return check_required(ctx, m, fields);
    if (m->kind != BB_Y_MAP) {
        bb_cerr(ctx, m, "expected a mapping, got %s", bb_ynode_kind_name(m));
        return -1;
    }
    int rc = 0;
    for (const struct bb_ynode *k = m->first; k != NULL; k = k->next) {
        size_t saved = bb_cctx_push_key(ctx, k->str);
        const struct bb_field *f = find_field(fields, k->str);
        if (f == NULL) {
            bb_cerr(ctx, k, "unknown key");
            rc = -1;
        } else if (!bb_ynode_is_null(k->value) || f->type == BB_F_CUSTOM || f->type == BB_F_MAP) {
            if (decode_field(ctx, f, k->value, base) != 0)
                rc = -1;
        }
        bb_cctx_pop(ctx, saved);
    }
    if (check_required(ctx, m, fields) != 0)
        rc = -1;
    return rc;
}

/* ---- sequences ---- */

int bb_decode_seq(struct bb_cctx *ctx, const struct bb_ynode *seq, size_t size, size_t max,
                  int (*elem)(struct bb_cctx *, const struct bb_ynode *, void *, size_t),
                  void **arr, size_t *n)
{
    *arr = NULL;
    *n = 0;
    if (bb_ynode_is_null(seq))
        return 0;
    if (seq->kind != BB_Y_SEQ) {
        bb_cerr(ctx, seq, "expected a list, got %s", bb_ynode_kind_name(seq));
        return -1;
    }
    if (seq->count > max) {
        bb_cerr(ctx, seq, "more than %zu entries", max);
        return -1;
    }
    char *items = bb_arena_calloc(ctx->arena, seq->count, size);
    if (items == NULL && seq->count > 0) {
        ctx->oom = 1;
        return -1;
    }
    int rc = 0;
    size_t i = 0;
    for (const struct bb_ynode *it = seq->first; it != NULL; it = it->next, i++) {
        size_t saved = bb_cctx_push_index(ctx, i);
        if (elem(ctx, it, items + i * size, i) != 0)
            rc = -1;
        bb_cctx_pop(ctx, saved);
    }
    *arr = items;
    *n = seq->count;
    return rc;
}

static int port_elem(struct bb_cctx *ctx, const struct bb_ynode *n, void *dst, size_t i)
{
    (void)i;
    uint32_t v;
    if (bb_decode_uint(ctx, n, 1, 65535, &v) != 0)
        return -1;
    *(uint16_t *)dst = (uint16_t)v;
    return 0;
}

int bb_decode_ports(struct bb_cctx *ctx, const struct bb_ynode *seq, const uint16_t **ports,
                    size_t *n)
{
    void *arr;
    int rc = bb_decode_seq(ctx, seq, sizeof(uint16_t), BB_MAX_PORTS_PER_RULE, port_elem, &arr, n);
    uint16_t *p = arr;
    *ports = p; /* published even on error: count and array always agree */
    if (rc != 0)
        return -1;
    uint64_t seen[65536 / 64] = {0};
    const struct bb_ynode *it = seq->first;
    for (size_t i = 0; i < *n; i++, it = it->next) {
        uint64_t bit = 1ull << (p[i] % 64);
        if (seen[p[i] / 64] & bit) {
            size_t saved = bb_cctx_push_index(ctx, i);
            bb_cerr(ctx, it, "port %u listed twice", (unsigned)p[i]);
            bb_cctx_pop(ctx, saved);
            return -1;
        }
        seen[p[i] / 64] |= bit;
    }
    return 0;
}
