/*
 * The proxy's context on one worker thread: what its connections share
 * (the loop, resolver, upstream pool, snapshot, metrics shard and the
 * process-wide state) and their storage (live and spare connections, the
 * slabs and blocks they come from, request ids, the accounting of freed
 * memory). The worker fills it and owns it; the proxy uses it and never
 * calls the worker back: when the last connection of a draining context
 * has closed, it calls on_empty.
 */
#ifndef BB_PROXY_CTX_H
#define BB_PROXY_CTX_H

#include "common/blocks.h"
#include "common/slab.h"
#include "gateway/cred/subst.h"
#include "gateway/io/loop.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

/* Memory given back to the system (bb_proxy_ctx_freed). free() keeps what
 * it cannot return from the top of the heap, and the buffers of thousands
 * of connections gone idle sit between the structs of live ones: a trim
 * walks the heap and returns the free pages (about 5 ms for a 130 MB heap). */
#define BB_TRIM_MIN_BYTES (1u << 20) /* freed since the last trim: worth a walk */
#define BB_TRIM_DELAY_MS  250u       /* after the crossing: a burst of frees goes in one */
#define BB_TRIM_EVERY_MS  1000u      /* at most one trim per this, process-wide */

struct bb_shared;
struct bb_resolver;
struct bb_pool;
struct bb_snapshot;
struct bb_metrics_shard;
struct bb_proxy;
struct bb_h2up;
struct bb_upconn;

struct bb_proxy_ctx {
    unsigned id; /* the worker's: the top byte of its request ids */
    struct bb_shared *sh;
    struct bb_loop *loop;
    struct bb_resolver *resolver;
    struct bb_pool *pool;
    struct bb_snapshot *snap; /* the thread's current snapshot (one reference) */
    struct bb_metrics_shard *metrics;
    uint64_t next_request;
    LIST_HEAD(, bb_proxy) proxies; /* live client connections (closed at stop) */
    LIST_HEAD(, bb_proxy) spare;   /* closed ones kept for the next accepts */
    LIST_HEAD(, bb_h2up) h2up;     /* HTTP/2 upstream sessions (h2_up.c) */
    LIST_HEAD(, bb_upconn) h2dial; /* dials offering h2, in their handshake (proxy_up.c) */
    size_t nspare;
    bool no_spares;                /* stopping: closed connections are freed */
    struct bb_blocks blocks;       /* requests' head copies */
    struct bb_slab conns;          /* connection structs, apart from the heap */
    struct bb_slab reqs;           /* their per-request parts (struct bb_proxy_req) */
    struct bb_subst_scratch subst; /* placeholders and redaction (proxy_cred.c) */
    struct bb_timer trim;          /* bb_proxy_ctx_freed */
    bool draining;                 /* requests finish without keep-alive, then close */
    void (*on_empty)(void *arg);   /* once, when draining and no connection is left */
    void *on_empty_arg;
};

/* `bytes` of connection memory were freed. Past BB_TRIM_MIN_BYTES (all
 * threads), this thread gives the heap's free pages back to the system
 * soon: idle connections then hold their structs, not the peak. */
void bb_proxy_ctx_freed(struct bb_proxy_ctx *x, size_t bytes);

/* A fresh request id: the context's id in the top byte, a counter below. */
uint64_t bb_proxy_ctx_request_id(struct bb_proxy_ctx *x);

/* Starts the drain: from now on, on_empty(arg) is called once, on this
 * thread, as soon as no connection is left (maybe at once). */
void bb_proxy_ctx_drain(struct bb_proxy_ctx *x, void (*on_empty)(void *arg), void *arg);

/* A connection left the live list: calls on_empty when it was the last of
 * a draining context. */
void bb_proxy_ctx_closed(struct bb_proxy_ctx *x);

#endif
