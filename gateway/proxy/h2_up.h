/*
 * HTTP/2 to the upstream (docs/proxy.md, "HTTP/2 to the upstream"): a
 * connection whose handshake selected h2 becomes an nghttp2 client
 * session, pooled per worker under the pool's key (host and port; the SNI
 * is the host and the trust is the config's), carrying as many requests at
 * once as the upstream's SETTINGS_MAX_CONCURRENT_STREAMS and
 * BB_H2UP_MAX_STREAMS allow. Beyond, a request dials a connection of its
 * own, which becomes a session of its own when the upstream selects h2
 * again.
 *
 * A request sees its stream as an upstream connection like any other (a
 * struct bb_upconn with no socket, bb_upconn_is_stream): it writes the
 * HTTP/1.1 request head and body it writes to every upstream, and reads an
 * HTTP/1.1 answer. This module turns the one into HEADERS, DATA and
 * trailers (http_out.c's bb_http_h2_request_fields), and the upstream's
 * frames back into an HTTP/1.1 answer (gateway/http/h1_feed.h: chunked
 * when no length came, so trailers such as grpc-status pass). The
 * pipeline (policy, rewrites, audit, relay) is unchanged.
 *
 * Flow control is the backpressure, as on the client side: the answer's
 * window opens as the request reads it (no automatic WINDOW_UPDATE), and
 * the request's body is taken BB_H2UP_SEND_MAX at a time, as the
 * upstream's window lets it go.
 */
#ifndef BB_H2_UP_H
#define BB_H2_UP_H

#include <stdbool.h>

struct bb_proxy_ctx;
struct bb_upconn;

/* Streams botbox opens at once on one upstream connection (and at most
 * what the upstream's SETTINGS allow); the next request takes another
 * connection. */
#define BB_H2UP_MAX_STREAMS 100u
/* Answer bytes a stream may bring ahead of what its request has relayed
 * (SETTINGS_INITIAL_WINDOW_SIZE), and all streams of a connection
 * together. */
#define BB_H2UP_STREAM_WINDOW (256u * 1024u)
#define BB_H2UP_CONN_WINDOW   (1024u * 1024u)
/* HPACK dynamic table, either way (the protocol's default). */
#define BB_H2UP_HPACK_TABLE 4096u
/* Request body bytes held per stream until the upstream's window takes
 * them; the request reads no more of its client until they went. */
#define BB_H2UP_SEND_MAX (64u * 1024u)

/* Upstreams (pool keys) whose last handshake selected http/1.1, kept per
 * worker: a request for one of them dials at once rather than wait for a
 * dial under way to become a session (proxy_up.c). */
#define BB_H2UP_H1_HINTS 64u

/* The handshake of u selected h2. */
bool bb_h2up_selected(const struct bb_upconn *u);

/* u (just dialled, its TLS up, h2 selected) becomes the session of its
 * key; returns a stream on it for the request that dialled it. NULL: out
 * of memory (u is closed then). */
struct bb_upconn *bb_h2up_adopt(struct bb_proxy_ctx *x, struct bb_upconn *u);

/* A dial for key finished its handshake: h2 or not, for the next. */
void bb_h2up_learn(const char *key, bool h2);

/* The last dial for key selected http/1.1. */
bool bb_h2up_known_h1(const char *key);

/* A stream on a session of key that has room for one more, or NULL. */
struct bb_upconn *bb_h2up_get(struct bb_proxy_ctx *x, const char *key);

/* The worker stops: every session closes (their streams' requests see
 * their upstream gone). */
void bb_h2up_close_all(struct bb_proxy_ctx *x);

#endif
