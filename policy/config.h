/*
 * Configuration: the typed, validated, immutable form of botbox.yaml
 * (docs/reference.md §2), plus the BOTBOX_* environment overrides (docs/reference.md §1).
 *
 * Loading is two-phase: ytree.c turns bytes into positioned nodes, then the
 * decoder here checks every key against a schema table, fills defaults,
 * applies the environment, validates across fields and compiles the policy.
 * Every error reads "FILE:LINE:COL: key.path: reason" (sequence indexes are
 * 0-based); errors from the environment read "NAME=VALUE: key.path: reason".
 * All errors are collected, not just the first.
 *
 * A loaded config is never modified; reload builds a new one and swaps the
 * pointer. Everything it points to lives as long as the config.
 */
#ifndef BB_CONFIG_H
#define BB_CONFIG_H

#include "policy/cidr.h"
#include "policy/host.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct bb_diag;
struct bb_policy;
struct bb_arena;

#define BB_CONFIG_MAX_BYTES      (64u << 20) /* config file size */
#define BB_MAX_PORTS_PER_RULE    1024        /* allowed_ports / flows ports entries */
#define BB_MAX_PATHS_PER_RULE    256         /* paths entries */
#define BB_MAX_REWRITES_PER_RULE 64          /* header_rewrites entries */
#define BB_MAX_CLIENT_IFACES     256         /* gateway.client_interfaces entries */
#define BB_TIMEOUT_MAX_MS        3600000u    /* any timeouts.* value */
#define BB_MAX_WORKERS           256
#define BB_MAX_CONNECTIONS_LIMIT 1048576u
#define BB_IFNAME_MAX            15 /* IFNAMSIZ - 1 */
#define BB_SECRET_NAME_MAX       255
#define BB_HEADER_VALUE_MAX      8192
#define BB_DNS_LABEL_MAX         63 /* a DNS label's own limit (RFC 1035) */
/* dns.wildcard_label_max's default: the longest label a wildcard or a
 * default allow lets through to the resolver (docs/flows-and-dns.md). */
#define BB_DNS_WILDCARD_LABEL_DEFAULT 40

/* Tenants of the per-node gateway (docs/configuration.md, "Tenants"). */
#define BB_MAX_TENANTS        16384 /* tenants entries */
#define BB_TENANT_NAME_MAX    63    /* a tenant's name: a-z 0-9 - _ . (it labels metrics) */
#define BB_TENANT_SOURCES_MAX 1024  /* match.sources entries per tenant */
/* (interface, source) pairs of all tenants: one element each in the
 * ruleset's anti-spoofing set (nft/build_tenant.c), one netlink message */
#define BB_TENANT_PAIRS_MAX   (1u << 18)
#define BB_TENANT_SECRETS_MAX 1024 /* tenants[].secrets entries */

/* Credentials with placeholders (docs/configuration.md, "Credentials"). */
#define BB_MAX_CREDENTIALS            64 /* credentials entries (one bit each in a request's tags) */
#define BB_MAX_BOUND_HOSTS            256 /* credentials[].hosts entries */
#define BB_PLACEHOLDER_PREFIX_MAX     64  /* bytes of placeholder.prefix */
#define BB_PLACEHOLDER_RANDOM_MIN     16  /* random characters after the prefix, at least */
#define BB_PLACEHOLDER_RANDOM_DEFAULT 32  /* ... when placeholder.length is not given */
#define BB_PLACEHOLDER_LEN_MAX        256 /* placeholder.length */
#define BB_ENV_NAME_MAX               128 /* credentials[].env */

/* Interception numbers (kept from BotBox). */
#define BB_CERT_TTL_MIN          60u
#define BB_CERT_CACHE_MAX        65536 /* https_interception.cert_cache_size */
#define BB_CERT_TTL_MAX          604800u
#define BB_HANDSHAKE_TIMEOUT_MIN 100u
#define BB_HANDSHAKE_TIMEOUT_MAX 60000u

enum bb_mode { BB_MODE_SIDECAR, BB_MODE_GATEWAY };
enum bb_action { BB_ACTION_DENY, BB_ACTION_ALLOW };
enum bb_tls_mode { BB_TLS_INTERCEPT, BB_TLS_PASSTHROUGH };
enum bb_audit_output { BB_AUDIT_STDOUT, BB_AUDIT_STDERR, BB_AUDIT_FILE };

