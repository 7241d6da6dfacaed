/*
 * The parts of config loading that look at more than one key: the BOTBOX_*
 * environment overrides (which win over the file), listener addresses and
 * port collisions, the interception limits kept from BotBox, gateway mode
 * requirements, and warnings for risky but legal settings.
 */
#include "common/arena.h"
#include "policy/config_int.h"

#include "common/diag.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>

#define CFG(member) offsetof(struct bb_config, member)

/* ---- environment ---- */

enum env_kind { ENV_BOOL, ENV_PORT, ENV_UID };

static const struct env_override {
    const char *name;
    enum env_kind kind;
    size_t off;
    const char *path;
} env_overrides[] = {
    {"BOTBOX_ENABLE_IPV6", ENV_BOOL, CFG(enable_ipv6), "ipv6"},
    {"BOTBOX_ENABLE_HTTPS_INTERCEPTION", ENV_BOOL, CFG(tls.enabled), "https_interception.enabled"},
    {"BOTBOX_HTTPS_INTERCEPTION_PORT", ENV_PORT, CFG(tls.listen_port),
     "https_interception.listen_port"},
    {"BOTBOX_UID", ENV_UID, CFG(proxy_uid), "proxy_uid"},
    {"BOTBOX_PROXY_PORT", ENV_PORT, CFG(listen_port), "listen_port"},
};

static bool parse_decimal(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (*s == '\0' || strlen(s) > 10)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* Parses one override into dst; returns the reason it is invalid or NULL. */
static const char *env_value(const struct env_override *o, const char *s, void *dst)
{
    uint64_t v;
    switch (o->kind) {
    case ENV_BOOL:
        if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0)
            *(bool *)dst = true;
        else if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0)
            *(bool *)dst = false;
        else
            return "expected 0 or 1";
        return NULL;
    case ENV_PORT:
        if (!parse_decimal(s, 65535, &v) || v == 0)
            return "expected a port number between 1 and 65535";
        *(uint16_t *)dst = (uint16_t)v;
        return NULL;
    default:
        if (!parse_decimal(s, UINT32_MAX - 1, &v))
            return "expected a uid between 0 and 4294967294";
        *(uint32_t *)dst = (uint32_t)v;
        return NULL;
    }
}

/* --mode from the command line: after the environment, before validation
 * (gateway mode has requirements of its own). */
static void apply_mode_override(struct bb_cctx *ctx)
{
    char shown[64];
    const char *m = ctx->mode_override;
    snprintf(shown, sizeof(shown), "--mode %.32s", m);
    if (strcmp(m, "sidecar") == 0) {
        ctx->cfg->mode = BB_MODE_SIDECAR;
    } else if (strcmp(m, "gateway") == 0) {
        ctx->cfg->mode = BB_MODE_GATEWAY;
    } else {
        bb_diag_add(ctx->diag, BB_DIAG_ERROR, "%s: mode: must be sidecar or gateway", shown);
        return;
    }
    size_t saved = bb_cctx_push_key(ctx, "mode");
    bb_cctx_track(ctx, &ctx->cfg->mode, NULL, shown);
    bb_cctx_pop(ctx, saved);
}

/* botbox run's settings: one client interface, its own audit file. */
static void apply_run_overrides(struct bb_cctx *ctx)
{
    const struct bb_load_opts *o = ctx->opts;
    struct bb_config *c = ctx->cfg;
    if (o->client_interface != NULL) {
        const char **names = bb_arena_calloc(ctx->arena, 1, sizeof(*names));
        struct bb_srcpos *pos = bb_arena_calloc(ctx->arena, 1, sizeof(*pos));
        if (names != NULL)
            names[0] =
                bb_arena_strndup(ctx->arena, o->client_interface, strlen(o->client_interface));
        if (names == NULL || pos == NULL || names[0] == NULL) {
            ctx->oom = 1;
            return;
        }
        c->gateway.client_interfaces = names;
        c->gateway.client_interface_pos = pos;
        c->gateway.nclient_interfaces = 1;
    }
    if (o->audit_path != NULL) {
        c->audit.output = BB_AUDIT_FILE;
        c->audit.path = bb_arena_strndup(ctx->arena, o->audit_path, strlen(o->audit_path));
        if (c->audit.path == NULL)
            ctx->oom = 1;
    }
}

