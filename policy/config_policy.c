/*
 * Decoding of egress_policy: rules (host, action, ports, methods, paths,
 * tls mode, header rewrites) and flows. Each list element is decoded with a
 * field table, then checked as a whole by a *_finish() function that knows
 * the cross-key rules (e.g. passthrough cannot inject secrets).
 */
#include "policy/config_int.h"

#include "common/arena.h"
#include "common/chars.h"
#include "common/hop.h"
#include "policy/path.h"

#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

static const char *const action_names[] = {"deny", "allow", NULL};
static const char *const tls_names[] = {"intercept", "passthrough", NULL};
static const char *const proto_names[] = {"tcp", "udp", NULL};

/* ---- header rewrites ---- */

static const struct bb_field rewrite_fields[] = {
    {.key = "name",
     .type = BB_F_STR,
     .off = offsetof(struct bb_rewrite, name),
     .flags = BB_F_REQUIRED},
    {.key = "value",
     .type = BB_F_STR,
     .off = offsetof(struct bb_rewrite, value),
     .flags = BB_F_REQUIRED},
    {.key = "secret_ref", .type = BB_F_STR, .off = offsetof(struct bb_rewrite, secret_ref)},
    {0},
};

static const char *check_header_name(const char *name)
{
    if (name[0] == '\0')
        return "empty header name";
    for (const char *p = name; *p; p++)
        if (!bb_is_tchar((unsigned char)*p))
            return "invalid header name";
    /* Host is set by botbox; hop-by-hop headers never cross it. */
    if (strcasecmp(name, "host") == 0 || bb_is_hop_by_hop(name, strlen(name)))
        return "header cannot be used in rewrites (reserved or hop-by-hop)";
    return NULL;
}

/* Visible ASCII, space and tab only: a CR or LF here would let the config
 * inject extra header lines. */
static const char *check_header_value(const char *v)
{
    size_t len = strlen(v);
    if (len > BB_HEADER_VALUE_MAX)
        return "header value too long";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (!(c == '\t' || (c >= 0x20 && c < 0x7f)))
            return "invalid character in header value";
    }
    return NULL;
}

const char *bb_check_secret_name(const char *s)
{
    size_t len = strlen(s);
    if (len == 0)
        return "empty secret_ref";
    if (len > BB_SECRET_NAME_MAX)
        return "secret_ref too long";
    if (strchr(s, '/') != NULL)
        return "secret_ref must be a file name, not a path";
    if (s[0] == '.')
        return "secret_ref cannot start with '.' (dotfiles are never loaded)";
    return NULL;
}

static void rewrite_field_error(struct bb_cctx *ctx, const struct bb_ynode *m, const char *key,
                                const char *why, const char *shown)
{
    size_t saved = bb_cctx_push_key(ctx, key);
    bb_cerr(ctx, bb_ymap_get(m, key), "%s: '%s'", why, shown);
    bb_cctx_pop(ctx, saved);
}

/* A literal value (no secret_ref) that looks like a credential: by the
 * header it sets, or by its shape. The file is then a secret itself, and
 * the sandbox hides secrets_dir, not every file a config may sit in. */
static bool looks_like_credential(const struct bb_rewrite *rw)
{
    static const char *const names[] = {"authorization", "proxy-authorization", "x-api-key",
                                        "api-key",       "x-auth-token",        "cookie",
                                        "private-token"};
    static const char *const shapes[] = {"Bearer ", "Basic ", "Token ", "sk-", "ghp_", "xoxb-"};
    if (rw->secret_ref != NULL)
        return false;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(rw->name, names[i]) == 0)
            return true;
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
        if (strncasecmp(rw->value, shapes[i], strlen(shapes[i])) == 0)
            return true;
    return false;
}

