/*
 * Config loading: the top-level schema, defaults, and the load pipeline
 * (read file -> YAML tree -> decode -> environment -> cross-field checks ->
 * compile policy). Everything the config owns lives in one arena.
 */
#include "policy/config_int.h"

#include "common/arena.h"
#include "common/diag.h"
#include "policy/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(sizeof(enum bb_mode) == sizeof(int), "enums are decoded as int");
_Static_assert(sizeof(enum bb_action) == sizeof(int), "enums are decoded as int");
_Static_assert(sizeof(enum bb_tls_mode) == sizeof(int), "enums are decoded as int");

static const char *const mode_names[] = {"sidecar", "gateway", NULL};

#define CFG(member) offsetof(struct bb_config, member)

static const struct bb_field timeouts_fields[] = {
    {.key = "connect",
     .type = BB_F_U32,
     .off = CFG(timeouts.connect_ms),
     .min = 1,
     .max = BB_TIMEOUT_MAX_MS},
    {.key = "request_header",
     .type = BB_F_U32,
     .off = CFG(timeouts.request_header_ms),
     .min = 1,
     .max = BB_TIMEOUT_MAX_MS},
    {.key = "response_header",
     .type = BB_F_U32,
     .off = CFG(timeouts.response_header_ms),
     .min = 1,
     .max = BB_TIMEOUT_MAX_MS},
    {.key = "idle",
     .type = BB_F_U32,
     .off = CFG(timeouts.idle_ms),
     .min = 1,
     .max = BB_TIMEOUT_MAX_MS},
    {.key = "shutdown_drain",
     .type = BB_F_U32,
     .off = CFG(timeouts.shutdown_drain_ms),
     .min = 0,
     .max = BB_TIMEOUT_MAX_MS},
    {0},
};

static const struct bb_field upstream_fields[] = {
    {.key = "ca_file", .type = BB_F_STR, .off = CFG(upstream.ca_file)},
    {.key = "deny_private", .type = BB_F_BOOL, .off = CFG(upstream.deny_private)},
    {.key = "http2", .type = BB_F_BOOL, .off = CFG(upstream.http2)},
    {0},
};

static int iface_elem(struct bb_cctx *ctx, const struct bb_ynode *n, void *dst, size_t i)
{
    (void)i;
    const char **name = dst;
    if (bb_decode_string(ctx, n, name) != 0)
        return -1;
    size_t len = strlen(*name);
    bool bad = len == 0 || len > BB_IFNAME_MAX || strcmp(*name, ".") == 0 ||
               strcmp(*name, "..") == 0 || strpbrk(*name, "/: \t") != NULL;
    /* "cali*": every interface whose name starts so (nft's notation); the
     * star only last, after at least one character */
    const char *star = strchr(*name, '*');
    if (bad || (star != NULL && (star[1] != '\0' || star == *name))) {
        bb_cerr(ctx, n,
                bad ? "invalid interface name '%s'"
                    : "invalid interface pattern '%s': a prefix then one '*', last",
                *name);
        return -1;
    }
    return 0;
}

/* Whether interface name (or pattern) a covers b: the same name, or a
 * pattern b's name (or prefix) starts with. */
static bool covers(const char *a, const char *b)
{
    size_t la = strlen(a);
    if (la > 0 && a[la - 1] == '*')
        return strncmp(a, b, la - 1) == 0;
    return strcmp(a, b) == 0;
}

/* Two entries that name the same interface: the ruleset's interface set
 * holds disjoint ranges. */
static int ifaces_disjoint(struct bb_cctx *ctx, const struct bb_ynode *v, const char *const *names,
                           size_t n)
{
    const struct bb_ynode *it = v->first;
    for (size_t i = 0; i < n; i++, it = it != NULL ? it->next : NULL)
        for (size_t j = 0; j < i; j++)
            if (covers(names[i], names[j]) || covers(names[j], names[i])) {
                size_t saved = bb_cctx_push_index(ctx, i);
                bb_cerr(ctx, it, "'%s' overlaps gateway.client_interfaces[%zu] '%s'", names[i], j,
                        names[j]);
                bb_cctx_pop(ctx, saved);
                return -1;
            }
    return 0;
}

