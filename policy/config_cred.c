/*
 * Decoding of credentials (secrets the workload holds placeholders for),
 * redaction and placeholders_file (docs/configuration.md, "Credentials").
 * An entry is decoded with a field table and checked as a whole; the
 * bound hosts default to those of the allow rules that reference the
 * secret, which needs the rules, so that part runs once the policy is
 * compiled (bb_config_credentials_finish).
 */
#include "policy/config_int.h"

#include "common/arena.h"
#include "policy/policy.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

#define CFG(member)  offsetof(struct bb_config, member)
#define CRED(member) offsetof(struct bb_credential, member)

static const char *const compressed_names[] = {"refuse", "pass", NULL};
static const char *const where_names[] = {"headers", "path", "query", "body", NULL};
static const char *const kind_names[] = {"static", "aws_sigv4", "oauth2", NULL};
static const char *const grant_names[] = {"client_credentials", "refresh_token", NULL};
static const char *const auth_names[] = {"basic", "post", NULL};

const struct bb_field bb_redaction_fields[] = {
    {.key = "enabled", .type = BB_F_BOOL, .off = CFG(redaction.enabled)},
    {.key = "compressed",
     .type = BB_F_ENUM,
     .off = CFG(redaction.compressed),
     .names = compressed_names},
    {0},
};

static const struct bb_field placeholder_fields[] = {
    {.key = "prefix", .type = BB_F_STR, .off = CRED(prefix)},
    {.key = "length",
     .type = BB_F_U32,
     .off = CRED(length),
     .min = BB_PLACEHOLDER_RANDOM_MIN,
     .max = BB_PLACEHOLDER_LEN_MAX},
    {0},
};

static int decode_hosts(struct bb_cctx *ctx, const struct bb_ynode *v, void *base);
static int decode_where(struct bb_cctx *ctx, const struct bb_ynode *v, void *base);
static int decode_scopes(struct bb_cctx *ctx, const struct bb_ynode *v, void *base);

static const struct bb_field credential_fields[] = {
    {.key = "kind", .type = BB_F_ENUM, .off = CRED(kind), .names = kind_names},
    {.key = "secret_ref", .type = BB_F_STR, .off = CRED(secret_ref)},
    {.key = "access_key_id_ref", .type = BB_F_STR, .off = CRED(secret_ref)},
    {.key = "secret_access_key_ref", .type = BB_F_STR, .off = CRED(secret_key_ref)},
    {.key = "session_token_ref", .type = BB_F_STR, .off = CRED(token_ref)},
    {.key = "region", .type = BB_F_STR, .off = CRED(region)},
    {.key = "service", .type = BB_F_STR, .off = CRED(service)},
    {.key = "secret_env", .type = BB_F_STR, .off = CRED(secret_env)},
    {.key = "placeholder", .type = BB_F_MAP, .sub = placeholder_fields},
    {.key = "env", .type = BB_F_STR, .off = CRED(env)},
    {.key = "hosts", .type = BB_F_CUSTOM, .custom = decode_hosts},
    {.key = "substitute_in", .type = BB_F_CUSTOM, .custom = decode_where},
    {.key = "name", .type = BB_F_STR, .off = CRED(secret_ref)},
    {.key = "grant", .type = BB_F_ENUM, .off = CRED(grant), .names = grant_names},
    {.key = "token_url", .type = BB_F_STR, .off = CRED(token_url)},
    {.key = "client_id_ref", .type = BB_F_STR, .off = CRED(client_id_ref)},
    {.key = "client_secret_ref", .type = BB_F_STR, .off = CRED(client_secret_ref)},
    {.key = "refresh_token_ref", .type = BB_F_STR, .off = CRED(refresh_token_ref)},
    {.key = "client_auth", .type = BB_F_ENUM, .off = CRED(client_auth), .names = auth_names},
    {.key = "scopes", .type = BB_F_CUSTOM, .custom = decode_scopes},
    {.key = "audience", .type = BB_F_STR, .off = CRED(audience)},
    {.key = "refresh_before",
     .type = BB_F_U32,
     .off = CRED(refresh_before),
     .max = BB_OAUTH_REFRESH_MAX},
    {0},
};

/* ---- hosts, substitute_in ---- */