static int rewrite_elem(struct bb_cctx *ctx, const struct bb_ynode *n, void *dst, size_t i)
{
    (void)i;
    struct bb_rewrite *rw = dst;
    rw->pos = (struct bb_srcpos){n->line, n->col};
    if (bb_decode_map(ctx, n, rewrite_fields, rw) != 0 || rw->name == NULL || rw->value == NULL)
        return -1;
    const char *why = check_header_name(rw->name);
    if (why != NULL) {
        rewrite_field_error(ctx, n, "name", why, rw->name);
        return -1;
    }
    if ((why = check_header_value(rw->value)) != NULL) {
        /* The value is not echoed: it may hold a literal credential. */
        size_t saved = bb_cctx_push_key(ctx, "value");
        bb_cerr(ctx, bb_ymap_get(n, "value"), "%s", why);
        bb_cctx_pop(ctx, saved);
        return -1;
    }
    if (rw->secret_ref != NULL && (why = bb_check_secret_name(rw->secret_ref)) != NULL) {
        rewrite_field_error(ctx, n, "secret_ref", why, rw->secret_ref);
        return -1;
    }
    bool placeholder = strstr(rw->value, "{value}") != NULL;
    if (rw->secret_ref != NULL && !placeholder)
        bb_cwarn(ctx, n, "secret_ref is set but value has no {value} placeholder");
    if (rw->secret_ref == NULL && placeholder)
        bb_cwarn(ctx, n, "value has a {value} placeholder but no secret_ref; it is sent as is");
    else if (looks_like_credential(rw))
        bb_cwarn(ctx, n,
                 "a literal value for %s looks like a credential: keep it in secrets_dir and "
                 "name it with secret_ref (whoever reads this file has it)",
                 rw->name);
    return 0;
}

static int decode_rewrites(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_rule *r = base;
    void *arr;
    int rc = bb_decode_seq(ctx, v, sizeof(struct bb_rewrite), BB_MAX_REWRITES_PER_RULE,
                           rewrite_elem, &arr, &r->nrewrites);
    struct bb_rewrite *rw = arr;
    r->rewrites = rw; /* published even on error: count and array always agree */
    if (rc != 0)
        return -1;
    for (size_t i = 0; i < r->nrewrites; i++)
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(rw[i].name, rw[j].name) == 0) {
                size_t saved = bb_cctx_push_index(ctx, i);
                bb_cerr_pos(ctx, rw[i].pos, "header '%s' is rewritten twice", rw[i].name);
                bb_cctx_pop(ctx, saved);
                return -1;
            }
    return 0;
}

/* ---- ports, methods, paths ---- */

static int decode_allowed_ports(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_rule *r = base;
    if (bb_ynode_is_null(v))
        return 0; /* same as absent: the default [443] */
    if (v->kind == BB_Y_SEQ && v->count == 0) {
        bb_cerr(ctx, v, "allowed_ports cannot be empty (omit it to allow port 443 only)");
        return -1;
    }
    if (bb_decode_ports(ctx, v, &r->ports, &r->nports) != 0)
        return -1;
    r->ports_default = false;
    return 0;
}

static int method_elem(struct bb_cctx *ctx, const struct bb_ynode *n, void *dst, size_t i)
{
    (void)i;
    unsigned bit = 0;
    if (n->kind == BB_Y_SCALAR)
        bit = bb_method_from_token(n->str, n->len);
    if (bit == 0) {
        if (n->kind == BB_Y_SCALAR &&
            (strcasecmp(n->str, "CONNECT") == 0 || strcasecmp(n->str, "TRACE") == 0))
            bb_cerr(ctx, n, "method %s is never allowed by botbox", n->str);
        else
            bb_cerr(ctx, n, "unknown method (use GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS)");
        return -1;
    }
    *(unsigned *)dst = bit;
    return 0;
}

