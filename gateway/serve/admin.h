/*
 * The metrics and health endpoint (docs/reference.md §5), served by the control
 * thread on metrics_addr:metrics_port:
 *
 *   GET /metrics            Prometheus text exposition 0.0.4
 *   GET /healthz, /readyz   200 "ok" when ready, else 503 "not ready", then
 *                           the detail lines (a tenant's missing secrets)
 *   anything else           404 "not found"
 *
 * HEAD works where GET does. One request per connection (Connection:
 * close). Heads are parsed by the proxy's strict parser; a bad one gets 400.
 * At most BB_ADMIN_MAX_CONNS connections at once (more are closed on
 * accept), each closed after BB_ADMIN_TIMEOUT_MS whatever its state.
 */
#ifndef BB_ADMIN_H
#define BB_ADMIN_H

#include "common/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BB_ADMIN_MAX_CONNS  16
#define BB_ADMIN_TIMEOUT_MS 5000
#define BB_ADMIN_HEAD_MAX   8192                  /* request head bytes: 431 beyond */
#define BB_ADMIN_OUT_MAX    (16u * 1024u * 1024u) /* a response: 500 beyond */

struct bb_loop;
struct bb_admin;

struct bb_admin_ops {
    bool (*ready)(void *arg);
    int (*metrics)(void *arg, struct bb_buf *out); /* 0 or -1 */
    /* Lines after the readiness answer (what is degraded without making
     * the gateway unready); NULL: none. 0 or -1. */
    int (*detail)(void *arg, struct bb_buf *out);
    void *arg;
};

/* Listens on addr:port on loop l. NULL with errno when it cannot. */
struct bb_admin *bb_admin_new(struct bb_loop *l, const char *addr, uint16_t port,
                              const struct bb_admin_ops *ops);
/* Closes the listener and every connection. NULL is fine. */
void bb_admin_free(struct bb_admin *a);

/* The whole response to the request bytes buf[0..len), which hold one
 * complete head. Pure apart from the ops; for the server and for tests. */
void bb_admin_respond(const struct bb_admin_ops *ops, const char *buf, size_t len,
                      struct bb_buf *out);

#endif