static int host_elem(struct bb_cctx *ctx, const struct bb_ynode *n, void *dst, size_t i)
{
    (void)i;
    if (n->kind != BB_Y_SCALAR) {
        bb_cerr(ctx, n, "expected a host, got %s", bb_ynode_kind_name(n));
        return -1;
    }
    struct bb_host *h = dst;
    const char *why = bb_host_parse(n->str, n->len, BB_HOST_WILDCARD, h);
    if (why == NULL && h->port != 0)
        why = "a bound host has no port";
    if (why != NULL) {
        bb_cerr(ctx, n, "invalid host '%s': %s", n->str, why);
        return -1;
    }
    return 0;
}

static int decode_hosts(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_credential *c = base;
    if (bb_ynode_is_null(v))
        return 0;
    if (v->kind == BB_Y_SEQ && v->count == 0) {
        bb_cerr(ctx, v,
                "hosts cannot be empty (omit it for the hosts of the rules that "
                "reference the secret)");
        return -1;
    }
    void *arr;
    int rc = bb_decode_seq(ctx, v, sizeof(struct bb_host), BB_MAX_BOUND_HOSTS, host_elem, &arr,
                           &c->nhosts);
    c->hosts = arr;
    return rc;
}

static int where_elem(struct bb_cctx *ctx, const struct bb_ynode *n, void *dst, size_t i)
{
    (void)i;
    for (unsigned k = 0; n->kind == BB_Y_SCALAR && where_names[k] != NULL; k++)
        if (strcmp(n->str, where_names[k]) == 0) {
            *(unsigned *)dst = 1u << k;
            return 0;
        }
    bb_cerr(ctx, n, "expected one of headers, path, query, body");
    return -1;
}

static int decode_where(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_credential *c = base;
    if (bb_ynode_is_null(v))
        return 0;
    if (v->kind == BB_Y_SEQ && v->count == 0) {
        bb_cerr(ctx, v, "substitute_in cannot be empty (omit it for everywhere)");
        return -1;
    }
    void *arr;
    size_t n;
    if (bb_decode_seq(ctx, v, sizeof(unsigned), 8, where_elem, &arr, &n) != 0)
        return -1;
    c->substitute_in = 0;
    for (size_t i = 0; i < n; i++)
        c->substitute_in |= ((unsigned *)arr)[i];
    return 0;
}

/* RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
static bool scope_token(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
            return false;
    return n > 0 && n <= BB_OAUTH_TEXT_MAX;
}

static int scope_elem(struct bb_cctx *ctx, const struct bb_ynode *n, void *dst, size_t i)
{
    (void)i;
    if (n->kind != BB_Y_SCALAR || !scope_token(n->str, n->len)) {
        bb_cerr(ctx, n, "a scope is 1 to 1024 visible ASCII characters, no space, '\"' or '\\'");
        return -1;
    }
    *(const char **)dst = n->str;
    return 0;
}

/* The scopes joined by spaces, as the token request's scope parameter. */
static int decode_scopes(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_credential *c = base;
    void *arr;
    size_t n, len = 1;
    if (bb_ynode_is_null(v))
        return 0;
    if (bb_decode_seq(ctx, v, sizeof(char *), BB_OAUTH_SCOPES_MAX, scope_elem, &arr, &n) != 0)
        return -1;
    const char **list = arr;
    for (size_t i = 0; i < n; i++)
        len += strlen(list[i]) + 1;
    char *out = bb_arena_alloc(ctx->arena, len), *w = out;
    if (out == NULL) {
        ctx->oom = 1;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(list[i]);
        if (i > 0)
            *w++ = ' ';
        memcpy(w, list[i], k);
        w += k;
    }
    *w = '\0';
    c->scope = out;
    return 0;
}

/* ---- one entry ---- */

/* URL-unreserved characters only: a placeholder then needs no escaping in
 * a path, a query, a form, JSON or a header. */
static bool unreserved(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && strchr("-._~", *s) == NULL)
            return false;
    return true;
}

