/*
 * Decoding of tenants (docs/configuration.md, "Tenants"). A tenant is a
 * config of its own: a copy of the base (listeners, timeouts, upstream,
 * interception, audit: what one process serves with) whose policy,
 * credentials, secrets_dir, DNS enforcement, redaction, placeholders_file
 * and max_connections are the tenant's, decoded by the same field tables
 * as the base's, with messages under "tenants[i].". Built after the base
 * is whole (environment overrides applied), then the matcher over all
 * tenants, whose overlaps are config errors.
 */
#include "policy/config_int.h"

#include "common/arena.h"
#include "common/macros.h"
#include "common/diag.h"
#include "policy/policy.h"
#include "policy/tenant_match.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define CFG(member) offsetof(struct bb_config, member)

static int decode_ifaces(struct bb_cctx *ctx, const struct bb_ynode *v, void *base);
static int decode_secret_names(struct bb_cctx *ctx, const struct bb_ynode *v, void *base);
static int decode_sources(struct bb_cctx *ctx, const struct bb_ynode *v, void *base);

static const struct bb_field match_fields[] = {
    {.key = "interfaces", .type = BB_F_CUSTOM, .custom = decode_ifaces, .flags = BB_F_REQUIRED},
    {.key = "sources", .type = BB_F_CUSTOM, .custom = decode_sources, .flags = BB_F_REQUIRED},
    {0},
};

static const struct bb_field tenant_dns_fields[] = {
    {.key = "enforce_names", .type = BB_F_BOOL, .off = CFG(dns.enforce_names)},
    {0},
};

static const struct bb_field tenant_fields[] = {
    {.key = "name", .type = BB_F_STR, .off = CFG(tenant_name), .flags = BB_F_REQUIRED},
    {.key = "match", .type = BB_F_MAP, .sub = match_fields, .flags = BB_F_REQUIRED},
    {.key = "egress_policy", .type = BB_F_MAP, .sub = bb_egress_fields, .flags = BB_F_REQUIRED},
    {.key = "credentials", .type = BB_F_CUSTOM, .custom = bb_decode_credentials},
    {.key = "secrets_dir", .type = BB_F_STR, .off = CFG(secrets_dir)},
    {.key = "secrets", .type = BB_F_CUSTOM, .custom = decode_secret_names},
    {.key = "dns", .type = BB_F_MAP, .sub = tenant_dns_fields},
    {.key = "redaction", .type = BB_F_MAP, .sub = bb_redaction_fields},
    {.key = "placeholders_file", .type = BB_F_STR, .off = CFG(placeholders_file)},
    {.key = "max_connections",
     .type = BB_F_U32,
     .off = CFG(max_connections),
     .min = 1,
     .max = BB_MAX_CONNECTIONS_LIMIT},
    {0},
};

/* ---- match ---- */

static int iface_elem(struct bb_cctx *ctx, const struct bb_ynode *n, void *dst, size_t i)
{
    (void)i;
    const struct bb_config *c = ctx->cfg;
    /* client_interfaces holds NULLs where its own entries were refused */
    for (size_t k = 0; n->kind == BB_Y_SCALAR && c->gateway.client_interfaces != NULL &&
                       k < c->gateway.nclient_interfaces;
         k++)
        if (c->gateway.client_interfaces[k] != NULL &&
            strcmp(n->str, c->gateway.client_interfaces[k]) == 0) {
            *(uint16_t *)dst = (uint16_t)k;
            return 0;
        }
    bb_cerr(ctx, n, "not one of gateway.client_interfaces");
    return -1;
}

static int decode_ifaces(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_config *t = base;
    void *arr;
    if (v->kind == BB_Y_SEQ && v->count == 0) {
        bb_cerr(ctx, v, "a tenant needs at least one interface");
        return -1;
    }
    int rc = bb_decode_seq(ctx, v, sizeof(uint16_t), BB_MAX_CLIENT_IFACES, iface_elem, &arr,
                           &t->match.nifaces);
    t->match.ifaces = arr;
    return rc;
}