static int decode_ifaces(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_config *cfg = base;
    void *arr;
    if (bb_decode_seq(ctx, v, sizeof(char *), BB_MAX_CLIENT_IFACES, iface_elem, &arr,
                      &cfg->gateway.nclient_interfaces) != 0)
        return -1;
    cfg->gateway.client_interfaces = arr;
    if (ifaces_disjoint(ctx, v, arr, cfg->gateway.nclient_interfaces) != 0)
        return -1;
    struct bb_srcpos *pos =
        bb_arena_calloc(ctx->arena, cfg->gateway.nclient_interfaces + 1, sizeof(*pos));
    if (pos == NULL) {
        ctx->oom = 1;
        return -1;
    }
    size_t i = 0;
    for (const struct bb_ynode *it = v->kind == BB_Y_SEQ ? v->first : NULL; it; it = it->next)
        pos[i++] = (struct bb_srcpos){it->line, it->col};
    cfg->gateway.client_interface_pos = pos;
    return 0;
}

static const struct bb_field gateway_fields[] = {
    {.key = "client_interfaces", .type = BB_F_CUSTOM, .custom = decode_ifaces},
    {0},
};

static int decode_audit_output(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    struct bb_config *cfg = base;
    const char *s;
    if (bb_ynode_is_null(v))
        return 0;
    if (bb_decode_string(ctx, v, &s) != 0)
        return -1;
    if (strcmp(s, "stdout") == 0) {
        cfg->audit.output = BB_AUDIT_STDOUT;
    } else if (strcmp(s, "stderr") == 0) {
        cfg->audit.output = BB_AUDIT_STDERR;
    } else if (s[0] == '/') {
        cfg->audit.output = BB_AUDIT_FILE;
        cfg->audit.path = s;
    } else {
        bb_cerr(ctx, v, "must be stdout, stderr or an absolute file path");
        return -1;
    }
    return 0;
}

static const struct bb_field audit_fields[] = {
    {.key = "output", .type = BB_F_CUSTOM, .custom = decode_audit_output},
    {0},
};

static const struct bb_field dns_fields[] = {
    {.key = "listen_port",
     .type = BB_F_U16,
     .off = CFG(dns.listen_port),
     .min = 1,
     .max = 65535,
     .flags = BB_F_TRACK},
    {.key = "upstream", .type = BB_F_STR, .off = CFG(dns.upstream), .flags = BB_F_TRACK},
    {.key = "enforce_names", .type = BB_F_BOOL, .off = CFG(dns.enforce_names)},
    {.key = "wildcard_label_max",
     .type = BB_F_U16,
     .off = CFG(dns.wildcard_label_max),
     .min = 1,
     .max = BB_DNS_LABEL_MAX},
    {0},
};

/* Interception numbers are range-checked in config_validate.c, and only
 * when interception is enabled, exactly as BotBox did. */
static const struct bb_field tls_fields[] = {
    {.key = "enabled", .type = BB_F_BOOL, .off = CFG(tls.enabled), .flags = BB_F_TRACK},
    {.key = "listen_addr", .type = BB_F_STR, .off = CFG(tls.listen_addr), .flags = BB_F_TRACK},
    {.key = "listen_port",
     .type = BB_F_U16,
     .off = CFG(tls.listen_port),
     .min = 1,
     .max = 65535,
     .flags = BB_F_TRACK},
    {.key = "ca_cert_path", .type = BB_F_STR, .off = CFG(tls.ca_cert_path), .flags = BB_F_TRACK},
    {.key = "ca_key_path", .type = BB_F_STR, .off = CFG(tls.ca_key_path), .flags = BB_F_TRACK},
    {.key = "enforce_sni_host_match", .type = BB_F_BOOL, .off = CFG(tls.enforce_sni_host_match)},
    {.key = "deny_handshake_on_disallowed_sni",
     .type = BB_F_BOOL,
     .off = CFG(tls.deny_handshake_on_disallowed_sni)},
    {.key = "cert_ttl_seconds",
     .type = BB_F_U32,
     .off = CFG(tls.cert_ttl_seconds),
     .max = UINT32_MAX,
     .flags = BB_F_TRACK},
    {.key = "cert_cache_size",
     .type = BB_F_U32,
     .off = CFG(tls.cert_cache_size),
     .max = BB_CERT_CACHE_MAX,
     .flags = BB_F_TRACK},
    {.key = "cert_cache_ttl_seconds",
     .type = BB_F_U32,
     .off = CFG(tls.cert_cache_ttl_seconds),
     .max = UINT32_MAX,
     .flags = BB_F_TRACK},
    {.key = "handshake_timeout_ms",
     .type = BB_F_U32,
     .off = CFG(tls.handshake_timeout_ms),
     .max = UINT32_MAX,
     .flags = BB_F_TRACK},
    {.key = "tls12_ciphers", .type = BB_F_STR, .off = CFG(tls.tls12_ciphers), .flags = BB_F_TRACK},
    {.key = "http2", .type = BB_F_BOOL, .off = CFG(tls.http2)},
    {0},
};

