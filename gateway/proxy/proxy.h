/*
 * The proxy: one state machine per client connection (docs/reference.md §4,
 * docs/proxy.md). It reads a request head within the limits, refuses what must
 * be refused with the exact status and body, decides with the policy,
 * resolves and classifies the destination, dials it over verified TLS (or
 * reuses a pooled connection), forwards a rebuilt head and the body in one
 * framing, relays the response as it streams, and keeps both connections
 * alive when it can. Every request ends with one audit line.
 */
#ifndef BB_PROXY_H
#define BB_PROXY_H

#include <stdbool.h>
#include <sys/socket.h>

struct bb_proxy_ctx;

/* Takes over an accepted, nonblocking client socket (peer: its address, as
 * accept4 gave it); tls: it came to the interception listener (a
 * ClientHello is expected first). */
void bb_proxy_accept(struct bb_proxy_ctx *x, int fd, bool tls, const struct sockaddr_storage *peer);

/* Closes every client connection of the context (at shutdown). */
void bb_proxy_close_all(struct bb_proxy_ctx *x);
/* Frees the context's spare connections and blocks, once every connection
 * is freed (at shutdown, after the loop ran its deferred work). */
void bb_proxy_free_spares(struct bb_proxy_ctx *x);

/* Closes the context's idle keep-alive connections (graceful shutdown). */
void bb_proxy_close_idle(struct bb_proxy_ctx *x);

#endif