static int source_elem(struct bb_cctx *ctx, const struct bb_ynode *n, void *dst, size_t i)
{
    (void)i;
    const char *why = n->kind == BB_Y_SCALAR ? bb_cidr_parse(n->str, n->len, dst) : "not a CIDR";
    if (why != NULL)
        bb_cerr(ctx, n, "invalid source: %s", why);
    return why != NULL ? -1 : 0;
}

static int decode_sources(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_config *t = base;
    void *arr;
    if (v->kind == BB_Y_SEQ && v->count == 0) {
        bb_cerr(ctx, v, "a tenant needs at least one source");
        return -1;
    }
    int rc = bb_decode_seq(ctx, v, sizeof(struct bb_cidr), BB_TENANT_SOURCES_MAX, source_elem, &arr,
                           &t->match.nsources);
    t->match.sources = arr;
    return rc;
}

/* ---- secrets: a named subset ---- */

static int secret_name_elem(struct bb_cctx *ctx, const struct bb_ynode *n, void *dst, size_t i)
{
    (void)i;
    const char **name = dst;
    if (bb_decode_string(ctx, n, name) != 0)
        return -1;
    if ((*name)[0] == '\0' || strchr(*name, '/') != NULL || strcmp(*name, ".") == 0 ||
        strcmp(*name, "..") == 0) {
        bb_cerr(ctx, n, "a secret's name is a file name in secrets_dir");
        return -1;
    }
    return 0;
}

static int decode_secret_names(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_config *t = base;
    void *arr;
    int rc = bb_decode_seq(ctx, v, sizeof(char *), BB_TENANT_SECRETS_MAX, secret_name_elem, &arr,
                           &t->nsecret_names);
    t->secret_names = arr;
    if (rc == 0 && t->nsecret_names == 0) {
        bb_cerr(ctx, v, "at least one name (leave the key out to allow any)");
        return -1;
    }
    return rc;
}

static bool listed_secret(const struct bb_config *t, const char *name)
{
    for (size_t i = 0; i < t->nsecret_names; i++)
        if (t->secret_names[i] != NULL && strcmp(t->secret_names[i], name) == 0)
            return true;
    return false;
}

/* m[key], when it names a secret outside t's subset: an error there. */
static void check_ref(struct bb_cctx *ctx, const struct bb_config *t, const struct bb_ynode *m,
                      const char *key)
{
    const struct bb_ynode *v = bb_ymap_get(m, key);
    if (v == NULL || v->kind != BB_Y_SCALAR || listed_secret(t, v->str))
        return;
    size_t saved = bb_cctx_push_key(ctx, key);
    bb_cerr(ctx, v, "unknown secret ref '%s': not one of this tenant's secrets", v->str);
    bb_cctx_pop(ctx, saved);
}

/* Every ref of a list of maps (rules' header_rewrites, credentials). */
static void check_list(struct bb_cctx *ctx, const struct bb_config *t, const struct bb_ynode *seq,
                       const char *const *keys, size_t nkeys)
{
    size_t i = 0;
    for (const struct bb_ynode *m = seq != NULL && seq->kind == BB_Y_SEQ ? seq->first : NULL;
         m != NULL; m = m->next, i++) {
        size_t saved = bb_cctx_push_index(ctx, i);
        const struct bb_ynode *kind = bb_ymap_get(m, "kind");
        bool oauth = kind != NULL && kind->kind == BB_Y_SCALAR && strcmp(kind->str, "oauth2") == 0;
        for (size_t k = oauth; k < nkeys; k++) /* an oauth2 secret_ref is its name, no file */
            check_ref(ctx, t, m, keys[k]);
        bb_cctx_pop(ctx, saved);
    }
}

/* With tenants[].secrets, a ref to any other secret is an error at its
 * position: the tenant's keys are the ones the operator listed. */
