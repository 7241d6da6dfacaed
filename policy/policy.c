/*
 * Policy engine (see policy.h). The compiled form is two host maps (exact
 * names, wildcard suffixes) pointing into the config's rule array, plus the
 * flow list. Decisions never allocate.
 */
#include "policy/policy.h"

#include "policy/hostmap.h"
#include "policy/path.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct bb_policy {
    const struct bb_config *cfg;
    struct bb_hostmap *exact;
    struct bb_hostmap *wild; /* key: the suffix after "*." */
};

static const uint16_t default_ports[] = {443};
static const struct bb_rule default_rule = {
    .index = UINT32_MAX,
    .host_raw = "_default_allow",
    .host = {.kind = BB_HOST_NAME, .name = "_default_allow", .len = 14},
    .action = BB_ACTION_ALLOW,
    .ports = default_ports,
    .nports = 1,
    .ports_default = true,
};

const struct bb_rule *bb_policy_default_rule(void)
{
    return &default_rule;
}

struct bb_policy *bb_policy_new(const struct bb_config *cfg,
                                void (*dup)(void *arg, const struct bb_rule *first,
                                            const struct bb_rule *again),
                                void *arg)
{
    struct bb_policy *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->cfg = cfg;
    p->exact = bb_hostmap_new();
    p->wild = bb_hostmap_new();
    if (p->exact == NULL || p->wild == NULL)
        goto fail;
    for (size_t i = 0; i < cfg->egress.nrules; i++) {
        const struct bb_rule *r = &cfg->egress.rules[i];
        if (r->host.len == 0)
            continue; /* invalid host, already reported by the loader */
        bool w = r->host.kind == BB_HOST_WILDCARD;
        struct bb_hostmap *m = w ? p->wild : p->exact;
        const char *key = w ? r->host.name + 2 : r->host.name;
        size_t len = w ? r->host.len - 2 : r->host.len;
        int rc = bb_hostmap_put(m, key, len, (uint32_t)i);
        if (rc < 0)
            goto fail;
        if (rc == 1 && dup != NULL)
            dup(arg, &cfg->egress.rules[bb_hostmap_get(m, key, len)], r);
    }
    return p;
fail:
    bb_policy_free(p);
    return NULL;
}

void bb_policy_free(struct bb_policy *p)
{
    if (p == NULL)
        return;
    bb_hostmap_free(p->exact);
    bb_hostmap_free(p->wild);
    free(p);
}

const struct bb_rule *bb_policy_match_host(const struct bb_policy *p, const struct bb_host *h)
{
    int64_t i = bb_hostmap_get(p->exact, h->name, h->len);
    if (i >= 0)
        return &p->cfg->egress.rules[i];
    if (h->kind != BB_HOST_NAME)
        return NULL; /* IP literals only match exactly */
    /* Longest proper suffix first: for a.b.example.com try b.example.com,
     * then example.com, then com. */
    for (const char *dot = memchr(h->name, '.', h->len); dot != NULL;
         dot = memchr(dot + 1, '.', h->len - (size_t)(dot + 1 - h->name))) {
        const char *suffix = dot + 1;
        i = bb_hostmap_get(p->wild, suffix, h->len - (size_t)(suffix - h->name));
        if (i >= 0)
            return &p->cfg->egress.rules[i];
    }
    return NULL;
}

static struct bb_decision verdict(enum bb_verdict v, enum bb_reason why, const struct bb_rule *rule)
{
    return (struct bb_decision){.verdict = v, .reason = why, .rule = rule};
}

/* The one place where `enforce: false` turns a denial into would_deny. */
static void enforce(const struct bb_policy *p, struct bb_decision *d)
{
    if (d->verdict == BB_VERDICT_DENY && !p->cfg->egress.enforce)
        d->verdict = BB_VERDICT_WOULD_DENY;
}

static bool port_listed(const struct bb_rule *r, uint16_t port)
{
    for (size_t i = 0; i < r->nports; i++)
        if (r->ports[i] == port)
            return true;
    return false;
}