static bool env_name_ok(const char *s)
{
    if (!(isalpha((unsigned char)s[0]) || s[0] == '_') || strlen(s) > BB_ENV_NAME_MAX)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

/* BOTBOX_PLACEHOLDER_<SECRET_REF>, upper case, other bytes '_'. */
static const char *default_env(struct bb_cctx *ctx, const char *ref)
{
    static const char pre[] = "BOTBOX_PLACEHOLDER_";
    size_t n = strlen(ref);
    char *e = bb_arena_alloc(ctx->arena, sizeof(pre) + n);
    if (e == NULL) {
        ctx->oom = 1;
        return "";
    }
    memcpy(e, pre, sizeof(pre) - 1);
    for (size_t i = 0; i < n; i++)
        e[sizeof(pre) - 1 + i] =
            isalnum((unsigned char)ref[i]) ? (char)toupper((unsigned char)ref[i]) : '_';
    e[sizeof(pre) - 1 + n] = '\0';
    return e;
}

static void key_error(struct bb_cctx *ctx, const struct bb_ynode *m, const char *key,
                      const char *msg)
{
    size_t saved = bb_cctx_push_key(ctx, key);
    const struct bb_ynode *at = bb_ymap_get(m, key);
    bb_cerr(ctx, at != NULL ? at : m, "%s", msg);
    bb_cctx_pop(ctx, saved);
}

static int check_placeholder(struct bb_cctx *ctx, const struct bb_ynode *m, struct bb_credential *c)
{
    const struct bb_ynode *pm = bb_ymap_get(m, "placeholder");
    size_t plen = strlen(c->prefix);
    size_t saved = bb_cctx_push_key(ctx, "placeholder");
    int rc = -1;
    if (plen > BB_PLACEHOLDER_PREFIX_MAX || !unreserved(c->prefix))
        key_error(ctx, pm, "prefix", "at most 64 of the characters A-Z a-z 0-9 - . _ ~");
    else if (c->length != 0 && c->length < plen + BB_PLACEHOLDER_RANDOM_MIN)
        key_error(ctx, pm, "length", "must leave at least 16 random characters after the prefix");
    else
        rc = 0;
    bb_cctx_pop(ctx, saved);
    if (c->length == 0) /* at most 64 + 32: within BB_PLACEHOLDER_LEN_MAX */
        c->length = (uint32_t)plen + BB_PLACEHOLDER_RANDOM_DEFAULT;
    return rc;
}

/* Keys that only one kind takes. */
static const char *const aws_keys[] = {"access_key_id_ref",
                                       "secret_access_key_ref",
                                       "session_token_ref",
                                       "region",
                                       "service",
                                       "secret_env",
                                       NULL};

static const char *const oauth_keys[] = {"name",
                                         "grant",
                                         "token_url",
                                         "client_id_ref",
                                         "client_secret_ref",
                                         "refresh_token_ref",
                                         "client_auth",
                                         "scopes",
                                         "audience",
                                         "refresh_before",
                                         NULL};

static int only_for(struct bb_cctx *ctx, const struct bb_ynode *n, const char *const *keys,
                    const char *msg)
{
    for (size_t k = 0; keys[k] != NULL; k++)
        if (bb_ymap_get(n, keys[k]) != NULL) {
            key_error(ctx, n, keys[k], msg);
            return -1;
        }
    return 0;
}

static int check_keys(struct bb_cctx *ctx, const struct bb_ynode *n, const struct bb_credential *c)
{
    bool aws = c->kind == BB_CRED_AWS_SIGV4, oauth = c->kind == BB_CRED_OAUTH2;
    if ((!aws && only_for(ctx, n, aws_keys, "only for kind: aws_sigv4") != 0) ||
        (!oauth && only_for(ctx, n, oauth_keys, "only for kind: oauth2") != 0))
        return -1;
    const char *wrong = c->kind == BB_CRED_STATIC                 ? NULL
                        : bb_ymap_get(n, "secret_ref") != NULL    ? "secret_ref"
                        : bb_ymap_get(n, "substitute_in") != NULL ? "substitute_in"
                                                                  : NULL;
    if (wrong != NULL) {
        bool ref = strcmp(wrong, "secret_ref") == 0;
        key_error(ctx, n, wrong,
                  aws ? (ref ? "kind aws_sigv4 names access_key_id_ref and secret_access_key_ref"
                             : "an AWS credential is never substituted: botbox signs the request")
                      : (ref ? "kind oauth2 has a name and names client_id_ref, "
                               "client_secret_ref or refresh_token_ref"
                             : "an oauth2 credential is never substituted: botbox sets "
                               "Authorization"));
        return -1;
    }
    return 0;
}

static int check_ref(struct bb_cctx *ctx, const struct bb_ynode *n, const char *key,
                     const char *ref, bool required)
{
    const char *why = ref != NULL ? bb_check_secret_name(ref) : required ? "is required" : NULL;
    if (why != NULL)
        key_error(ctx, n, key, why);
    return why != NULL ? -1 : 0;
}

static bool scope_name_ok(const char *s)
{
    size_t n = strlen(s);
    return n <= 64 && unreserved(s);
}

/* An AWS credential: its refs, its scope, and the shape of an access key
 * id (AKIA and 16 more) for its placeholder unless one is given. */
static int check_aws(struct bb_cctx *ctx, const struct bb_ynode *n, struct bb_credential *c)
{
    if (check_ref(ctx, n, "access_key_id_ref", c->secret_ref, true) != 0 ||
        check_ref(ctx, n, "secret_access_key_ref", c->secret_key_ref, true) != 0 ||
        check_ref(ctx, n, "session_token_ref", c->token_ref, false) != 0)
        return -1;
    for (const char *const *k = (const char *const[]){"region", "service", NULL}; *k; k++) {
        const char *v = strcmp(*k, "region") == 0 ? c->region : c->service;
        if (v != NULL && (v[0] == '\0' || !scope_name_ok(v))) {
            key_error(ctx, n, *k, "at most 64 of the characters A-Z a-z 0-9 - . _ ~");
            return -1;
        }
    }
    if (c->region == NULL)
        c->region = "";
    if (c->service == NULL)
        c->service = "";
    if (bb_ymap_get(n, "placeholder") == NULL) {
        c->prefix = "AKIA";
        c->length = 20;
    }
    if (c->secret_env == NULL)
        c->secret_env = "AWS_SECRET_ACCESS_KEY";
    else if (c->secret_env[0] != '\0' && !env_name_ok(c->secret_env)) {
        key_error(ctx, n, "secret_env",
                  "not a variable name (a letter or _, then letters, digits, _)");
        return -1;
    }
    c->substitute_in = 0;
    return 0;
}

/* token_url: https://host[:port][/path], split into c's token_host,
 * token_port and token_path. A reason, or NULL. */
static const char *split_token_url(struct bb_cctx *ctx, struct bb_credential *c)
{
    const char *u = c->token_url;
    size_t n = strlen(u);
    if (n > BB_OAUTH_URL_MAX)
        return "longer than 2048 bytes";
    if (strncmp(u, "https://", 8) != 0)
        return "must be an https:// URL (the token and the client secret travel in it)";
    for (size_t i = 0; i < n; i++)
        if (u[i] <= 0x20 || u[i] >= 0x7f || u[i] == '#')
            return "visible ASCII only, no fragment";
    const char *auth = u + 8, *slash = strchr(auth, '/');
    size_t alen = slash != NULL ? (size_t)(slash - auth) : strlen(auth);
    if (memchr(auth, '@', alen) != NULL)
        return "no user:password@ (the client's secrets come from secrets_dir)";
    struct bb_host h;
    const char *why = bb_host_parse(auth, alen, 0, &h);
    if (why != NULL)
        return why;
    c->token_host = bb_arena_strndup(ctx->arena, h.name, h.len);
    c->token_path = slash != NULL ? slash : "/";
    c->token_port = h.port != 0 ? h.port : 443;
    if (c->token_host == NULL)
        ctx->oom = 1;
    return NULL;
}

/* An oauth2 credential: its name, token endpoint, and the secrets its
 * grant needs (client credentials: a client id and secret; refresh: a
 * refresh token, the client's id and secret when it has them). */
static int check_oauth(struct bb_cctx *ctx, const struct bb_ynode *n, struct bb_credential *c)
{
    bool refresh = c->grant == BB_GRANT_REFRESH_TOKEN;
    if (check_ref(ctx, n, "name", c->secret_ref, true) != 0 ||
        check_ref(ctx, n, "client_id_ref", c->client_id_ref, !refresh) != 0 ||
        check_ref(ctx, n, "client_secret_ref", c->client_secret_ref, !refresh) != 0 ||
        check_ref(ctx, n, "refresh_token_ref", c->refresh_token_ref, refresh) != 0)
        return -1;
    if (!refresh && c->refresh_token_ref != NULL) {
        key_error(ctx, n, "refresh_token_ref", "only for grant: refresh_token");
        return -1;
    }
    if (c->client_secret_ref != NULL && c->client_id_ref == NULL) {
        key_error(ctx, n, "client_secret_ref", "needs client_id_ref");
        return -1;
    }
    const char *why = c->token_url == NULL ? "is required" : split_token_url(ctx, c);
    if (why != NULL) {
        key_error(ctx, n, "token_url", why);
        return -1;
    }
    if (c->audience != NULL && !scope_token(c->audience, strlen(c->audience))) {
        key_error(ctx, n, "audience", "1 to 1024 visible ASCII characters, no space");
        return -1;
    }
    if (c->scope == NULL)
        c->scope = "";
    if (c->audience == NULL)
        c->audience = "";
    if (bb_ymap_get(n, "refresh_before") == NULL)
        c->refresh_before = BB_OAUTH_REFRESH_DEF;
    c->substitute_in = 0;
    return 0;
}

static int credential_elem(struct bb_cctx *ctx, const struct bb_ynode *n, void *dst, size_t i)
{
    struct bb_credential *c = dst;
    c->index = (uint32_t)i;
    c->pos = (struct bb_srcpos){n->line, n->col};
    c->prefix = "";
    c->substitute_in = BB_SUBST_IN_ALL;
    if (bb_decode_map(ctx, n, credential_fields, c) != 0 || check_keys(ctx, n, c) != 0)
        return -1;
    bool aws = c->kind == BB_CRED_AWS_SIGV4;
    int rc = aws                         ? check_aws(ctx, n, c)
             : c->kind == BB_CRED_OAUTH2 ? check_oauth(ctx, n, c)
                                         : check_ref(ctx, n, "secret_ref", c->secret_ref, true);
    if (rc != 0)
        return -1;
    if (check_placeholder(ctx, n, c) != 0)
        return -1;
    if (c->env == NULL)
        c->env = aws ? "AWS_ACCESS_KEY_ID" : default_env(ctx, c->secret_ref);
    else if (!env_name_ok(c->env)) {
        key_error(ctx, n, "env", "not a variable name (a letter or _, then letters, digits, _)");
        return -1;
    }
    if (c->secret_env == NULL)
        c->secret_env = "";
    return 0;
}

/* The same secret or variable twice would make one placeholder stand for
 * two things. */
static int check_unique(struct bb_cctx *ctx, const struct bb_credential *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) {
            const char *what =
                strcmp(c[i].secret_ref, c[j].secret_ref) == 0 ? "secret_ref"
                : strcmp(c[i].env, c[j].env) == 0             ? "env"
                : c[i].secret_env[0] != '\0' && (strcmp(c[i].secret_env, c[j].secret_env) == 0 ||
                                                 strcmp(c[i].secret_env, c[j].env) == 0)
                    ? "secret_env"
                    : NULL;
            if (what == NULL)
                continue;
            size_t saved = bb_cctx_push_index(ctx, i);
            bb_cerr_pos(ctx, c[i].pos, "the same %s as credentials[%zu] (line %u)", what, j,
                        c[j].pos.line);
            bb_cctx_pop(ctx, saved);
            return -1;
        }
    return 0;
}