static void check_secret_refs(struct bb_cctx *ctx, const struct bb_config *t,
                              const struct bb_ynode *n)
{
    static const char *const cred_keys[] = {
        "secret_ref",    "access_key_id_ref", "secret_access_key_ref", "session_token_ref",
        "client_id_ref", "client_secret_ref", "refresh_token_ref"};
    static const char *const rewrite_keys[] = {"secret_ref"};
    if (t->nsecret_names == 0)
        return;
    size_t saved = bb_cctx_push_key(ctx, "credentials");
    check_list(ctx, t, bb_ymap_get(n, "credentials"), cred_keys, BB_ARRAY_LEN(cred_keys));
    bb_cctx_pop(ctx, saved);
    const struct bb_ynode *ep = bb_ymap_get(n, "egress_policy");
    const struct bb_ynode *rules = ep != NULL ? bb_ymap_get(ep, "rules") : NULL;
    saved = bb_cctx_push_key(ctx, "egress_policy");
    size_t s2 = bb_cctx_push_key(ctx, "rules");
    size_t i = 0;
    for (const struct bb_ynode *r = rules != NULL && rules->kind == BB_Y_SEQ ? rules->first : NULL;
         r != NULL; r = r->next, i++) {
        size_t s3 = bb_cctx_push_index(ctx, i);
        size_t s4 = bb_cctx_push_key(ctx, "header_rewrites");
        check_list(ctx, t, bb_ymap_get(r, "header_rewrites"), rewrite_keys, 1);
        bb_cctx_pop(ctx, s4);
        bb_cctx_pop(ctx, s3);
    }
    bb_cctx_pop(ctx, s2);
    bb_cctx_pop(ctx, saved);
}

/* ---- one tenant ---- */

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              strchr("-_.", s[i]) != NULL))
            return false;
    return n > 0 && n <= BB_TENANT_NAME_MAX;
}

/* The base's settings, none of its policy or credentials. */
static struct bb_config *fresh(struct bb_cctx *ctx, const struct bb_config *base, size_t i,
                               const struct bb_ynode *n)
{
    struct bb_config *t = bb_arena_alloc(ctx->arena, sizeof(*t));
    if (t == NULL) {
        ctx->oom = 1;
        return NULL;
    }
    *t = *base;
    memset(&t->egress, 0, sizeof(t->egress));
    t->egress.default_action = BB_ACTION_DENY;
    t->egress.enforce = true;
    memset(&t->credentials, 0, sizeof(t->credentials));
    memset(&t->tenants, 0, sizeof(t->tenants));
    memset(&t->match, 0, sizeof(t->match));
    t->secret_names = NULL;
    t->nsecret_names = 0;
    t->policy = NULL;
    t->tmatch = NULL;
    t->unmatched = "";
    t->unmatched_index = -1;
    t->placeholders_file = ""; /* a tenant's own, or none: never a file another writes */
    t->tenant_name = NULL;
    t->tenant_index = (uint32_t)i;
    t->tenant_pos = (struct bb_srcpos){n->line, n->col};
    return t;
}

static void key_error(struct bb_cctx *ctx, const struct bb_ynode *m, const char *key,
                      const char *msg)
{
    size_t saved = bb_cctx_push_key(ctx, key);
    bb_cerr(ctx, bb_ymap_get(m, key), "%s", msg);
    bb_cctx_pop(ctx, saved);
}

static const struct bb_config *tenant(struct bb_cctx *ctx, const struct bb_ynode *n, size_t i)
{
    struct bb_config *base = ctx->cfg, *t = fresh(ctx, base, i, n);
    if (t == NULL)
        return NULL;
    ctx->cfg = t; /* what the decoders and phases below fill */
    int rc = bb_decode_map(ctx, n, tenant_fields, t);
    if (rc == 0 && !name_ok(t->tenant_name))
        key_error(ctx, n, "name", "a name is 1 to 63 of a-z 0-9 - _ .");
    if (rc == 0 && t->secrets_dir[0] == '\0')
        key_error(ctx, n, "secrets_dir", "must not be empty");
    if (rc == 0)
        check_secret_refs(ctx, t, n);
    t->policy = bb_policy_new(t, bb_config_report_dup, ctx);
    if (t->policy == NULL)
        ctx->oom = 1;
    else
        bb_config_credentials_finish(ctx);
    ctx->cfg = base;
    if (t->tenant_name == NULL)
        t->tenant_name = "";
    return t;
}