/* HTTP methods a rule may list (bit flags; 0 in a rule means "any"). CONNECT
 * and TRACE are never allowed, so they have no bit. */
enum bb_method {
    BB_METHOD_GET = 1u << 0,
    BB_METHOD_HEAD = 1u << 1,
    BB_METHOD_POST = 1u << 2,
    BB_METHOD_PUT = 1u << 3,
    BB_METHOD_DELETE = 1u << 4,
    BB_METHOD_PATCH = 1u << 5,
    BB_METHOD_OPTIONS = 1u << 6,
};

/* Where a value came from: a file position, or (line 0) the environment
 * variable `env`, or (line 0, env NULL) a built-in default. */
struct bb_srcpos {
    uint32_t line, col;
};

struct bb_rewrite {
    const char *name;       /* as written; matched case-insensitively */
    const char *value;      /* may contain "{value}" */
    const char *secret_ref; /* NULL: value is used as is */
    struct bb_srcpos pos;
};

struct bb_rule {
    uint32_t index;       /* position in egress_policy.rules */
    const char *host_raw; /* as written */
    struct bb_host host;  /* normalised; kind BB_HOST_WILDCARD for "*.x" */
    enum bb_action action;
    const uint16_t *ports; /* allowed_ports; default {443} */
    size_t nports;
    bool ports_default;
    unsigned methods;         /* enum bb_method bits; 0 = any */
    const char *const *paths; /* normalised prefixes; npaths 0 = any */
    size_t npaths;
    enum bb_tls_mode tls;
    bool allow_private;
    const struct bb_rewrite *rewrites;
    size_t nrewrites;
    struct bb_srcpos pos;      /* the rule's mapping */
    struct bb_srcpos host_pos; /* its host: value */
};

/* Where a placeholder is replaced by its secret (credentials[].substitute_in). */
enum bb_subst_in {
    BB_SUBST_IN_HEADERS = 1u << 0,
    BB_SUBST_IN_PATH = 1u << 1,
    BB_SUBST_IN_QUERY = 1u << 2,
    BB_SUBST_IN_BODY = 1u << 3,
    BB_SUBST_IN_ALL = 0xfu,
};

/* A secret the workload holds a placeholder for: a random look-alike that
 * botbox swaps for the secret in requests to the bound hosts, and refuses
 * in requests to any other. */
/* What a credential becomes at the boundary (docs/configuration.md,
 * "Credentials"). */
enum bb_cred_kind {
    BB_CRED_STATIC,    /* the secret in place of its placeholder */
    BB_CRED_AWS_SIGV4, /* the request re-signed with the real AWS keys */
    BB_CRED_OAUTH2,    /* Authorization: Bearer <an access token botbox obtained> */
};

/* How an oauth2 credential's access token is obtained (RFC 6749 §4.4, §6). */
enum bb_oauth_grant { BB_GRANT_CLIENT_CREDENTIALS, BB_GRANT_REFRESH_TOKEN };
/* How the client authenticates to the token endpoint (RFC 6749 §2.3.1). */
enum bb_oauth_auth { BB_OAUTH_AUTH_BASIC, BB_OAUTH_AUTH_POST };

#define BB_OAUTH_URL_MAX     2048 /* token_url, bytes */
#define BB_OAUTH_SCOPES_MAX  32   /* scopes[] entries */
#define BB_OAUTH_TEXT_MAX    1024 /* a scope or the audience, bytes */
#define BB_OAUTH_REFRESH_DEF 60   /* refresh_before, seconds */
#define BB_OAUTH_REFRESH_MAX 3600