int bb_decode_credentials(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_config *cfg = base;
    void *arr;
    int rc = bb_decode_seq(ctx, v, sizeof(struct bb_credential), BB_MAX_CREDENTIALS,
                           credential_elem, &arr, &cfg->credentials.n);
    cfg->credentials.list = arr; /* published even on error: count and array agree */
    if (rc != 0)
        return -1;
    return check_unique(ctx, arr, cfg->credentials.n);
}

/* ---- after the rules ---- */

static bool references(const struct bb_rule *r, const char *ref)
{
    for (size_t i = 0; r->action == BB_ACTION_ALLOW && i < r->nrewrites; i++)
        if (r->rewrites[i].secret_ref != NULL && strcmp(r->rewrites[i].secret_ref, ref) == 0)
            return true;
    return false;
}

/* The hosts of the allow rules that reference c's secret. */
static int default_hosts(struct bb_cctx *ctx, struct bb_credential *c)
{
    const struct bb_config *cfg = ctx->cfg;
    size_t n = 0;
    for (size_t i = 0; i < cfg->egress.nrules; i++)
        n += references(&cfg->egress.rules[i], c->secret_ref);
    if (n == 0)
        return -1;
    struct bb_host *h = bb_arena_calloc(ctx->arena, n, sizeof(*h));
    if (h == NULL) {
        ctx->oom = 1;
        return 0;
    }
    n = 0;
    for (size_t i = 0; i < cfg->egress.nrules; i++)
        if (references(&cfg->egress.rules[i], c->secret_ref))
            h[n++] = cfg->egress.rules[i].host;
    c->hosts = h;
    c->nhosts = n;
    c->hosts_default = true;
    return 0;
}