void bb_config_apply_env(struct bb_cctx *ctx)
{
    if (ctx->mode_override != NULL)
        apply_mode_override(ctx);
    if (ctx->opts != NULL)
        apply_run_overrides(ctx);
    if (ctx->env == NULL)
        return;
    for (size_t i = 0; i < sizeof(env_overrides) / sizeof(env_overrides[0]); i++) {
        const struct env_override *o = &env_overrides[i];
        const char *s = ctx->env(o->name);
        if (s == NULL)
            continue;
        char shown[160];
        /* The value is shown as given, cut short, control bytes masked. */
        snprintf(shown, sizeof(shown), "%s=%.64s", o->name, s);
        for (char *p = shown; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
                *p = '?';
        void *dst = (char *)ctx->cfg + o->off;
        const char *why = env_value(o, s, dst);
        if (why != NULL) {
            bb_diag_add(ctx->diag, BB_DIAG_ERROR, "%s: %s: invalid value: %s", shown, o->path, why);
            continue;
        }
        size_t saved = bb_cctx_push_key(ctx, o->path);
        bb_cctx_track(ctx, dst, NULL, shown);
        bb_cctx_pop(ctx, saved);
    }
}

/* ---- listeners ---- */

bool bb_ip_is_loopback(const char *s, bool *is_ip)
{
    uint8_t a[16];
    *is_ip = true;
    if (inet_pton(AF_INET, s, a) == 1)
        return a[0] == 127;
    if (inet_pton(AF_INET6, s, a) == 1)
        return memcmp(a, in6addr_loopback.s6_addr, 16) == 0;
    *is_ip = false;
    return false;
}

static void check_bind_addr(struct bb_cctx *ctx, const char *const *addr, const char *path)
{
    bool is_ip;
    bool loop = bb_ip_is_loopback(*addr, &is_ip);
    if (!is_ip)
        bb_cerr_at(ctx, addr, path, "must be an IP literal, got '%s'", *addr);
    else if (!loop && !ctx->cfg->allow_non_loopback)
        bb_cerr_at(ctx, addr, path,
                   "'%s' is not loopback; set allow_non_loopback: true to permit non-loopback "
                   "binding",
                   *addr);
}

struct listener {
    const char *path;
    const uint16_t *port;
};

static void check_port_collisions(struct bb_cctx *ctx)
{
    struct bb_config *c = ctx->cfg;
    struct listener l[4] = {
        {"listen_port", &c->listen_port},
        {"metrics_port", &c->metrics_port},
        {"dns.listen_port", &c->dns.listen_port},
        {"https_interception.listen_port", &c->tls.listen_port},
    };
    size_t n = c->tls.enabled ? 4 : 3;
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++) {
            if (*l[i].port != *l[j].port)
                continue;
            /* Blame the value someone set (file or environment), not a
             * default it happens to meet. */
            const struct listener *at = &l[i], *other = &l[j];
            if (bb_cctx_origin(ctx, at->port) == NULL && bb_cctx_origin(ctx, other->port)) {
                at = &l[j];
                other = &l[i];
            }
            bb_cerr_at(ctx, at->port, at->path, "port %u collides with %s", (unsigned)*at->port,
                       other->path);
        }
}

/* ---- interception ---- */

static void check_range(struct bb_cctx *ctx, const uint32_t *v, const char *path, uint32_t min,
                        uint32_t max)
{
    if (*v < min || *v > max)
        bb_cerr_at(ctx, v, path, "%u must be between %u and %u", *v, min, max);
}