struct bb_credential {
    uint32_t index; /* position in credentials (its tag) */
    enum bb_cred_kind kind;
    const char *secret_ref;      /* the file in secrets_dir (aws_sigv4: the access key id's) */
    const char *prefix;          /* the placeholder starts with it ("" by default) */
    uint32_t length;             /* the placeholder's length, prefix included */
    const char *env;             /* the variable it is published under */
    const struct bb_host *hosts; /* bound hosts, as rules write them */
    const char *const *hosts_raw;
    size_t nhosts;
    bool hosts_default;     /* the hosts of the allow rules that reference secret_ref */
    unsigned substitute_in; /* enum bb_subst_in bits */
    /* aws_sigv4: the other secrets; region and service ("": from the
     * host, else the client's scope); secret_env: where the workload's
     * SDK finds a stand-in secret access key ("": nowhere) */
    const char *secret_key_ref, *token_ref; /* token_ref NULL: no session token */
    const char *region, *service, *secret_env;
    /* oauth2 (secret_ref holds its name, a file of none): the token
     * endpoint (https only: its host, port and path split out), the
     * secrets of the grant (NULL: none), the scopes joined by spaces and
     * the audience ("": none), and how long before expires_in it is
     * renewed */
    enum bb_oauth_grant grant;
    enum bb_oauth_auth client_auth;
    const char *token_url, *token_host, *token_path;
    uint16_t token_port;
    const char *client_id_ref, *client_secret_ref, *refresh_token_ref;
    const char *scope, *audience;
    uint32_t refresh_before;
    struct bb_srcpos pos;
};

enum bb_compressed_action { BB_COMPRESSED_REFUSE, BB_COMPRESSED_PASS };

struct bb_flow {
    uint32_t index;
    int proto; /* IPPROTO_TCP or IPPROTO_UDP */
    struct bb_cidr cidr;
    const uint16_t *ports;
    size_t nports;
    struct bb_srcpos pos;
};

struct bb_timeouts {
    uint32_t connect_ms, request_header_ms, response_header_ms, idle_ms, shutdown_drain_ms;
};

struct bb_interception {
    bool enabled;
    const char *listen_addr;
    uint16_t listen_port;
    const char *ca_cert_path, *ca_key_path;
    bool enforce_sni_host_match;
    bool deny_handshake_on_disallowed_sni;
    uint32_t cert_ttl_seconds;
    uint32_t cert_cache_size;
    uint32_t cert_cache_ttl_seconds;
    uint32_t handshake_timeout_ms;
    /* TLS 1.2 suites offered to the workload, an OpenSSL cipher list
     * (TLS 1.3's are AEAD only and not set here) */
    const char *tls12_ciphers;
    /* offer h2 in ALPN to the workload (botbox's own key) */
    bool http2;
};

/* The default: forward secrecy and AEAD only (no CBC: LUCKY13 and
 * friends), ECDSA leaves first, RSA for a CA with an RSA key. */
#define BB_TLS12_CIPHERS_DEFAULT                                                                   \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"   \
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"

/* Which clients a tenant is: its interfaces (positions in
 * gateway.client_interfaces) and source addresses, together. */
struct bb_tenant_match {
    const uint16_t *ifaces;
    size_t nifaces;
    const struct bb_cidr *sources;
    size_t nsources;
};

struct bb_tmatch;

struct bb_config {
    const char *path; /* the file it was loaded from */
    enum bb_mode mode;
    const char *listen_addr;
    uint16_t listen_port;
    const char *metrics_addr;
    uint16_t metrics_port;
    const char *secrets_dir;
    uint32_t max_connections;
    bool allow_non_loopback;
    uint32_t proxy_uid;
    uint32_t workers; /* 0 = one per CPU */
    bool enable_ipv6; /* BOTBOX_ENABLE_IPV6 only; default on */
    struct bb_timeouts timeouts;
    struct {
        const char *ca_file; /* "" = system store only */
        bool deny_private;
        bool http2; /* offer h2 in ALPN to upstreams */
    } upstream;
    struct {
        const char *const *client_interfaces;
        const struct bb_srcpos *client_interface_pos;
        size_t nclient_interfaces;
    } gateway;
    struct {
        enum bb_audit_output output;
        const char *path; /* BB_AUDIT_FILE only */
    } audit;
    struct {
        enum bb_action default_action;
        bool enforce;
        const struct bb_rule *rules;
        size_t nrules;
        const struct bb_flow *flows;
        size_t nflows;
    } egress;
    struct {
        uint16_t listen_port;
        const char *upstream; /* "" = first nameserver of resolv.conf */
        bool enforce_names;
        uint16_t wildcard_label_max; /* 1..BB_DNS_LABEL_MAX */
    } dns;
    struct bb_interception tls;
    struct {
        const struct bb_credential *list;
        size_t n;
    } credentials;
    struct {
        bool enabled; /* secrets in answers are replaced (docs/security.md) */
        enum bb_compressed_action compressed;
    } redaction;
    const char *placeholders_file;  /* "" = none: the env file the sidecar and gateway write */
    const struct bb_policy *policy; /* compiled lookup structures */