/* Decoded once the rest is (bb_config_tenants_finish). */
static int later(struct bb_cctx *ctx, const struct bb_ynode *v, void *base)
{
    (void)ctx;
    (void)v;
    (void)base;
    return 0;
}

static const struct bb_field top_fields[] = {
    {.key = "mode", .type = BB_F_ENUM, .off = CFG(mode), .names = mode_names, .flags = BB_F_TRACK},
    {.key = "listen_addr", .type = BB_F_STR, .off = CFG(listen_addr), .flags = BB_F_TRACK},
    {.key = "listen_port",
     .type = BB_F_U16,
     .off = CFG(listen_port),
     .min = 1,
     .max = 65535,
     .flags = BB_F_TRACK},
    {.key = "metrics_addr", .type = BB_F_STR, .off = CFG(metrics_addr), .flags = BB_F_TRACK},
    {.key = "metrics_port",
     .type = BB_F_U16,
     .off = CFG(metrics_port),
     .min = 1,
     .max = 65535,
     .flags = BB_F_TRACK},
    {.key = "secrets_dir", .type = BB_F_STR, .off = CFG(secrets_dir), .flags = BB_F_TRACK},
    {.key = "max_connections",
     .type = BB_F_U32,
     .off = CFG(max_connections),
     .min = 1,
     .max = BB_MAX_CONNECTIONS_LIMIT},
    {.key = "allow_non_loopback",
     .type = BB_F_BOOL,
     .off = CFG(allow_non_loopback),
     .flags = BB_F_TRACK},
    {.key = "proxy_uid",
     .type = BB_F_U32,
     .off = CFG(proxy_uid),
     .max = UINT32_MAX - 1,
     .flags = BB_F_TRACK},
    {.key = "workers", .type = BB_F_U32, .off = CFG(workers), .max = BB_MAX_WORKERS},
    {.key = "timeouts", .type = BB_F_MAP, .sub = timeouts_fields},
    {.key = "upstream", .type = BB_F_MAP, .sub = upstream_fields},
    {.key = "gateway", .type = BB_F_MAP, .sub = gateway_fields},
    {.key = "audit", .type = BB_F_MAP, .sub = audit_fields},
    {.key = "egress_policy", .type = BB_F_MAP, .sub = bb_egress_fields}, /* or tenants: build() */
    {.key = "tenants", .type = BB_F_CUSTOM, .custom = later},
    {.key = "unmatched_tenant", .type = BB_F_STR, .off = CFG(unmatched)},
    {.key = "dns", .type = BB_F_MAP, .sub = dns_fields},
    {.key = "https_interception", .type = BB_F_MAP, .sub = tls_fields},
    {.key = "mitm", .type = BB_F_MAP, .sub = tls_fields}, /* deprecated alias */
    {.key = "credentials", .type = BB_F_CUSTOM, .custom = bb_decode_credentials},
    {.key = "redaction", .type = BB_F_MAP, .sub = bb_redaction_fields},
    {.key = "placeholders_file",
     .type = BB_F_STR,
     .off = CFG(placeholders_file),
     .flags = BB_F_TRACK},
    {0},
};

/* Defaults of docs/reference.md §2 (BotBox's where it had one). */
static void set_defaults(struct bb_config *c)
{
    c->mode = BB_MODE_SIDECAR;
    c->listen_addr = "127.0.0.1";
    c->listen_port = 8080;
    c->metrics_addr = "127.0.0.1";
    c->metrics_port = 9090;
    c->secrets_dir = "/var/run/secrets/botbox";
    c->max_connections = 1024;
    c->proxy_uid = 1337;
    c->enable_ipv6 = true;
    c->timeouts = (struct bb_timeouts){.connect_ms = 5000,
                                       .request_header_ms = 10000,
                                       .response_header_ms = 30000,
                                       .idle_ms = 60000,
                                       .shutdown_drain_ms = 20000};
    c->upstream.ca_file = "";
    c->upstream.deny_private = true;
    c->upstream.http2 = true;
    c->audit.output = BB_AUDIT_STDOUT;
    c->egress.default_action = BB_ACTION_DENY;
    c->egress.enforce = true;
    c->dns.listen_port = 5353;
    c->dns.upstream = "";
    c->dns.enforce_names = true;
    c->dns.wildcard_label_max = BB_DNS_WILDCARD_LABEL_DEFAULT;
    c->tls = (struct bb_interception){
        .listen_addr = "127.0.0.1",
        .listen_port = 8443,
        .ca_cert_path = "/etc/botbox/https_interception/ca.crt",
        .ca_key_path = "/etc/botbox/https_interception/ca.key",
        .enforce_sni_host_match = true,
        .cert_ttl_seconds = 86400,
        .cert_cache_size = 1024,
        .cert_cache_ttl_seconds = 3600,
        .handshake_timeout_ms = 5000,
        .tls12_ciphers = BB_TLS12_CIPHERS_DEFAULT,
        .http2 = true,
    };
    c->redaction.enabled = true;
    c->redaction.compressed = BB_COMPRESSED_REFUSE;
    c->placeholders_file = "";
    c->tenant_name = ""; /* the base: no tenant's */
    c->unmatched = "";
    c->unmatched_index = -1;
}

