/*
 * The process-wide state every thread of `botbox serve` reads (the boot
 * config, the current snapshot, the TLS contexts) and writes (audit,
 * metrics, a few atomics). The control thread owns it; workers, the
 * verdict thread and the DNS forwarder hold a pointer.
 */
#ifndef BB_SHARED_H
#define BB_SHARED_H

#include <openssl/ssl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct bb_config;
struct bb_snapshot;
struct bb_audit;
struct bb_metrics;
struct bb_ca;
struct bb_certcache;
struct bb_minter;

struct bb_shared {
    /* The config serve started with: listeners, workers, resolver and pool
     * settings come from it and change only with a restart. */
    const struct bb_config *boot_cfg;
    struct bb_snapshot *current; /* the control thread's; workers get refs */
    SSL_CTX *client_tls;
    struct bb_minter *minter; /* oauth2 access tokens (gateway/cred/minter.h) */
    struct bb_audit *audit;
    struct bb_metrics *metrics; /* one shard per worker */
    /* HTTPS on the interception listener (when 443 is steered): */
    SSL_CTX *server_tls;             /* the listener's TLS context */
    struct bb_ca *ca;                /* NULL when only passthrough is configured */
    struct bb_certcache *certs;      /* leaves minted by ca */
    atomic_uint connections;         /* open client connections, all workers */
    struct bb_tconns *tconns;        /* open connections per tenant (tenant_conns.h) */
    atomic_size_t freed;             /* buffer bytes freed since the last trim */
    atomic_uint_fast64_t trimmed_ms; /* the last trim, CLOCK_MONOTONIC ms */
};

#endif
