/*
 * c-ares on the event loop (see resolver.h). c-ares reports the sockets it
 * wants watched through the socket-state callback; each gets a bb_io in a
 * small table. ares_timeout() drives one loop timer for retries.
 */
#include "gateway/io/resolver.h"
#include "common/log.h"
#include "common/macros.h"

#include "gateway/io/ctdel.h"
#include "gateway/io/loop.h"

#include <ares.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define BB_RESOLVER_MAX_SOCKS 16 /* sockets c-ares may hold open */

struct sock {
    struct bb_io io;
    struct bb_resolver *r;
    bool used;
};

struct bb_resolver {
    struct bb_loop *loop;
    ares_channel ch;
    struct bb_ctdel *ct; /* NULL unless the workload shares the namespace */
    struct sock socks[BB_RESOLVER_MAX_SOCKS];
    struct bb_timer timer;
    struct lookup *lookups; /* in flight */
};

struct bb_resolve_req {
    struct bb_loop *loop;
    bb_resolve_cb cb;
    void *arg;
    bool cancelled;
    int status;
    struct bb_addrs addrs;
    struct bb_resolve_req *next; /* the lookup's next waiter */
};

/* One name at the resolver. Requests for a name already being looked up
 * wait for that answer instead of asking again: a burst of new upstream
 * connections to one host (an empty pool, a reload) is one query pair, not
 * hundreds the resolver might drop, each drop costing a 2 s retry. */
struct lookup {
    struct bb_resolver *r;
    struct lookup *prev, *next;
    struct bb_resolve_req *waiters;
    char name[];
};

static void rearm(struct bb_resolver *r);

static void on_io(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)l;
    struct sock *s = (struct sock *)io;
    ares_socket_t rd = (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? io->fd : ARES_SOCKET_BAD;
    ares_socket_t wr = (events & EPOLLOUT) ? io->fd : ARES_SOCKET_BAD;
    ares_process_fd(s->r->ch, rd, wr);
    rearm(s->r);
}

static void on_timer(struct bb_loop *l, struct bb_timer *t)
{
    (void)l;
    struct bb_resolver *r = BB_CONTAINER_OF(t, struct bb_resolver, timer);
    ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    rearm(r);
}

static void rearm(struct bb_resolver *r)
{
    struct timeval tv, *tvp = ares_timeout(r->ch, NULL, &tv);
    if (tvp == NULL) {
        bb_loop_timer_cancel(r->loop, &r->timer);
        return;
    }
    uint64_t ms = (uint64_t)tvp->tv_sec * 1000 + (uint64_t)tvp->tv_usec / 1000 + 1;
    bb_loop_timer_set(r->loop, &r->timer, ms, on_timer);
}

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    struct bb_resolver *r = data;
    struct sock *s = NULL, *free_slot = NULL;
    for (size_t i = 0; i < BB_RESOLVER_MAX_SOCKS; i++) {
        if (r->socks[i].used && r->socks[i].io.fd == fd)
            s = &r->socks[i];
        else if (!r->socks[i].used && free_slot == NULL)
            free_slot = &r->socks[i];
    }
    uint32_t ev = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);
    if (s == NULL && ev != 0 && free_slot != NULL) {
        free_slot->r = r;
        if (bb_loop_io_add(r->loop, &free_slot->io, fd, ev, on_io) == 0)
            free_slot->used = true;
    } else if (s != NULL && ev != 0) {
        bb_loop_io_set(r->loop, &s->io, ev);
    } else if (s != NULL) {
        /* c-ares closes the socket itself, right after this: the entry goes
         * first, while the port is still ours (ctdel.h). */
        bb_ctdel_socket(r->ct, fd);
        bb_loop_io_del(r->loop, &s->io);
        s->used = false;
    }
}

int bb_resolver_global_init(void)
{
    return ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS ? 0 : -1;
}

struct bb_resolver *bb_resolver_new(struct bb_loop *loop, const char *server, bool forget_ct)
{
    struct bb_resolver *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->loop = loop;
    if (forget_ct && (r->ct = bb_ctdel_open()) == NULL)
        bb_log_warnx("resolver: no conntrack socket (%s): entries of its queries outlive them",
                     strerror(errno));
    /* "b": DNS only. /etc/hosts is never consulted for upstream names, so
     * an upstream address always comes from the configured resolver. */
    /* No search list, and names are queried absolute (bb_resolve adds
     * the root's dot): the name asked is the name the policy matched. */
    struct ares_options o = {
        .sock_state_cb = sock_state,
        .sock_state_cb_data = r,
        .timeout = BB_RESOLVE_TIMEOUT_MS,
        .tries = BB_RESOLVE_TRIES,
        .lookups = (char *)"b",
        .flags = ARES_FLAG_NOSEARCH,
        .ndots = 1,
    };
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS |
               ARES_OPT_FLAGS | ARES_OPT_NDOTS;
    if (ares_init_options(&r->ch, &o, mask) != ARES_SUCCESS) {
        bb_ctdel_close(r->ct);
        free(r);
        return NULL;
    }
    if (server[0] != '\0' && ares_set_servers_ports_csv(r->ch, server) != ARES_SUCCESS) {
        bb_log_warnx("dns.upstream '%s' not usable by the resolver", server);
        bb_resolver_free(r);
        return NULL;
    }
    return r;
}