static bool method_forbidden(const char *m, size_t len)
{
    return (len == 7 && memcmp(m, "CONNECT", 7) == 0) || (len == 5 && memcmp(m, "TRACE", 5) == 0) ||
           (len == 5 && memcmp(m, "TRACK", 5) == 0);
}

static bool path_listed(const struct bb_rule *r, const char *path, size_t len)
{
    for (size_t i = 0; i < r->npaths; i++)
        if (bb_path_has_prefix(path, len, r->paths[i], strlen(r->paths[i])))
            return true;
    return false;
}

static struct bb_decision decide_http(const struct bb_policy *p, const struct bb_host *host,
                                      const char *method, size_t mlen, const char *path,
                                      size_t pathlen, const char *path_error)
{
    uint16_t port = host->port != 0 ? host->port : 443;
    if (method_forbidden(method, mlen))
        return verdict(BB_VERDICT_DENY, BB_REASON_FORBIDDEN_METHOD, NULL);
    const struct bb_rule *r = bb_policy_match_host(p, host);
    if (r == NULL) {
        if (p->cfg->egress.default_action == BB_ACTION_DENY)
            return verdict(BB_VERDICT_DENY, BB_REASON_NO_RULE, NULL);
        if (port != 443) /* default allow covers HTTPS on 443 only (BotBox) */
            return verdict(BB_VERDICT_DENY, BB_REASON_PORT, NULL);
        return verdict(BB_VERDICT_ALLOW, BB_REASON_DEFAULT_ALLOW, &default_rule);
    }
    if (r->action == BB_ACTION_DENY)
        return verdict(BB_VERDICT_DENY, BB_REASON_DENY_RULE, r);
    if (!port_listed(r, port))
        return verdict(BB_VERDICT_DENY, BB_REASON_PORT, r);
    if (r->methods != 0 && !(r->methods & bb_method_from_token(method, mlen)))
        return verdict(BB_VERDICT_DENY, BB_REASON_METHOD, r);
    if (r->npaths > 0) {
        if (path == NULL || path_error != NULL)
            return verdict(BB_VERDICT_DENY, BB_REASON_AMBIGUOUS_PATH, r);
        if (!path_listed(r, path, pathlen))
            return verdict(BB_VERDICT_DENY, BB_REASON_PATH, r);
    }
    return verdict(BB_VERDICT_ALLOW, BB_REASON_RULE, r);
}

void bb_policy_check_http_parsed(const struct bb_policy *p, const struct bb_host *host,
                                 const char *method, size_t mlen, const char *path, size_t pathlen,
                                 const char *path_error, struct bb_decision *out)
{
    *out = decide_http(p, host, method, mlen, path, pathlen, path_error);
    enforce(p, out);
}

void bb_policy_check_method_override(const struct bb_policy *p, const char *method, size_t mlen,
                                     struct bb_decision *d)
{
    if (d->verdict == BB_VERDICT_DENY)
        return;
    const struct bb_rule *r = d->rule;
    if (method_forbidden(method, mlen))
        *d = verdict(BB_VERDICT_DENY, BB_REASON_FORBIDDEN_METHOD, r);
    else if (r != NULL && r->methods != 0 && !(r->methods & bb_method_from_token(method, mlen)))
        *d = verdict(BB_VERDICT_DENY, BB_REASON_METHOD, r);
    else
        return;
    enforce(p, d);
}

bool bb_policy_is_method_override(const char *name, size_t len)
{
    static const char *const names[] = {"x-http-method-override", "x-http-method",
                                        "x-method-override"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == len && strncasecmp(name, names[i], len) == 0)
            return true;
    return false;
}

void bb_policy_check_http(const struct bb_policy *p, const char *authority, size_t alen,
                          const char *method, size_t mlen, const char *target, size_t tlen,
                          struct bb_decision *out)
{
    struct bb_host host;
    if (bb_host_parse(authority, alen, 0, &host) != NULL) {
        *out = verdict(BB_VERDICT_DENY, BB_REASON_BAD_HOST, NULL);
        enforce(p, out);
        return;
    }
    char buf[BB_PATH_MAX + 1];
    size_t outlen = 0, pathlen = 0;
    const char *why = bb_path_normalize(target, tlen, buf, sizeof(buf), &outlen, &pathlen);
    bb_policy_check_http_parsed(p, &host, method, mlen, why == NULL ? buf : NULL, pathlen, why,
                                out);
}

