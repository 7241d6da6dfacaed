/*
 * The access tokens of oauth2 credentials (docs/security.md, "OAuth2
 * access tokens"): fetched by botbox from the credential's token
 * endpoint, cached for the process, one fetch at a time per credential
 * across all workers (single flight).
 *
 * A worker asks for a credential's token with bb_minter_get. A cached
 * token that is not within refresh_before of its expiry is handed out at
 * once; one within it is handed out too, and a fetch starts behind it
 * (renewal before expiry, nobody waits). With no usable token the request
 * waits: it is queued on the credential, the one fetch under way (or a
 * new one) answers every waiter, each on its own worker's loop
 * (bb_loop_post). A failed fetch answers them with no token; the next
 * request starts another.
 *
 * A fetch runs on a thread of its own: it resolves the endpoint's name
 * with c-ares (dns.upstream, as the proxy does), dials it over TCP,
 * verifies its TLS certificate with botbox's client context (the system
 * store plus upstream.ca_file), posts the token request (oauth2.h) and
 * reads the answer, all within BB_MINT_TIMEOUT_MS. A rotated refresh
 * token is kept in memory and used for the next fetch; where secrets_dir
 * is writable it is also written back to its file, atomically (a
 * temporary file renamed over it). Every fetch is reported (the audit's
 * "token" event); a token or secret is never part of a report.
 *
 * The cache is keyed by the credential's name and its tenant's, and forgets a token when
 * what it was made from changes (the token URL, grant, scopes,
 * audience, client id or secret): a reload with other client secrets
 * fetches anew. A refresh token replaced in secrets_dir by the operator
 * replaces the rotated one kept.
 *
 * Thread-safety: any worker calls get, cancel and reject; the table is
 * under one mutex, never held across I/O.
 */
#ifndef BB_MINTER_H
#define BB_MINTER_H

#include "gateway/cred/oauth2.h"

#include <openssl/ssl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BB_MINT_TIMEOUT_MS 5000u      /* a fetch: resolve, connect, TLS, request and answer */
#define BB_MINT_WAIT_MS    6000u      /* a request waits for a token at most this (then 502) */
#define BB_MINT_ENTRIES    (1u << 20) /* credentials cached, every tenant's: beyond, 502 */
#define BB_MINT_WAITERS    8192u      /* requests waiting on one credential; more: no token */

struct bb_credential;
struct bb_loop;
struct bb_minter;
struct bb_mint_wait;

/* A token handed out: shared, immutable, wiped when the last holder lets
 * it go. */
struct bb_token {
    atomic_uint refs;
    size_t len;
    char s[];
};
void bb_token_put(struct bb_token *t);

/* What a fetch reports (the audit's "token" event). */
struct bb_mint_report {
    const char *credential, *grant, *trigger; /* trigger: first, expiry, renewal, rejected */
    const char *tenant;                       /* whose credential, or NULL */
    const char *decision, *reason;            /* allow token_fetched, or error and why */
    char dst[300];                            /* "host:port" of the endpoint */
    int status;                               /* its HTTP status, 0 when none came */
    const char *endpoint_error;               /* its error code (RFC 6749 §5.2), or NULL */
    uint64_t expires_in, duration_ms;
    bool rotated;             /* a new refresh token came */
    const char *refresh_kept; /* "written" back to secrets_dir, or "memory" only */
};
typedef void (*bb_mint_report_fn)(void *arg, const struct bb_mint_report *r);

/* ctx: botbox's TLS client context (a reference is taken). dns: as
 * bb_resolver_new's server. forget_ct: likewise. report(arg, r) is
 * called on the fetch's thread. NULL on out-of-memory. */
struct bb_minter *bb_minter_new(SSL_CTX *ctx, const char *dns, bool forget_ct,
                                bb_mint_report_fn report, void *arg);
/* Waits for the fetches under way (each ends within BB_MINT_TIMEOUT_MS)
 * and frees everything, tokens wiped. No waiter may be left. NULL is fine. */
void bb_minter_free(struct bb_minter *m);

/* The credential and its secrets (the snapshot's: copied when a fetch
 * needs them). */
struct bb_mint_src {
    const struct bb_credential *cred;
    struct bb_oauth_secrets sec;
    const char *secrets_dir; /* where a rotated refresh token is written back */
    const char *tenant;      /* whose credential (NULL: no tenants): a token is a tenant's */
};

/* A token, or NULL (the fetch failed or the wait was refused). The
 * callee owns the reference. */
typedef void (*bb_mint_cb)(void *arg, struct bb_token *t);

/* 1: *out holds a token (a reference for the caller). 0: the request
 * waits: cb(arg, token) runs on `loop` later, unless bb_minter_cancel(*w)
 * comes first. -1: no memory, or too many waiters (no token). */
int bb_minter_get(struct bb_minter *m, const struct bb_mint_src *src, struct bb_loop *loop,
                  bb_mint_cb cb, void *arg, struct bb_token **out, struct bb_mint_wait **w);
/* The waiting request went away: its cb will not run. On the loop's
 * thread, before cb ran. */
void bb_minter_cancel(struct bb_minter *m, struct bb_mint_wait *w);
/* The upstream refused t (401): it is not handed out again; the next get
 * fetches a new one. */
void bb_minter_reject(struct bb_minter *m, const struct bb_credential *cred,
                      const struct bb_token *t);

#endif