static int decode_methods(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_rule *r = base;
    void *arr;
    size_t n;
    if (bb_ynode_is_null(v))
        return 0;
    if (v->kind == BB_Y_SEQ && v->count == 0) {
        bb_cerr(ctx, v, "methods cannot be empty (omit it to allow any method)");
        return -1;
    }
    if (bb_decode_seq(ctx, v, sizeof(unsigned), 16, method_elem, &arr, &n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        r->methods |= ((unsigned *)arr)[i];
    return 0;
}

static int path_elem(struct bb_cctx *ctx, const struct bb_ynode *n, void *dst, size_t i)
{
    (void)i;
    if (n->kind != BB_Y_SCALAR) {
        bb_cerr(ctx, n, "expected a path string");
        return -1;
    }
    if (memchr(n->str, '?', n->len) != NULL) {
        bb_cerr(ctx, n, "a path prefix cannot contain a query ('?')");
        return -1;
    }
    char *out = bb_arena_alloc(ctx->arena, n->len + 1);
    size_t outlen, pathlen;
    if (out == NULL) {
        ctx->oom = 1;
        return -1;
    }
    const char *why = bb_path_normalize(n->str, n->len, out, n->len + 1, &outlen, &pathlen);
    if (why != NULL) {
        bb_cerr(ctx, n, "%s", why);
        return -1;
    }
    *(const char **)dst = out;
    return 0;
}

static int decode_paths(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_rule *r = base;
    void *arr;
    if (bb_ynode_is_null(v))
        return 0;
    if (v->kind == BB_Y_SEQ && v->count == 0) {
        bb_cerr(ctx, v, "paths cannot be empty (omit it to allow any path)");
        return -1;
    }
    int rc =
        bb_decode_seq(ctx, v, sizeof(char *), BB_MAX_PATHS_PER_RULE, path_elem, &arr, &r->npaths);
    r->paths = arr;
    return rc;
}

/* ---- rules ---- */

static const struct bb_field rule_fields[] = {
    {.key = "host",
     .type = BB_F_STR,
     .off = offsetof(struct bb_rule, host_raw),
     .flags = BB_F_REQUIRED},
    {.key = "action",
     .type = BB_F_ENUM,
     .off = offsetof(struct bb_rule, action),
     .names = action_names,
     .flags = BB_F_REQUIRED},
    {.key = "allowed_ports", .type = BB_F_CUSTOM, .custom = decode_allowed_ports},
    {.key = "methods", .type = BB_F_CUSTOM, .custom = decode_methods},
    {.key = "paths", .type = BB_F_CUSTOM, .custom = decode_paths},
    {.key = "tls", .type = BB_F_ENUM, .off = offsetof(struct bb_rule, tls), .names = tls_names},
    {.key = "allow_private", .type = BB_F_BOOL, .off = offsetof(struct bb_rule, allow_private)},
    {.key = "header_rewrites", .type = BB_F_CUSTOM, .custom = decode_rewrites},
    {0},
};

static const uint16_t port_443[] = {443};

static int rule_host(struct bb_cctx *ctx, const struct bb_ynode *m, struct bb_rule *r)
{
    const struct bb_ynode *hn = bb_ymap_get(m, "host");
    size_t saved = bb_cctx_push_key(ctx, "host");
    int rc = -1;
    size_t len = strlen(r->host_raw);
    r->host_pos = (struct bb_srcpos){hn->line, hn->col};
    if (len == 0 || strspn(r->host_raw, " \t") == len) {
        bb_cerr(ctx, hn, "empty host");
    } else if (r->host_raw[0] == ' ' || r->host_raw[0] == '\t' || r->host_raw[len - 1] == ' ' ||
               r->host_raw[len - 1] == '\t') {
        bb_cerr(ctx, hn, "host '%s' has leading or trailing whitespace", r->host_raw);
    } else {
        const char *why = bb_host_parse(r->host_raw, len, BB_HOST_WILDCARD, &r->host);
        if (why != NULL)
            bb_cerr(ctx, hn, "invalid host '%s': %s", r->host_raw, why);
        else
            rc = 0;
        if (rc == 0 && r->host.port != 0)
            bb_cwarn(ctx, hn, "the port in '%s' is ignored; list ports in allowed_ports",
                     r->host_raw);
    }
    bb_cctx_pop(ctx, saved);
    return rc;
}

static bool has_secret_rewrite(const struct bb_rule *r)
{
    for (size_t i = 0; i < r->nrewrites; i++)
        if (r->rewrites[i].secret_ref != NULL)
            return true;
    return false;
}

static int rule_finish(struct bb_cctx *ctx, const struct bb_ynode *m, struct bb_rule *r)
{
    int rc = rule_host(ctx, m, r);
    if (r->nports == 0) {
        r->ports = port_443;
        r->nports = 1;
        r->ports_default = true;
    }
    if (r->tls == BB_TLS_PASSTHROUGH && has_secret_rewrite(r)) {
        bb_cerr(ctx, bb_ymap_get(m, "tls"),
                "tls: passthrough cannot inject secrets (header_rewrites with secret_ref); "
                "use tls: intercept");
        rc = -1;
    }
    if (r->tls == BB_TLS_PASSTHROUGH && (r->methods != 0 || r->npaths > 0)) {
        bb_cerr(ctx, bb_ymap_get(m, "tls"),
                "tls: passthrough cannot check methods or paths (nothing is decrypted)");
        rc = -1;
    }
    if (r->action == BB_ACTION_DENY &&
        (r->nrewrites > 0 || r->methods != 0 || r->npaths > 0 || !r->ports_default))
        bb_cwarn(ctx, m, "a deny rule ignores allowed_ports, methods, paths and header_rewrites");
    return rc;
}

static int rule_elem(struct bb_cctx *ctx, const struct bb_ynode *n, void *dst, size_t i)
{
    struct bb_rule *r = dst;
    r->index = (uint32_t)i;
    r->pos = (struct bb_srcpos){n->line, n->col};
    if (n->kind != BB_Y_MAP) {
        bb_cerr(ctx, n, "expected a rule mapping, got %s", bb_ynode_kind_name(n));
        return -1;
    }
    int rc = bb_decode_map(ctx, n, rule_fields, r);
    if (r->host_raw == NULL)
        return -1; /* missing host: already reported */
    if (rule_finish(ctx, n, r) != 0)
        rc = -1;
    return rc;
}

static int decode_rules(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_config *cfg = base;
    void *arr;
    int rc = bb_decode_seq(ctx, v, sizeof(struct bb_rule), SIZE_MAX / sizeof(struct bb_rule),
                           rule_elem, &arr, &cfg->egress.nrules);
    cfg->egress.rules = arr;
    return rc;
}

/* ---- flows ---- */

static int decode_flow_ports(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_flow *f = base;
    if (bb_ynode_is_null(v) || (v->kind == BB_Y_SEQ && v->count == 0)) {
        bb_cerr(ctx, v, "ports cannot be empty (list every port the flow may use)");
        return -1;
    }
    return bb_decode_ports(ctx, v, &f->ports, &f->nports);
}

static int decode_flow_cidr(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_flow *f = base;
    if (v->kind != BB_Y_SCALAR) {
        bb_cerr(ctx, v, "expected a CIDR string");
        return -1;
    }
    const char *why = bb_cidr_parse(v->str, v->len, &f->cidr);
    if (why != NULL) {
        bb_cerr(ctx, v, "invalid CIDR '%s': %s", v->str, why);
        return -1;
    }
    return 0;
}

static const struct bb_field flow_fields[] = {
    {.key = "proto",
     .type = BB_F_ENUM,
     .off = offsetof(struct bb_flow, proto),
     .names = proto_names,
     .flags = BB_F_REQUIRED},
    {.key = "cidr", .type = BB_F_CUSTOM, .custom = decode_flow_cidr, .flags = BB_F_REQUIRED},
    {.key = "ports", .type = BB_F_CUSTOM, .custom = decode_flow_ports, .flags = BB_F_REQUIRED},
    {0},
};

static int flow_elem(struct bb_cctx *ctx, const struct bb_ynode *n, void *dst, size_t i)
{
    struct bb_flow *f = dst;
    f->index = (uint32_t)i;
    f->pos = (struct bb_srcpos){n->line, n->col};
    if (n->kind != BB_Y_MAP) {
        bb_cerr(ctx, n, "expected a flow mapping, got %s", bb_ynode_kind_name(n));
        return -1;
    }
    int rc = bb_decode_map(ctx, n, flow_fields, f);
    f->proto = f->proto == 0 ? IPPROTO_TCP : IPPROTO_UDP; /* enum index -> protocol */
    return rc;
}

static int decode_flows(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_config *cfg = base;
    void *arr;
    int rc =
        bb_decode_seq(ctx, v, sizeof(struct bb_flow), 65536, flow_elem, &arr, &cfg->egress.nflows);
    cfg->egress.flows = arr;
    return rc;
}

const struct bb_field bb_egress_fields[] = {
    {.key = "default_action",
     .type = BB_F_ENUM,
     .off = offsetof(struct bb_config, egress.default_action),
     .names = action_names,
     .flags = BB_F_TRACK},
    {.key = "enforce",
     .type = BB_F_BOOL,
     .off = offsetof(struct bb_config, egress.enforce),
     .flags = BB_F_TRACK},
    {.key = "rules", .type = BB_F_CUSTOM, .custom = decode_rules, .flags = BB_F_REQUIRED},
    {.key = "flows", .type = BB_F_CUSTOM, .custom = decode_flows},
    {0},
};

/* ---- methods ---- */

static const struct {
    const char *name;
    unsigned bit;
} methods[] = {
    {"GET", BB_METHOD_GET},         {"HEAD", BB_METHOD_HEAD},     {"POST", BB_METHOD_POST},
    {"PUT", BB_METHOD_PUT},         {"DELETE", BB_METHOD_DELETE}, {"PATCH", BB_METHOD_PATCH},
    {"OPTIONS", BB_METHOD_OPTIONS},
};

const char *bb_method_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (methods[i].bit == bit)
            return methods[i].name;
    return NULL;
}

unsigned bb_method_from_token(const char *tok, size_t len)
{
    /* Config lists are matched case-insensitively; request methods are
     * case-sensitive in HTTP, but llhttp only passes upper-case methods. */
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strlen(methods[i].name) == len && strncasecmp(methods[i].name, tok, len) == 0)
            return methods[i].bit;
    return 0;
}