static void check_alias(struct bb_cctx *ctx, const struct bb_ynode *root)
{
    const struct bb_ynode *old = NULL;
    for (const struct bb_ynode *k = root->first; k != NULL; k = k->next)
        if (strcmp(k->str, "mitm") == 0)
            old = k;
    if (old == NULL)
        return;
    size_t saved = bb_cctx_push_key(ctx, "mitm");
    if (bb_ymap_get(root, "https_interception") != NULL)
        bb_cerr(ctx, old, "both mitm and https_interception are set; keep https_interception");
    else
        bb_cwarn(ctx, old, "mitm is deprecated; rename it to https_interception");
    bb_cctx_pop(ctx, saved);
}

void bb_config_report_dup(void *arg, const struct bb_rule *first, const struct bb_rule *again)
{
    struct bb_cctx *ctx = arg;
    size_t saved = bb_cctx_push_key(ctx, "egress_policy.rules");
    bb_cctx_push_index(ctx, again->index);
    bb_cctx_push_key(ctx, "host");
    bb_cerr_pos(ctx, again->host_pos,
                "duplicate host in egress policy after normalization: '%s' (same as rules[%u] "
                "at line %u)",
                again->host_raw, first->index, first->host_pos.line);
    bb_cctx_pop(ctx, saved);
}

/* Steps after the YAML tree: decode, environment, validation, policy. */
static void build(struct bb_cctx *ctx, const struct bb_ynode *root)
{
    struct bb_config *cfg = ctx->cfg;
    if (root->kind != BB_Y_MAP) {
        bb_cerr(ctx, root, "the configuration must be a mapping, got %s", bb_ynode_kind_name(root));
        return;
    }
    bb_decode_map(ctx, root, top_fields, cfg);
    if (bb_ymap_get(root, "egress_policy") == NULL && bb_ymap_get(root, "tenants") == NULL) {
        size_t saved = bb_cctx_push_key(ctx, "egress_policy");
        bb_cerr(ctx, root, "missing required key");
        bb_cctx_pop(ctx, saved);
    }
    check_alias(ctx, root);
    bb_config_apply_env(ctx);
    bb_config_validate(ctx);
    /* Compiled even after other errors, so duplicate hosts are reported in
     * the same run as everything else. */
    cfg->policy = bb_policy_new(cfg, bb_config_report_dup, ctx);
    if (cfg->policy == NULL)
        ctx->oom = 1;
    else
        bb_config_credentials_finish(ctx);
    bb_config_tenants_finish(ctx, root);
}

/* The origins recorded while decoding outlive the context: later modules
 * (nft errors) attribute kernel refusals to config lines with them. */
static void keep_origins(struct bb_cctx *ctx)
{
    struct bb_config_origin *o =
        bb_arena_calloc(ctx->arena, ctx->norigins + 1, sizeof(struct bb_config_origin));
    if (o == NULL)
        return; /* messages lose their positions, nothing else */
    for (size_t i = 0; i < ctx->norigins; i++)
        o[i] = (struct bb_config_origin){.field = ctx->origins[i].dst,
                                         .path = ctx->origins[i].path,
                                         .env = ctx->origins[i].env,
                                         .line = ctx->origins[i].line,
                                         .col = ctx->origins[i].col};
    ctx->cfg->origins = o;
    ctx->cfg->norigins = ctx->norigins;
}

const struct bb_config_origin *bb_config_origin_of(const struct bb_config *cfg, const void *field)
{
    for (size_t i = 0; i < cfg->norigins; i++)
        if (cfg->origins[i].field == field)
            return &cfg->origins[i];
    return NULL;
}

