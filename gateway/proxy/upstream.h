/*
 * Upstream connections: always TLS (docs/reference.md §4: upstream is HTTPS), with
 * the chain verified against the system store plus upstream.ca_file and the
 * certificate checked for the requested name, SNI set, TLS 1.2 or later,
 * sessions resumed. A per-worker pool keeps idle connections per
 * (host, port) for timeouts.idle; a pooled connection the upstream closes is
 * dropped at once.
 *
 * Error convention: 0 / -1 (+ errno for socket errors).
 */
#ifndef BB_UPSTREAM_H
#define BB_UPSTREAM_H

#include "common/buf.h"
#include "gateway/io/conn.h"
#include "gateway/io/loop.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#define BB_POOL_MAX_IDLE   256            /* idle upstream connections per worker */
#define BB_POOL_RELEASE_MS 1000u          /* a pooled connection's buffers go back after */
#define BB_POOL_KEY_MAX    344            /* "[tenant/]host:port" */
#define BB_TLS_SESSIONS    64             /* cached client sessions per worker */
#define BB_UPSTREAM_IN     (64u * 1024u)  /* response bytes read, drained after each read */
#define BB_UPSTREAM_OUT    (256u * 1024u) /* request bytes to send: a watermark plus headroom */

struct bb_config;
struct bb_h2us;
struct bb_pool;
struct bb_proxy;

enum bb_up_state { BB_UP_CONNECTING, BB_UP_HANDSHAKE, BB_UP_READY };

struct bb_upconn {
    struct bb_io io;
    struct bb_conn conn;
    enum bb_up_state state;
    struct bb_buf in, out;
    char key[BB_POOL_KEY_MAX];
    bool reused;            /* came from the pool */
    struct bb_timer idle;   /* while pooled */
    struct bb_upconn *next; /* pool list */
    struct bb_pool *pool;
    void *owner; /* the proxy connection using it, NULL when pooled */
    /* An HTTP/2 stream (h2_up.c) rather than a connection: no socket, its
     * transport is the stream, and it is never pooled itself. */
    bool is_stream;
    struct bb_h2us *h2s; /* the stream, NULL once it let the upconn go */
    /* A dial that offered h2 and is not through its handshake yet: the
     * requests for its key wait for it rather than dial (proxy_up.c). */
    bool dialing;
    LIST_ENTRY(bb_upconn) dial_link; /* in the context's h2dial */
    LIST_HEAD(, bb_proxy) waiters;
    unsigned nwaiters;
};

static inline bool bb_upconn_is_stream(const struct bb_upconn *u)
{
    return u->is_stream;
}

/* The shared client context. NULL with a message on stderr on failure. */
SSL_CTX *bb_upstream_tls_ctx(const struct bb_config *cfg);

/* Starts a nonblocking TCP connect to addr:port and prepares TLS for host
 * (tls false: plain TCP, for passthrough, where the client's own TLS goes
 * through). h2: ALPN offers h2 before http/1.1 (else http/1.1 only).
 * Returns the connection (state CONNECTING), or NULL with errno. */
struct bb_upconn *bb_upstream_dial(struct bb_pool *pool, int family, const uint8_t *addr,
                                   uint16_t port, const char *host, bool host_is_ip,
                                   const char *key, bool tls, bool h2);

/* Advances connect and handshake. Returns 1 ready, 0 in progress (io
 * interest in c->conn.want or EPOLLOUT while connecting), -1 failed. */
int bb_upstream_progress(struct bb_upconn *u);

void bb_upstream_close(struct bb_loop *l, struct bb_upconn *u);

/* freed(arg, bytes) is told of the buffer memory pooled connections give
 * back once idle for BB_POOL_RELEASE_MS (the worker's trim). */
struct bb_pool *bb_pool_new(struct bb_loop *loop, SSL_CTX *ctx, uint64_t idle_ms,
                            void (*freed)(void *arg, size_t bytes), void *arg);
void bb_pool_free(struct bb_pool *p);

/* An idle connection for key, or NULL. */
struct bb_upconn *bb_pool_get(struct bb_pool *p, const char *key);

/* Keeps u for reuse (or closes it when the pool is full). */
void bb_pool_put(struct bb_pool *p, struct bb_upconn *u);

#endif