static void check_interception(struct bb_cctx *ctx)
{
    struct bb_interception *t = &ctx->cfg->tls;
    bool is_ip;
    if (!t->enabled)
        return;
    /* Loopback even with allow_non_loopback: the listener is only ever
     * reached through tproxy, and a reachable one would be an open MITM. */
    bool loop = bb_ip_is_loopback(t->listen_addr, &is_ip);
    if (!is_ip)
        bb_cerr_at(ctx, &t->listen_addr, "https_interception.listen_addr",
                   "must be an IP literal, got '%s'", t->listen_addr);
    else if (!loop)
        bb_cerr_at(ctx, &t->listen_addr, "https_interception.listen_addr",
                   "'%s' must be loopback; the interception listener binds to loopback only",
                   t->listen_addr);
    if (t->ca_cert_path[0] == '\0')
        bb_cerr_at(ctx, &t->ca_cert_path, "https_interception.ca_cert_path", "must not be empty");
    if (t->ca_key_path[0] == '\0')
        bb_cerr_at(ctx, &t->ca_key_path, "https_interception.ca_key_path", "must not be empty");
    if (t->cert_cache_size == 0)
        bb_cerr_at(ctx, &t->cert_cache_size, "https_interception.cert_cache_size",
                   "must be greater than 0");
    check_range(ctx, &t->cert_ttl_seconds, "https_interception.cert_ttl_seconds", BB_CERT_TTL_MIN,
                BB_CERT_TTL_MAX);
    check_range(ctx, &t->handshake_timeout_ms, "https_interception.handshake_timeout_ms",
                BB_HANDSHAKE_TIMEOUT_MIN, BB_HANDSHAKE_TIMEOUT_MAX);
    if (t->cert_cache_ttl_seconds > t->cert_ttl_seconds)
        bb_cerr_at(ctx, &t->cert_cache_ttl_seconds, "https_interception.cert_cache_ttl_seconds",
                   "%u must not exceed cert_ttl_seconds (%u): the cache would serve expired "
                   "certificates",
                   t->cert_cache_ttl_seconds, t->cert_ttl_seconds);
}

/* ---- the rest ---- */

static void check_dns_upstream(struct bb_cctx *ctx)
{
    const char *u = ctx->cfg->dns.upstream;
    struct bb_host h;
    if (u[0] == '\0')
        return;
    const char *why = bb_host_parse(u, strlen(u), 0, &h);
    if (why != NULL || (h.kind != BB_HOST_IPV4 && h.kind != BB_HOST_IPV6))
        bb_cerr_at(ctx, &ctx->cfg->dns.upstream, "dns.upstream",
                   "must be an IP address with an optional port (1.2.3.4, 1.2.3.4:53, "
                   "[2001:db8::1]:53), got '%s'",
                   u);
}

static void check_mode(struct bb_cctx *ctx)
{
    struct bb_config *c = ctx->cfg;
    if (c->mode == BB_MODE_GATEWAY && c->gateway.nclient_interfaces == 0)
        bb_cerr_at(ctx, &c->mode, "mode",
                   "gateway mode needs gateway.client_interfaces (the interfaces whose traffic "
                   "is steered)");
    if (c->mode == BB_MODE_SIDECAR && c->gateway.nclient_interfaces > 0)
        bb_cwarn_at(ctx, &c->mode, "mode", "gateway.client_interfaces is ignored in sidecar mode");
}

static void warnings(struct bb_cctx *ctx)
{
    struct bb_config *c = ctx->cfg;
    if (c->allow_non_loopback)
        bb_cwarn_at(ctx, &c->allow_non_loopback, "allow_non_loopback",
                    "non-loopback listeners are permitted; make sure only the workload can "
                    "reach them (NetworkPolicy, firewall)");
    if (c->egress.default_action == BB_ACTION_ALLOW)
        bb_cwarn_at(ctx, &c->egress.default_action, "egress_policy.default_action",
                    "default_action allow lets any host through on port 443; discouraged "
                    "outside audits");
    if (!c->egress.enforce)
        bb_cwarn_at(ctx, &c->egress.enforce, "egress_policy.enforce",
                    "audit-only mode: denials are logged as would_deny and let through");
    if (c->proxy_uid == 0)
        bb_cwarn_at(ctx, &c->proxy_uid, "proxy_uid",
                    "proxy_uid 0 exempts every root process from steering");
}

void bb_config_validate(struct bb_cctx *ctx)
{
    struct bb_config *c = ctx->cfg;
    check_bind_addr(ctx, &c->listen_addr, "listen_addr");
    check_bind_addr(ctx, &c->metrics_addr, "metrics_addr");
    check_port_collisions(ctx);
    check_interception(ctx);
    check_dns_upstream(ctx);
    check_mode(ctx);
    if (c->secrets_dir[0] == '\0')
        bb_cerr_at(ctx, &c->secrets_dir, "secrets_dir", "must not be empty");
    warnings(ctx);
}