/* The allow rule that covers a bound host, or NULL (a warning: the
 * placeholder is then never substituted there). */
static const struct bb_rule *covering_rule(const struct bb_config *cfg, const struct bb_host *h)
{
    if (h->kind != BB_HOST_WILDCARD) {
        const struct bb_rule *r = bb_policy_match_host(cfg->policy, h);
        return r != NULL && r->action == BB_ACTION_ALLOW ? r : NULL;
    }
    for (size_t i = 0; i < cfg->egress.nrules; i++) {
        const struct bb_rule *r = &cfg->egress.rules[i];
        if (r->action == BB_ACTION_ALLOW &&
            (bb_host_covers(h, &r->host) || bb_host_covers(&r->host, h) ||
             strcmp(r->host.name, h->name) == 0))
            return r;
    }
    return NULL;
}

static void check_bound(struct bb_cctx *ctx, const struct bb_credential *c)
{
    size_t saved = bb_cctx_push_key(ctx, "credentials");
    bb_cctx_push_index(ctx, c->index);
    bb_cctx_push_key(ctx, "hosts");
    for (size_t k = 0; k < c->nhosts; k++) {
        const struct bb_rule *r = covering_rule(ctx->cfg, &c->hosts[k]);
        const char *why = r == NULL ? "no allow rule covers it: the placeholder is refused there"
                          : r->tls == BB_TLS_PASSTHROUGH
                              ? "its rule is tls: passthrough: nothing is decrypted, the "
                                "placeholder goes out unchanged"
                              : NULL;
        if (why != NULL)
            bb_cwarn_pos(ctx, c->pos, "bound host '%s': %s", c->hosts[k].name, why);
    }
    bb_cctx_pop(ctx, saved);
}