static struct bb_decision decide_name(const struct bb_policy *p, const char *name, size_t len)
{
    struct bb_host host;
    if (bb_host_parse(name, len, BB_HOST_NO_PORT, &host) != NULL)
        return verdict(BB_VERDICT_DENY, BB_REASON_BAD_HOST, NULL);
    const struct bb_rule *r = bb_policy_match_host(p, &host);
    if (r == NULL) {
        if (p->cfg->egress.default_action == BB_ACTION_ALLOW)
            return verdict(BB_VERDICT_ALLOW, BB_REASON_DEFAULT_ALLOW, &default_rule);
        return verdict(BB_VERDICT_DENY, BB_REASON_NO_RULE, NULL);
    }
    if (r->action == BB_ACTION_DENY)
        return verdict(BB_VERDICT_DENY, BB_REASON_DENY_RULE, r);
    return verdict(BB_VERDICT_ALLOW, BB_REASON_RULE, r);
}

void bb_policy_check_name(const struct bb_policy *p, const char *name, size_t len,
                          struct bb_decision *out)
{
    *out = decide_name(p, name, len);
    enforce(p, out);
}

size_t bb_policy_unwritten_len(const struct bb_decision *d, size_t len)
{
    if (d->reason == BB_REASON_DEFAULT_ALLOW)
        return len;
    if (d->rule == NULL || d->rule->host.kind != BB_HOST_WILDCARD)
        return 0;
    size_t suffix = d->rule->host.len - 1; /* ".suffix" of "*.suffix" */
    return len > suffix ? len - suffix : 0;
}

static bool flow_matches(const struct bb_flow *f, int proto, int family, const uint8_t *addr,
                         uint16_t port)
{
    if (f->proto != proto || !bb_cidr_contains(&f->cidr, family, addr))
        return false;
    for (size_t i = 0; i < f->nports; i++)
        if (f->ports[i] == port)
            return true;
    return false;
}

void bb_policy_check_flow(const struct bb_policy *p, int proto, int family, const uint8_t *addr,
                          uint16_t port, struct bb_decision *out)
{
    /* Flow lists are short and only the first packet of a flow reaches
     * userspace (the kernel accepts established traffic), so a linear scan
     * is the simplest correct choice. */
    *out = verdict(BB_VERDICT_DENY, BB_REASON_NO_FLOW, NULL);
    for (size_t i = 0; i < p->cfg->egress.nflows; i++) {
        const struct bb_flow *f = &p->cfg->egress.flows[i];
        if (flow_matches(f, proto, family, addr, port)) {
            *out = verdict(BB_VERDICT_ALLOW, BB_REASON_FLOW, NULL);
            out->flow = f;
            return;
        }
    }
    enforce(p, out);
}

const char *bb_verdict_name(enum bb_verdict v)
{
    switch (v) {
    case BB_VERDICT_ALLOW:
        return "allow";
    case BB_VERDICT_WOULD_DENY:
        return "would_deny";
    default:
        return "deny";
    }
}

const char *bb_reason_name(enum bb_reason r)
{
    static const char *const names[] = {
        [BB_REASON_RULE] = "rule",
        [BB_REASON_DEFAULT_ALLOW] = "default_allow",
        [BB_REASON_NO_RULE] = "no_rule",
        [BB_REASON_DENY_RULE] = "deny_rule",
        [BB_REASON_PORT] = "port_not_allowed",
        [BB_REASON_METHOD] = "method_not_allowed",
        [BB_REASON_PATH] = "path_not_allowed",
        [BB_REASON_AMBIGUOUS_PATH] = "ambiguous_path",
        [BB_REASON_BAD_HOST] = "bad_host",
        [BB_REASON_FORBIDDEN_METHOD] = "forbidden_method",
        [BB_REASON_FLOW] = "flow",
        [BB_REASON_NO_FLOW] = "no_flow_rule",
    };
    if ((size_t)r < sizeof(names) / sizeof(names[0]) && names[r] != NULL)
        return names[r];
    return "unknown";
}