void bb_resolver_free(struct bb_resolver *r)
{
    if (r == NULL)
        return;
    ares_destroy(r->ch); /* runs pending callbacks with ARES_EDESTRUCTION */
    for (size_t i = 0; i < BB_RESOLVER_MAX_SOCKS; i++)
        if (r->socks[i].used)
            bb_loop_io_del(r->loop, &r->socks[i].io);
    bb_loop_timer_cancel(r->loop, &r->timer);
    bb_ctdel_close(r->ct);
    free(r);
}

static void collect(const struct ares_addrinfo *res, struct bb_addrs *out)
{
    out->n = 0;
    for (const struct ares_addrinfo_node *n = res ? res->nodes : NULL;
         n != NULL && out->n < BB_RESOLVE_MAX_ADDRS; n = n->ai_next) {
        /* Copied by offset: no cast of c-ares's sockaddr to a stricter type. */
        const char *sa = (const char *)n->ai_addr;
        if (n->ai_family == AF_INET) {
            out->a[out->n].family = AF_INET;
            memcpy(out->a[out->n++].addr, sa + offsetof(struct sockaddr_in, sin_addr), 4);
        } else if (n->ai_family == AF_INET6) {
            out->a[out->n].family = AF_INET6;
            memcpy(out->a[out->n++].addr, sa + offsetof(struct sockaddr_in6, sin6_addr), 16);
        }
    }
}

/* Results are always delivered from the loop's deferred queue: c-ares may
 * answer synchronously (from /etc/hosts), and the caller must have its
 * handle before its callback runs. */
static void deliver(struct bb_loop *l, void *arg)
{
    (void)l;
    struct bb_resolve_req *req = arg;
    if (!req->cancelled)
        req->cb(req->arg, req->status, &req->addrs);
    free(req);
}

static void on_result(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    struct lookup *lk = arg;
    struct bb_addrs addrs;
    collect(res, &addrs);
    if (res != NULL)
        ares_freeaddrinfo(res);
    if (status == ARES_SUCCESS && addrs.n == 0)
        status = ARES_ENODATA;
    if (lk->prev != NULL)
        lk->prev->next = lk->next;
    else
        lk->r->lookups = lk->next;
    if (lk->next != NULL)
        lk->next->prev = lk->prev;
    for (struct bb_resolve_req *req = lk->waiters, *next; req != NULL; req = next) {
        next = req->next;
        req->status = status == ARES_SUCCESS ? 0 : -status;
        req->addrs = addrs;
        if (bb_loop_defer(req->loop, deliver, req) != 0)
            deliver(req->loop, req);
    }
    free(lk);
}

static struct lookup *lookup_find(struct bb_resolver *r, const char *name)
{
    for (struct lookup *lk = r->lookups; lk != NULL; lk = lk->next)
        if (strcmp(lk->name, name) == 0)
            return lk;
    return NULL;
}

struct bb_resolve_req *bb_resolve(struct bb_resolver *r, const char *name, bb_resolve_cb cb,
                                  void *arg)
{
    struct bb_resolve_req *req = calloc(1, sizeof(*req));
    if (req == NULL)
        return NULL;
    req->loop = r->loop;
    req->cb = cb;
    req->arg = arg;
    struct lookup *lk = lookup_find(r, name);
    if (lk != NULL) {
        req->next = lk->waiters;
        lk->waiters = req;
        return req;
    }
    size_t len = strlen(name);
    char absolute[BB_RESOLVE_NAME_MAX + 2];
    lk = len <= BB_RESOLVE_NAME_MAX ? calloc(1, sizeof(*lk) + len + 1) : NULL;
    if (lk == NULL) {
        free(req);
        return NULL;
    }
    memcpy(lk->name, name, len + 1);
    lk->r = r;
    /* "name." : absolute, whatever the search list and ndots would do */
    memcpy(absolute, name, len);
    absolute[len] = '.';
    absolute[len + (len > 0 && name[len - 1] != '.')] = '\0';
    lk->waiters = req;
    lk->next = r->lookups;
    if (r->lookups != NULL)
        r->lookups->prev = lk;
    r->lookups = lk;
    struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    ares_getaddrinfo(r->ch, absolute, NULL, &hints, on_result, lk); /* may answer at once */
    rearm(r);
    return req;
}

void bb_resolve_cancel(struct bb_resolve_req *req)
{
    /* The request lives until its delivery runs; mark it only. */
    if (req != NULL)
        req->cancelled = true;
}