/* ---- all of them ---- */

/* Two tenants with the same name, or writing the same placeholders_file
 * (each would overwrite the other's placeholders). */
static int same_name(struct bb_cctx *ctx, const struct bb_config *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) {
            const struct bb_config *a = list[j], *b = list[i];
            bool name = b->tenant_name[0] && strcmp(b->tenant_name, a->tenant_name) == 0;
            bool file =
                b->placeholders_file[0] && strcmp(b->placeholders_file, a->placeholders_file) == 0;
            if (!name && !file)
                continue;
            size_t saved = bb_cctx_push_index(ctx, i);
            bb_cerr_pos(ctx, b->tenant_pos, "the same %s as tenants[%zu] (line %u)",
                        name ? "name" : "placeholders_file", j, a->tenant_pos.line);
            bb_cctx_pop(ctx, saved);
            return -1;
        }
    return 0;
}

/* Every (interface, source) pair is an element of the ruleset's
 * anti-spoofing set: a bound on them all. */
static int pairs_bounded(struct bb_cctx *ctx, const struct bb_ynode *v,
                         const struct bb_config *const *list, size_t n)
{
    size_t pairs = 0;
    for (size_t i = 0; i < n; i++)
        pairs += list[i]->match.nifaces * list[i]->match.nsources;
    if (pairs <= BB_TENANT_PAIRS_MAX)
        return 0;
    bb_cerr(ctx, v, "%zu (interface, source) pairs in all; at most %u", pairs, BB_TENANT_PAIRS_MAX);
    return -1;
}

/* The matcher, by address alone: the ruleset admits a tenant's source
 * only from that tenant's interfaces (nft/build.c, tenant_guard), so once
 * admitted the address names the tenant. Two tenants' sources that share
 * an address are therefore an error whatever their interfaces, named with
 * both positions. */
static void build_matcher(struct bb_cctx *ctx, const struct bb_config *const *list, size_t n)
{
    struct bb_config *base = ctx->cfg;
    struct bb_tmatch_spec *specs = bb_arena_calloc(ctx->arena, n, sizeof(*specs));
    if (specs == NULL) {
        ctx->oom = 1;
        return;
    }
    static const uint16_t any = BB_TMATCH_ANY_IFACE;
    for (size_t i = 0; i < n; i++)
        specs[i] =
            (struct bb_tmatch_spec){&any, 1, list[i]->match.sources, list[i]->match.nsources};
    struct bb_tmatch_err err;
    base->tmatch = bb_tmatch_build(specs, n, 1, &err);
    if (base->tmatch != NULL || !err.overlap) {
        ctx->oom |= base->tmatch == NULL && errno == ENOMEM;
        return;
    }
    char a[BB_CIDR_TEXT_MAX], b[BB_CIDR_TEXT_MAX];
    if (err.tenant_a > err.tenant_b) { /* the error is the later tenant's */
        size_t t = err.tenant_a, k = err.cidr_a;
        err.tenant_a = err.tenant_b, err.cidr_a = err.cidr_b;
        err.tenant_b = t, err.cidr_b = k;
    }
    const struct bb_config *ta = list[err.tenant_a], *tb = list[err.tenant_b];
    bb_cidr_format(&ta->match.sources[err.cidr_a], a, sizeof(a));
    bb_cidr_format(&tb->match.sources[err.cidr_b], b, sizeof(b));
    size_t saved = bb_cctx_push_index(ctx, tb->tenant_index);
    bb_cctx_push_key(ctx, "match");
    bb_cerr_pos(ctx, tb->tenant_pos,
                "overlaps tenants[%u] '%s' (line %u): %s and %s share addresses (an address "
                "names one tenant, whatever the interface)",
                ta->tenant_index, ta->tenant_name, ta->tenant_pos.line, b, a);
    bb_cctx_pop(ctx, saved);
}

