/*
 * Workers (see worker.h). Each binds its own listening sockets with
 * SO_REUSEPORT, so the kernel spreads connections and no lock guards
 * accept. The listeners on 127.0.0.1 and ::1 carry IP_TRANSPARENT: tproxy
 * delivers steered connections only to such sockets, and being on loopback
 * they are unreachable except through tproxy.
 */
#include "gateway/proxy/worker.h"
#include "gateway/proxy/h2_up.h"
#include "common/log.h"
#include "common/macros.h"

#include "gateway/io/listen.h"
#include "gateway/state/metrics.h"
#include "gateway/proxy/proxy.h"
#include "gateway/state/shared.h"
#include "gateway/io/resolver.h"
#include "gateway/state/snapshot.h"
#include "gateway/proxy/upstream.h"
#include "policy/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void on_accept(struct bb_loop *l, struct bb_io *io, uint32_t events);
static void close_listeners(struct bb_worker *w);

static int add_listener(struct bb_worker *w, const char *addr, uint16_t port, bool tls)
{
    int fd = bb_listen(addr, port, BB_LISTEN_TRANSPARENT | BB_LISTEN_REUSEPORT);
    if (fd < 0) {
        bb_log_warn("listening on %s%s%s:%u", strchr(addr, ':') ? "[" : "", addr,
                    strchr(addr, ':') ? "]" : "", port);
        return -1;
    }
    struct bb_listener *li = &w->listeners[w->nlisteners++];
    li->w = w;
    li->tls = tls;
    if (bb_loop_io_add(w->px.loop, &li->io, fd, EPOLLIN, on_accept) != 0) {
        close(fd);
        return -1;
    }
    return 0;
}

static void set_accepting(struct bb_worker *w, bool on)
{
    for (size_t i = 0; i < w->nlisteners; i++)
        bb_loop_io_set(w->px.loop, &w->listeners[i].io, on ? EPOLLIN : 0);
}

static void resume_accept(struct bb_loop *l, struct bb_timer *t)
{
    (void)l;
    struct bb_worker *w = BB_CONTAINER_OF(t, struct bb_worker, accept_pause);
    set_accepting(w, true);
}

static void on_accept(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)events;
    struct bb_listener *li = (struct bb_listener *)io;
    for (int i = 0; i < BB_ACCEPT_BATCH; i++) {
        struct sockaddr_storage peer = {0};
        socklen_t plen = sizeof(peer);
        int fd = accept4(io->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            bb_proxy_accept(&li->w->px, fd, li->tls, &peer);
            continue;
        }
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* Out of descriptors: stop accepting for a moment instead of
             * spinning on a listener that stays readable. */
            set_accepting(li->w, false);
            bb_metrics_accept_paused(li->w->px.metrics);
            bb_loop_timer_set(l, &li->w->accept_pause, BB_ACCEPT_PAUSE_MS, resume_accept);
        }
        return; /* EAGAIN, or a connection that died in the queue */
    }
}

/* 127.0.0.1 and ::1 (where tproxy delivers), and addr when it is another
 * address (clients that name the proxy explicitly). */
static int add_listeners(struct bb_worker *w, const char *addr, uint16_t port, bool tls)
{
    const struct bb_config *c = w->sh->boot_cfg;
    if (add_listener(w, "127.0.0.1", port, tls) != 0)
        return -1;
    if (c->enable_ipv6 && add_listener(w, "::1", port, tls) != 0)
        return -1;
    bool extra = strcmp(addr, "127.0.0.1") != 0 && strcmp(addr, "::1") != 0;
    return extra ? add_listener(w, addr, port, tls) : 0;
}

static void pool_freed(void *arg, size_t bytes)
{
    bb_proxy_ctx_freed(arg, bytes);
}

int bb_worker_init(struct bb_worker *w, unsigned id, struct bb_shared *sh)
{
    const struct bb_config *c = sh->boot_cfg;
    memset(w, 0, sizeof(*w));
    struct bb_proxy_ctx *x = &w->px;
    w->sh = x->sh = sh;
    x->id = id;
    x->snap = bb_snapshot_ref(sh->current);
    x->metrics = bb_metrics_shard(sh->metrics, id);
    x->loop = bb_loop_new();
    if (x->loop == NULL)
        return -1;
    x->resolver = bb_resolver_new(x->loop, c->dns.upstream, c->mode != BB_MODE_GATEWAY);
    x->pool = bb_pool_new(x->loop, sh->client_tls, c->timeouts.idle_ms, pool_freed, x);
    if (x->resolver == NULL || x->pool == NULL)
        return -1;
    if (add_listeners(w, c->listen_addr, c->listen_port, false) != 0)
        return -1;
    return sh->server_tls != NULL ? add_listeners(w, c->tls.listen_addr, c->tls.listen_port, true)
                                  : 0;
}

int bb_worker_start(struct bb_worker *w)
{
    if (bb_loop_thread_start(w->px.loop, &w->thread) != 0)
        return -1;
    w->started = true;
    return 0;
}

void bb_worker_stop(struct bb_worker *w)
{
    struct bb_proxy_ctx *x = &w->px;
    if (x->loop == NULL)
        return;
    if (w->started) {
        bb_loop_thread_join(x->loop, w->thread);
    }
    x->on_empty = NULL; /* stopping now: nobody waits for the drain any more */
    bb_proxy_close_all(x);
    bb_h2up_close_all(x);
    bb_loop_run_deferred(x->loop);
    bb_pool_free(x->pool);
    bb_resolver_free(x->resolver);
    bb_loop_run_deferred(x->loop);
    bb_proxy_free_spares(x);
    close_listeners(w);
    bb_loop_free(x->loop);
    x->loop = NULL;
    bb_snapshot_unref(x->snap);
    x->snap = NULL;
}

void bb_worker_install(struct bb_worker *w, struct bb_snapshot *snap)
{
    bb_snapshot_post(w->px.loop, &w->px.snap, snap);
}

static void close_listeners(struct bb_worker *w)
{
    for (size_t i = 0; i < w->nlisteners; i++) {
        bb_loop_io_del(w->px.loop, &w->listeners[i].io);
        close(w->listeners[i].io.fd);
    }
    w->nlisteners = 0;
    bb_loop_timer_cancel(w->px.loop, &w->accept_pause);
}

struct drain {
    struct bb_worker *w;
    void (*drained)(void *arg);
    void *arg;
};

static void do_drain(struct bb_loop *l, void *arg)
{
    (void)l;
    struct drain d = *(struct drain *)arg;
    free(arg);
    close_listeners(d.w); /* new connections are refused from now on */
    d.w->px.draining = true;
    bb_proxy_close_idle(&d.w->px);
    bb_proxy_ctx_drain(&d.w->px, d.drained, d.arg);
}

void bb_worker_drain(struct bb_worker *w, void (*drained)(void *arg), void *arg)
{
    struct drain *d = malloc(sizeof(*d));
    if (d != NULL)
        *d = (struct drain){w, drained, arg};
    if (d == NULL || bb_loop_post(w->px.loop, do_drain, d) != 0) {
        free(d); /* XXX: out of memory: the drain timeout stops this worker */
    }
}