const char *bb_config_where(const struct bb_config *cfg, const void *field,
                            const char *fallback_path, char *buf, size_t cap)
{
    const struct bb_config_origin *o = field ? bb_config_origin_of(cfg, field) : NULL;
    if (o == NULL)
        snprintf(buf, cap, "%s: %s", cfg->path, fallback_path);
    else if (o->env != NULL)
        snprintf(buf, cap, "%s: %s", o->env, o->path);
    else
        snprintf(buf, cap, "%s:%u:%u: %s", cfg->path, o->line, o->col, o->path);
    return buf;
}

static const struct bb_config *parse(const char *name, const char *buf, size_t len,
                                     const struct bb_load_opts *opts, struct bb_diag *diag)
{
    size_t errors_before = bb_diag_errors(diag);
    struct bb_arena *arena = bb_arena_new();
    struct bb_config *cfg = arena ? bb_arena_alloc(arena, sizeof(*cfg)) : NULL;
    struct bb_cctx *ctx = calloc(1, sizeof(*ctx));
    struct bb_yerr yerr;
    struct bb_ytree *tree = NULL;
    if (cfg == NULL || ctx == NULL) {
        bb_diag_add(diag, BB_DIAG_ERROR, "%s: out of memory", name);
        goto fail;
    }
    cfg->arena = arena;
    set_defaults(cfg);
    cfg->path = bb_arena_strndup(arena, name, strlen(name));
    *ctx = (struct bb_cctx){.file = cfg->path,
                            .diag = diag,
                            .arena = arena,
                            .cfg = cfg,
                            .env = opts->env,
                            .mode_override = opts->mode,
                            .opts = opts};
    tree = bb_ytree_parse(buf, len, &yerr);
    if (tree == NULL) {
        bb_diag_add(diag, BB_DIAG_ERROR, "%s:%u:%u: %s", name, yerr.line, yerr.col, yerr.msg);
        goto fail;
    }
    build(ctx, bb_ytree_root(tree));
    if (ctx->oom)
        bb_diag_add(diag, BB_DIAG_ERROR, "%s: out of memory", name);
    if (bb_diag_errors(diag) > errors_before)
        goto fail;
    keep_origins(ctx);
    bb_ytree_free(tree);
    free(ctx);
    return cfg;
fail:
    bb_ytree_free(tree);
    free(ctx);
    if (cfg != NULL)
        bb_config_free(cfg);
    else
        bb_arena_free(arena);
    return NULL;
}

const struct bb_config *bb_config_parse(const char *name, const char *buf, size_t len,
                                        bb_getenv_fn env, struct bb_diag *diag)
{
    struct bb_load_opts opts = {.env = env};
    return parse(name, buf, len, &opts, diag);
}

static char *read_file(const char *path, size_t *len, struct bb_diag *diag)
{
    char *buf = NULL;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        bb_diag_add(diag, BB_DIAG_ERROR, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        bb_diag_add(diag, BB_DIAG_ERROR, "%s: not a regular file", path);
        goto out;
    }
    if ((uint64_t)st.st_size > BB_CONFIG_MAX_BYTES) {
        bb_diag_add(diag, BB_DIAG_ERROR, "%s: larger than %u bytes", path, BB_CONFIG_MAX_BYTES);
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        bb_diag_add(diag, BB_DIAG_ERROR, "%s: out of memory", path);
        goto out;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            bb_diag_add(diag, BB_DIAG_ERROR, "%s: read failed: %s", path,
                        n < 0 ? strerror(errno) : "file shrank while reading");
            free(buf);
            buf = NULL;
            goto out;
        }
        got += (size_t)n;
    }
    *len = got;
out:
    close(fd);
    return buf;
}

const struct bb_config *bb_config_load_opts(const char *path, const struct bb_load_opts *opts,
                                            struct bb_diag *diag)
{
    size_t len = 0;
    char *buf = read_file(path, &len, diag);
    if (buf == NULL)
        return NULL;
    const struct bb_config *cfg = parse(path, buf, len, opts, diag);
    free(buf);
    return cfg;
}

const struct bb_config *bb_config_load(const char *path, bb_getenv_fn env, struct bb_diag *diag)
{
    struct bb_load_opts opts = {.env = env};
    return bb_config_load_opts(path, &opts, diag);
}

void bb_config_free(const struct bb_config *cfg)
{
    if (cfg == NULL)
        return;
    bb_policy_free((struct bb_policy *)cfg->policy);
    bb_config_tenants_free(cfg);
    bb_arena_free(cfg->arena);
}

const char *bb_config_getenv(const char *name)
{
    return getenv(name);
}