void bb_config_tenants_finish(struct bb_cctx *ctx, const struct bb_ynode *root)
{
    struct bb_config *base = ctx->cfg;
    const struct bb_ynode *v = bb_ymap_get(root, "tenants");
    if (v == NULL || bb_ynode_is_null(v)) {
        if (base->unmatched[0] != '\0')
            key_error(ctx, root, "unmatched_tenant", "there are no tenants");
        return;
    }
    size_t saved = bb_cctx_push_key(ctx, "tenants");
    if (v->kind != BB_Y_SEQ || v->count == 0 || v->count > BB_MAX_TENANTS) {
        bb_cerr(ctx, v, "a list of 1 to %u tenants", BB_MAX_TENANTS);
        bb_cctx_pop(ctx, saved);
        return;
    }
    if (ctx->opts != NULL && ctx->opts->client_interface != NULL) {
        /* botbox run: its one interface replaced the file's, which the
         * tenants' matches name */
        bb_cerr(ctx, v,
                "botbox run serves one workload: tenants are for the per-node gateway "
                "(botbox serve)");
        bb_cctx_pop(ctx, saved);
        return;
    }
    if (base->mode != BB_MODE_GATEWAY)
        bb_cerr(ctx, v, "tenants are for mode: gateway (a sidecar serves one workload)");
    if (bb_ymap_get(root, "egress_policy") != NULL || bb_ymap_get(root, "credentials") != NULL)
        bb_cerr(ctx, v,
                "with tenants, each tenant has its own egress_policy and credentials "
                "(none at the top level)");
    if (bb_ymap_get(root, "placeholders_file") != NULL) {
        bb_cctx_pop(ctx, saved);
        key_error(ctx, root, "placeholders_file",
                  "with tenants, each tenant has its own placeholders_file (none at the top "
                  "level)");
        saved = bb_cctx_push_key(ctx, "tenants");
    }
    const struct bb_config **list = bb_arena_calloc(ctx->arena, v->count, sizeof(*list));
    if (list == NULL) {
        ctx->oom = 1;
        bb_cctx_pop(ctx, saved);
        return;
    }
    size_t i = 0, before = bb_diag_errors(ctx->diag);
    for (const struct bb_ynode *n = v->first; n != NULL && !ctx->oom; n = n->next, i++) {
        size_t s = bb_cctx_push_index(ctx, i);
        list[i] = n->kind == BB_Y_MAP ? tenant(ctx, n, i) : NULL;
        if (n->kind != BB_Y_MAP)
            bb_cerr(ctx, n, "a tenant is a mapping, got %s", bb_ynode_kind_name(n));
        bb_cctx_pop(ctx, s);
    }
    base->tenants.list = (const struct bb_config *const *)list;
    base->tenants.n = i;
    if (bb_diag_errors(ctx->diag) == before && same_name(ctx, list, i) == 0 &&
        pairs_bounded(ctx, v, list, i) == 0)
        build_matcher(ctx, list, i);
    bb_cctx_pop(ctx, saved);
    const struct bb_config *u = base->unmatched[0] ? bb_config_tenant(base, base->unmatched) : NULL;
    base->unmatched_index = u != NULL ? (long)u->tenant_index : -1;
    if (base->unmatched[0] != '\0' && u == NULL) {
        size_t s = bb_cctx_push_key(ctx, "unmatched_tenant");
        bb_cerr(ctx, bb_ymap_get(root, "unmatched_tenant"), "no tenant is named '%s'",
                base->unmatched);
        bb_cctx_pop(ctx, s);
    }
}

const struct bb_config *bb_config_tenant(const struct bb_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->tenants.n; i++)
        if (cfg->tenants.list[i] != NULL && strcmp(cfg->tenants.list[i]->tenant_name, name) == 0)
            return cfg->tenants.list[i];
    return NULL;
}

void bb_config_tenants_free(const struct bb_config *cfg)
{
    for (size_t i = 0; i < cfg->tenants.n; i++)
        if (cfg->tenants.list[i] != NULL)
            bb_policy_free((struct bb_policy *)cfg->tenants.list[i]->policy);
    bb_tmatch_free((struct bb_tmatch *)cfg->tmatch);
}
