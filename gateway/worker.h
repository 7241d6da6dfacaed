/*
 * Workers: N threads, each with its own event loop, SO_REUSEPORT listeners,
 * resolver and upstream pool; they share only the read-only snapshot
 * (config, secrets, TLS context) and the atomics in struct bb_shared.
 */
#ifndef BB_WORKER_H
#define BB_WORKER_H

#include "common/blocks.h"
#include "common/slab.h"
#include "gateway/loop.h"

#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#define BB_MAX_LISTENERS   6   /* 127.0.0.1, ::1, listen_addr; the same for TLS */
#define BB_ACCEPT_PAUSE_MS 100 /* EMFILE: retry accepting after this */
#define BB_ACCEPT_BATCH    64  /* connections accepted per readiness event */
/* Descriptors besides connections: listeners, epoll and event fds, audit,
 * metrics, NFQUEUE, DNS, inotify, trust store. */
#define BB_FD_RESERVE 64
/* Memory given back to the system (bb_worker_freed). free() keeps what it
 * cannot return from the top of the heap, and the buffers of thousands of
 * connections gone idle sit between the structs of live ones: a trim walks
 * the heap and returns the free pages (about 5 ms for a 130 MB heap). */
#define BB_TRIM_MIN_BYTES (1u << 20) /* freed since the last trim: worth a walk */
#define BB_TRIM_DELAY_MS  250u       /* after the crossing: a burst of frees goes in one */
#define BB_TRIM_EVERY_MS  1000u      /* at most one trim per this, process-wide */

struct bb_config;
struct bb_secrets;
struct bb_audit;
struct bb_resolver;
struct bb_pool;

struct bb_snapshot;
struct bb_metrics;
struct bb_metrics_shard;
struct bb_ca;
struct bb_certcache;

/* Process-wide state shared by the workers. */
struct bb_shared {
    /* The config serve started with: listeners, workers, resolver and pool
     * settings come from it and change only with a restart. */
    const struct bb_config *boot_cfg;
    struct bb_snapshot *current; /* the control thread's; workers get refs */
    SSL_CTX *client_tls;
    struct bb_audit *audit;
    struct bb_metrics *metrics; /* one shard per worker */
    /* HTTPS on the interception listener (when 443 is steered): */
    SSL_CTX *server_tls;             /* the listener's TLS context */
    struct bb_ca *ca;                /* NULL when only passthrough is configured */
    struct bb_certcache *certs;      /* leaves minted by ca */
    atomic_uint connections;         /* open client connections, all workers */
    atomic_size_t freed;             /* buffer bytes freed since the last trim */
    atomic_uint_fast64_t trimmed_ms; /* the last trim, CLOCK_MONOTONIC ms */
};

struct bb_worker;

struct bb_listener {
    struct bb_io io;
    struct bb_worker *w;
    bool tls; /* the interception listener (443 steered here) */
};

struct proxy;

struct bb_worker {
    unsigned id;
    struct bb_shared *sh;
    struct bb_loop *loop;
    struct bb_resolver *resolver;
    struct bb_pool *pool;
    struct bb_listener listeners[BB_MAX_LISTENERS];
    size_t nlisteners;
    struct bb_timer accept_pause;
    struct bb_timer trim; /* bb_worker_freed */
    uint64_t next_request;
    LIST_HEAD(, proxy) proxies; /* live client connections (closed at stop) */
    LIST_HEAD(, proxy) spare;   /* closed ones kept for the next accepts (proxy.c) */
    size_t nspare;
    bool no_spares;           /* stopping: closed connections are freed */
    struct bb_blocks blocks;  /* requests' head copies (proxy.c) */
    struct bb_slab conns;     /* connection structs (proxy.c), apart from the heap */
    struct bb_slab reqs;      /* their per-request parts (struct proxy_req) */
    struct bb_snapshot *snap; /* this worker's current snapshot (one reference) */
    struct bb_metrics_shard *metrics;
    bool draining;              /* listeners closed; requests finish, then close */
    void (*drained)(void *arg); /* called (on this thread) once no connection is left */
    void *drained_arg;
    pthread_t thread;
    bool started;
};

/* Creates the worker's loop, resolver, pool and listeners (bound now, so
 * that errors show at start-up). Returns 0 or -1 with a message on stderr. */
int bb_worker_init(struct bb_worker *w, unsigned id, struct bb_shared *sh);

/* Runs the loop in a new thread. */
int bb_worker_start(struct bb_worker *w);

/* Asks the loop to stop (any thread), then joins and frees. */
void bb_worker_stop(struct bb_worker *w);

/* Hands the worker a new snapshot (takes one reference); any thread. */
void bb_worker_install(struct bb_worker *w, struct bb_snapshot *snap);

/* Graceful shutdown, from any thread: the worker closes its listeners and
 * idle connections, lets requests in flight finish without keep-alive, and
 * calls drained(arg) on its own thread when its last connection closed. */
void bb_worker_drain(struct bb_worker *w, void (*drained)(void *arg), void *arg);

/* proxy.c tells the worker a connection closed. */
void bb_worker_connection_closed(struct bb_worker *w);

/* proxy.c freed `bytes` of connection memory. Past BB_TRIM_MIN_BYTES
 * (all workers), this worker gives the heap's free pages back to the
 * system soon: idle connections then hold their structs, not the peak. */
void bb_worker_freed(struct bb_worker *w, size_t bytes);

/* A fresh request id: worker id in the top byte, a counter below. */
uint64_t bb_worker_request_id(struct bb_worker *w);

#endif