void bb_config_credentials_finish(struct bb_cctx *ctx)
{
    struct bb_config *cfg = ctx->cfg;
    for (size_t i = 0; i < cfg->credentials.n; i++) {
        struct bb_credential *c = (struct bb_credential *)&cfg->credentials.list[i];
        if (c->secret_ref == NULL)
            continue; /* failed to decode: reported */
        if (c->nhosts == 0 && (c->kind == BB_CRED_OAUTH2 || default_hosts(ctx, c) != 0)) {
            size_t saved = bb_cctx_push_key(ctx, "credentials");
            bb_cctx_push_index(ctx, i);
            bb_cerr_pos(ctx, c->pos,
                        "bound to no host: list hosts, or reference '%s' from a rule's "
                        "header_rewrites",
                        c->secret_ref);
            bb_cctx_pop(ctx, saved);
            continue;
        }
        check_bound(ctx, c);
    }
    const char *f = cfg->placeholders_file;
    if (f[0] != '\0' && f[0] != '/')
        bb_cerr_at(ctx, &cfg->placeholders_file, "placeholders_file", "must be an absolute path");
}

const struct bb_credential *bb_config_credential(const struct bb_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->credentials.n; i++)
        if (strcmp(cfg->credentials.list[i].secret_ref, name) == 0)
            return &cfg->credentials.list[i];
    return NULL;
}
