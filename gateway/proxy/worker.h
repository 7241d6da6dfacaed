/*
 * Workers: N threads, each with its own event loop, SO_REUSEPORT listeners,
 * resolver and upstream pool; they share only the read-only snapshot
 * (config, secrets, TLS context) and the atomics in struct bb_shared.
 */
#ifndef BB_WORKER_H
#define BB_WORKER_H

#include "gateway/io/loop.h"
#include "gateway/proxy/proxy_ctx.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define BB_MAX_LISTENERS   6   /* 127.0.0.1, ::1, listen_addr; the same for TLS */
#define BB_ACCEPT_PAUSE_MS 100 /* EMFILE: retry accepting after this */
#define BB_ACCEPT_BATCH    64  /* connections accepted per readiness event */
/* Descriptors besides connections: listeners, epoll and event fds, audit,
 * metrics, NFQUEUE, DNS, inotify, trust store. */
#define BB_FD_RESERVE 64

struct bb_shared;
struct bb_snapshot;
struct bb_worker;

struct bb_listener {
    struct bb_io io;
    struct bb_worker *w;
    bool tls; /* the interception listener (443 steered here) */
};

struct bb_worker {
    struct bb_proxy_ctx px; /* what the proxy's connections share and live in */
    struct bb_shared *sh;
    struct bb_listener listeners[BB_MAX_LISTENERS];
    size_t nlisteners;
    struct bb_timer accept_pause;
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

#endif
