/*
 * One exchange with an OAuth2 token endpoint (docs/security.md, "OAuth2
 * access tokens"), on the calling thread (a fetch's own, minter.c): the
 * endpoint's name resolved with c-ares on a loop of the thread's own, a
 * TCP dial, TLS verified with botbox's client context and the name
 * checked, the request written, the answer read with llhttp until its
 * end. Blocking, every step bounded by one deadline (socket timeouts set
 * from the time left). Nothing here knows OAuth2: bytes in, a status and
 * a body out.
 */
#ifndef BB_TOKEN_CALL_H
#define BB_TOKEN_CALL_H

#include "gateway/cred/oauth2.h"

#include <llhttp.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bb_token_call {
    /* in */
    SSL_CTX *ctx;
    const char *dns; /* as bb_resolver_new's server */
    bool forget_ct;
    char host[256]; /* a name, or an IP literal (no brackets) */
    uint16_t port;
    const char *req; /* the request's bytes */
    size_t req_len;
    uint64_t deadline; /* bb_token_now_ms() at which it gives up */
    /* out */
    int status;
    char body[BB_OAUTH_ANSWER_MAX];
    size_t body_len;
    /* the reading */
    llhttp_t parser;
    llhttp_settings_t settings;
    bool complete, too_large;
};

/* NULL when an answer came whole (c->status, c->body), else why not:
 * token_endpoint_resolve_timeout, _unresolved, _unreachable, _timeout,
 * _tls_verify, _tls, _closed, _protocol, token_answer_too_large. */
const char *bb_token_call(struct bb_token_call *c);

/* v written to path atomically: a temporary file beside it (mode 0600),
 * synced, renamed over it. False when any step failed (nothing left). */
bool bb_token_write_back(const char *path, const char *v, size_t n);

/* CLOCK_MONOTONIC, ms. */
uint64_t bb_token_now_ms(void);

#endif