    /* Tenants: each a config of its own, the base's settings with its own
     * policy, credentials, secrets_dir, DNS enforcement, redaction,
     * placeholders_file and max_connections; they live and die with the
     * base (never freed on their own). n == 0: the base is the one
     * tenant. unmatched: the tenant a client no match covers gets ("":
     * none, it is refused). tmatch: which tenant a client is. */
    struct {
        const struct bb_config *const *list;
        size_t n;
    } tenants;
    const char *unmatched;
    long unmatched_index; /* its position in tenants.list, -1: none */
    const struct bb_tmatch *tmatch;
    /* a tenant's config: its name ("" for the base), position and match */
    const char *tenant_name;
    uint32_t tenant_index;
    struct bb_srcpos tenant_pos;
    struct bb_tenant_match match;
    /* tenants[].secrets: the names of secrets_dir it may reference (a
     * subset of a shared directory); n == 0: any */
    const char *const *secret_names;
    size_t nsecret_names;

    /* private */
    struct bb_arena *arena; /* owns everything above */
    const struct bb_config_origin *origins;
    size_t norigins;
};

/* Where a tracked value (listeners, ports, uid, mode, interception paths...)
 * came from. line 0 with env set: the environment; otherwise a file
 * position. */
struct bb_config_origin {
    const void *field; /* address of the value inside the config */
    const char *path;  /* key path, e.g. "mitm.listen_port" */
    const char *env;   /* "NAME=VALUE" or NULL */
    uint32_t line, col;
};

/* Looks up an environment variable. NULL disables overrides. */
typedef const char *(*bb_getenv_fn)(const char *name);
/* The process environment's (getenv), as a bb_getenv_fn. */
const char *bb_config_getenv(const char *name);

/* Parses and validates len bytes of YAML named `name` (for messages). Returns
 * the config, or NULL with at least one error in diag. Warnings (deprecated
 * keys, risky settings) go to diag either way. */
const struct bb_config *bb_config_parse(const char *name, const char *buf, size_t len,
                                        bb_getenv_fn env, struct bb_diag *diag);

/* Reads `path` (a regular file of at most BB_CONFIG_MAX_BYTES) and parses it. */
const struct bb_config *bb_config_load(const char *path, bb_getenv_fn env, struct bb_diag *diag);

/* Overrides from the command line, applied after the environment (so the
 * order of precedence is: command line, environment, file, defaults). */
struct bb_load_opts {
    bb_getenv_fn env; /* NULL: no environment overrides */
    const char *mode; /* "sidecar" / "gateway" (--mode), NULL: the file's */
    /* botbox run: the one client interface (replacing
     * gateway.client_interfaces) and the audit file (--audit); NULL: the
     * file's. */
    const char *client_interface;
    const char *audit_path;
};

const struct bb_config *bb_config_load_opts(const char *path, const struct bb_load_opts *opts,
                                            struct bb_diag *diag);

void bb_config_free(const struct bb_config *cfg);

/* The origin of the value at `field` (a pointer into cfg), or NULL when it
 * is a default or not tracked. */
const struct bb_config_origin *bb_config_origin_of(const struct bb_config *cfg, const void *field);

/* Formats "FILE:L:C: path", "NAME=VALUE: path" or "FILE: path" (default) for
 * messages about a config value; fallback_path names untracked values.
 * Returns buf. */
const char *bb_config_where(const struct bb_config *cfg, const void *field,
                            const char *fallback_path, char *buf, size_t cap);

/* Writes the normalised configuration (what `botbox check` prints). */
void bb_config_print(const struct bb_config *cfg, FILE *out);

/* The tenant named name, or NULL. */
const struct bb_config *bb_config_tenant(const struct bb_config *cfg, const char *name);

/* The credential for secret_ref name, or NULL. */
const struct bb_credential *bb_config_credential(const struct bb_config *cfg, const char *name);

/* Name of a method bit, "GET"...; NULL for anything else. */
const char *bb_method_name(unsigned bit);

/* The method bit for an HTTP method token, or 0 if botbox never allows it. */
unsigned bb_method_from_token(const char *tok, size_t len);

#endif
