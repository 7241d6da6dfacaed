/*
 * The proxy, upstream side (see proxy_int.h): resolve and classify the
 * destination, dial the checked address, hand the rebuilt head and the
 * re-framed body upstream, relay the response as it streams, tunnel
 * WebSockets, and retry once on a pooled connection that the upstream had
 * already closed (idempotent requests without a body only).
 */
#include "gateway/proxy/proxy_int.h"
#include "common/macros.h"

#include "gateway/io/resolver.h"
#include "gateway/proxy/h2_up.h"
#include "policy/addrclass.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void up_event(struct bb_loop *l, struct bb_io *io, uint32_t events);

static const struct bb_config *cfg(const struct bb_proxy *p)
{
    return bb_proxy_cfg(p);
}

static struct bb_proxy *owner_of(struct bb_io *io)
{
    struct bb_upconn *u = BB_CONTAINER_OF(io, struct bb_upconn, io);
    return u->owner;
}

/* ---- body encoders (llhttp on_data callbacks) ---- */

static int to_upstream(void *arg, const char *data, size_t n)
{
    return bb_proxy_cred_body(arg, data, n); /* placeholders replaced, if any */
}

static int to_client(void *arg, const char *data, size_t n)
{
    struct bb_proxy *p = arg;
    p->bytes_out += n;
    return bb_proxy_cred_answer_data(p, data, n); /* secrets redacted, if any */
}

/* ---- waiting for a dial that may become an HTTP/2 session ----
 *
 * A burst of requests for an upstream with no connection would each dial,
 * and each connection that selects h2 become a session of its own: the
 * first dial that offers h2 takes the others' requests (up to
 * BB_H2UP_MAX_STREAMS), which get streams on its session once the
 * handshake selected h2. An upstream last seen on http/1.1 is dialled
 * per request as before (bb_h2up_known_h1): waiting would only delay it.
 */

static void go(struct bb_proxy *p, bool use_pool);

static void unwait(struct bb_proxy *p)
{
    if (p->wait_on == NULL)
        return;
    LIST_REMOVE(p, wait_link);
    p->wait_on->nwaiters--;
    p->wait_on = NULL;
}

/* A dial under way for key that p may wait for, or NULL. */
static struct bb_upconn *dial_to_join(const struct bb_proxy *p, const char *key)
{
    if (!cfg(p)->upstream.http2 || p->websocket || bb_h2up_known_h1(key))
        return NULL;
    struct bb_upconn *u;
    LIST_FOREACH(u, &p->ctx->h2dial, dial_link)
    {
        if (u->nwaiters + 1 < BB_H2UP_MAX_STREAMS && strcmp(u->key, key) == 0)
            return u;
    }
    return NULL;
}

/* p waits for a dial under way, if there is one to wait for. Asked before
 * resolving and again before dialling: a burst resolves together. */
static bool joined(struct bb_proxy *p)
{
    if (p->passthrough)
        return false;
    char key[BB_POOL_KEY_MAX];
    bb_proxy_pool_key(p, key);
    struct bb_upconn *u = dial_to_join(p, key);
    if (u == NULL)
        return false;
    LIST_INSERT_HEAD(&u->waiters, p, wait_link);
    u->nwaiters++;
    p->wait_on = u;
    p->st = P_CONNECT;
    bb_proxy_arm(p, cfg(p)->timeouts.connect_ms);
    return true;
}

/* u's handshake is over (failed: with that reason) or its request let it
 * go: its waiters take a stream on its session, dial, or fail as it did. */
static void dial_over(struct bb_upconn *u, const char *failed)
{
    if (!u->dialing)
        return;
    u->dialing = false;
    LIST_REMOVE(u, dial_link);
    while (!LIST_EMPTY(&u->waiters)) {
        struct bb_proxy *w = LIST_FIRST(&u->waiters);
        unwait(w);
        if (w->ctx->no_spares) /* the worker stops: no new dial */
            bb_proxy_cut(w, "closed");
        else if (failed != NULL)
            bb_proxy_fail(w, 502, "upstream connection failed", failed);
        else
            go(w, true);
        bb_proxy_update(w);
    }
}

void bb_proxy_dial_failed(struct bb_proxy *p, const char *reason)
{
    if (p->up != NULL && p->up->dialing)
        dial_over(p->up, reason);
}

/* ---- releasing ---- */

void bb_proxy_release_upstream(struct bb_proxy *p, bool keep)
{
    /* A resolution still under way goes too: its answer, coming after the
     * request was answered or closed, must not dial. */
    bb_resolve_cancel(p->rq);
    p->rq = NULL;
    bb_proxy_oauth_cancel(p); /* and a wait for a token */
    unwait(p);
    struct bb_upconn *u = p->up;
    if (u == NULL)
        return;
    p->up = NULL;
    dial_over(u, NULL); /* its waiters go their own way */
    p->up_rd_want = p->up_wr_want = 0;
    if (bb_upconn_is_stream(u)) { /* its session stays (h2_up.c); the stream ends */
        bb_upstream_close(p->ctx->loop, u);
        return;
    }
    if (keep && u->state == BB_UP_READY && p->st != P_TUNNEL && bb_buf_size(&u->out) == 0) {
        bb_pool_put(p->ctx->pool, u); /* which refuses it if bytes are left unread in u->in */
    } else {
        bb_upstream_close(p->ctx->loop, u);
    }
}

/* ---- forwarding the request ---- */

/* The connection is ready: the head goes out, the body follows. */
static void start_forward(struct bb_proxy *p)
{
    struct bb_upconn *u = p->up;
    if (p->passthrough) { /* the ClientHello (in cin) goes first, then bytes both ways */
        p->st = P_TUNNEL;
        bb_proxy_arm(p, cfg(p)->timeouts.idle_ms);
        if (bb_proxy_pump_request(p) != 0)
            bb_proxy_close(p);
        return;
    }
    /* a held body's head goes with the body, its length known (proxy_cred.c) */
    if (!bb_proxy_cred_holds(p) &&
        bb_buf_append(&u->out, bb_buf_head(&p->up_head), bb_buf_size(&p->up_head)) != 0) {
        bb_proxy_fail(p, 502, "upstream connection failed", "upstream_buffer");
        return;
    }
    p->st = P_FORWARD;
    bb_proxy_arm(p, cfg(p)->timeouts.response_header_ms);
    bb_http_body_init(&p->r->reqbody, to_upstream, p, true);
    bb_http_body_start(&p->r->reqp, &p->r->req, &p->r->reqbody);
    p->req_done = p->r->reqbody.done;
    if (bb_proxy_pump_request(p) != 0)
        bb_proxy_close(p);
}

/* The body could not go on: a placeholder refused in it, or malformed.
 * The upstream never gets a complete request; the client gets 403 or
 * 500 (the placeholder) or 400, if nothing was answered yet. */
static void body_failed(struct bb_proxy *p)
{
    if (p->r->req_subst && p->r->reqsub.refused_tag >= 0)
        bb_proxy_cred_refuse(p, p->r->reqsub.refused_tag);
    else
        bb_proxy_fail(p, 400, "bad request", "bad_body");
}

int bb_proxy_pump_request(struct bb_proxy *p)
{
    struct bb_upconn *u = p->up;
    if (u == NULL || u->state != BB_UP_READY)
        return 0;
    if (p->st == P_TUNNEL) {
        size_t n = bb_buf_size(&p->cin);
        if (bb_buf_append(&u->out, bb_buf_head(&p->cin), n) != 0)
            return -1;
        bb_buf_consume(&p->cin, n);
        return 0;
    }
    /* a substitution may make a piece longer: fed in smaller pieces */
    size_t feed = BB_PROXY_FEED / (p->r->req_subst ? p->r->reqsub.set->grow : 1);
    while (!p->req_done && bb_buf_size(&p->cin) > 0 && bb_buf_size(&u->out) < BB_PROXY_WATERMARK) {
        size_t n = bb_buf_size(&p->cin) < feed ? bb_buf_size(&p->cin) : feed;
        ssize_t used = bb_http_body_feed(&p->r->reqp, &p->r->reqbody, bb_buf_head(&p->cin), n);
        if (used < 0) {
            body_failed(p);
            return 0;
        }
        bb_buf_consume(&p->cin, (size_t)used);
        p->bytes_in += (uint64_t)used;
        /* timeouts.response_header counts from the request's end; while
         * its body still goes up, inactivity (timeouts.idle) ends it */
        if (used > 0 && !p->resp_started)
            bb_proxy_arm(p, p->r->reqbody.done ? cfg(p)->timeouts.response_header_ms
                                               : cfg(p)->timeouts.idle_ms);
        if (p->r->reqbody.done) {
            p->req_done = true;
            int rc = bb_proxy_cred_body_end(p);
            if (rc == BB_SUBST_REFUSED) {
                body_failed(p);
                return 0;
            }
            if (rc != 0)
                return -1;
        }
        if (used == 0)
            break;
    }
    return 0;
}

/* ---- dialling ---- */

static void attach(struct bb_proxy *p, struct bb_upconn *u)
{
    u->owner = p;
    p->up = u;
    p->up_rd_want = p->up_wr_want = 0;
    if (bb_upconn_is_stream(u)) { /* no socket: its session wakes it (h2_up.c) */
        u->io.cb = up_event;
        start_forward(p);
        return;
    }
    if (u->io.added) {
        u->io.cb = up_event; /* from the pool */
    } else if (bb_loop_io_add(p->ctx->loop, &u->io, u->conn.fd, EPOLLOUT, up_event) != 0) {
        bb_proxy_fail(p, 502, "upstream connection failed", "upstream_socket");
        return;
    }
    if (u->state == BB_UP_READY) {
        start_forward(p);
        return;
    }
    p->st = P_CONNECT;
    bb_proxy_arm(p, cfg(p)->timeouts.connect_ms);
}

static bool allow_private(const struct bb_proxy *p)
{
    return !cfg(p)->upstream.deny_private ||
           (p->r->dec.rule != NULL && p->r->dec.rule->allow_private);
}

static void dial(struct bb_proxy *p, int family, const uint8_t *addr)
{
    if (p->attempts == 0 && joined(p))
        return;
    bool is_ip = p->r->host.kind == BB_HOST_IPV4 || p->r->host.kind == BB_HOST_IPV6;
    char key[BB_POOL_KEY_MAX];
    bb_proxy_pool_key(p, key);
    bool h2 = cfg(p)->upstream.http2 && !p->websocket;
    struct bb_upconn *u = bb_upstream_dial(p->ctx->pool, family, addr, p->port, p->r->host.name,
                                           is_ip, key, !p->passthrough, h2);
    if (u == NULL) {
        bb_proxy_fail(p, 502, "upstream connection failed", "upstream_connect");
        return;
    }
    if (h2 && !p->passthrough) {
        u->dialing = true;
        LIST_INIT(&u->waiters);
        LIST_INSERT_HEAD(&p->ctx->h2dial, u, dial_link);
    }
    attach(p, u);
}

/* Every address is classified; one forbidden address refuses the name (a
 * mix of public and internal answers is a rebinding trick). The first
 * address, as checked, is the one dialled. */
static void on_resolved(void *arg, int status, const struct bb_addrs *a)
{
    struct bb_proxy *p = arg;
    p->rq = NULL;
    if (p->dead)
        return;
    if (status != 0) {
        bb_proxy_fail(p, 502, "upstream connection failed", "resolve_failed");
    } else {
        for (size_t i = 0; i < a->n; i++)
            if (!bb_addr_dialable(a->a[i].family, a->a[i].addr, allow_private(p))) {
                bb_proxy_fail(p, 403, "destination not allowed", "destination_not_allowed");
                bb_proxy_update(p);
                return;
            }
        dial(p, a->a[0].family, a->a[0].addr);
    }
    bb_proxy_update(p);
}

static void go(struct bb_proxy *p, bool use_pool)
{
    struct bb_upconn *u = NULL;
    if (use_pool && !p->passthrough) {
        char key[BB_POOL_KEY_MAX];
        bb_proxy_pool_key(p, key);
        if (!p->websocket)
            u = bb_h2up_get(p->ctx, key); /* a stream on a session with room */
        if (u == NULL)
            u = bb_pool_get(p->ctx->pool, key);
    }
    if (u != NULL) {
        attach(p, u);
        return;
    }
    if (use_pool && joined(p))
        return;
    if (p->r->host.kind == BB_HOST_IPV4 || p->r->host.kind == BB_HOST_IPV6) {
        int fam = p->r->host.kind == BB_HOST_IPV4 ? AF_INET : AF_INET6;
        if (!bb_addr_dialable(fam, p->r->host.addr, allow_private(p))) {
            bb_proxy_fail(p, 403, "destination not allowed", "destination_not_allowed");
            return;
        }
        dial(p, fam, p->r->host.addr);
        return;
    }
    p->st = P_RESOLVE;
    bb_proxy_arm(p, cfg(p)->timeouts.connect_ms);
    p->rq = bb_resolve(p->ctx->resolver, p->r->host.name, on_resolved, p);
    if (p->rq == NULL)
        bb_proxy_fail(p, 502, "upstream connection failed", "resolve_failed");
}

void bb_proxy_go_upstream(struct bb_proxy *p)
{
    go(p, true);
}

/* A pooled connection the upstream closed before answering: safe to try
 * once more on a fresh one, if the request has no body (none, or
 * Content-Length: 0) and is idempotent. */
static bool retry(struct bb_proxy *p)
{
    bool idempotent = p->r->req.method_id == HTTP_GET || p->r->req.method_id == HTTP_HEAD ||
                      p->r->req.method_id == HTTP_OPTIONS;
    if (p->up == NULL || !p->up->reused || p->attempts > 0 || p->resp_started ||
        !bb_http_body_empty(&p->r->req) || !idempotent)
        return false;
    p->attempts++;
    bb_proxy_release_upstream(p, false);
    go(p, false);
    return true;
}

/* ---- the response ---- */

static void finish_response(struct bb_proxy *p)
{
    p->resp_done = true;
    if (bb_proxy_cred_answer_end(p) != 0) {
        bb_proxy_close(p);
        return;
    }
    if (!p->req_done)
        p->unread_body = true; /* answered before the body ended: do not reuse */
    bb_proxy_request_done(p);
}

/* bb_proxy_fail for take_response_head: the exchange ends there. */
static int fail_head(struct bb_proxy *p, const char *reason)
{
    bb_proxy_fail(p, 502, "upstream connection failed", reason);
    return 0;
}

/* A complete response head in u->in: relay it (or fail). Returns 1 when the
 * exchange goes on, 0 when it ended (failed, or switched to a tunnel). */
static int take_response_head(struct bb_proxy *p, size_t end)
{
    struct bb_upconn *u = p->up;
    bb_proxy_head_mem(p, &p->rhead, &p->rhead_size, end);
    const char *why;
    if (p->rhead == NULL || !bb_proxy_lines_take(p, &p->r->resp))
        return fail_head(p, "out_of_memory");
    memcpy(p->rhead, bb_buf_head(&u->in), end);
    bb_buf_consume(&u->in, end);
    bool head_req = p->r->req.method_id == HTTP_HEAD;
    if (bb_http_parse_response(&p->r->respp, p->rhead, end, head_req, &p->r->resp, &why) != 0)
        return fail_head(p, "upstream_protocol");
    if (p->r->resp.status == 101) {
        if (!p->websocket)
            return fail_head(p, "upstream_protocol");
        p->status = 101;
        bb_proxy_cred_write_answer_head(p, false, true);
        p->st = P_TUNNEL;
        p->resp_started = true;
        bb_proxy_arm(p, cfg(p)->timeouts.idle_ms);
        return 0;
    }
    if (p->r->resp.status == 401 && bb_proxy_oauth_retry(p))
        return 0;                       /* its token was refused: sent again with a new one */
    if (p->r->resp.status / 100 == 1) { /* interim (100 Continue): relay, wait on */
        bb_http_write_response(&p->cout, &p->r->resp, BB_OUT_NONE, false, false);
        return 1;
    }
    p->rframing = bb_http_response_framing(&p->r->resp, p->r->req.minor);
    if (!bb_proxy_cred_answer(p))
        return 0; /* a compressed answer that cannot be redacted: refused */
    p->resp_started = true;
    p->status = p->r->resp.status;
    bool close = !p->r->req.keep_alive || p->unread_body || p->ctx->draining;
    if (bb_proxy_cred_write_answer_head(p, close, false) != 0)
        return fail_head(p, "upstream_head_too_large");
    bb_http_body_init(&p->r->respbody, to_client, p, true);
    bb_http_body_start(&p->r->respp, &p->r->resp, &p->r->respbody);
    bb_proxy_arm(p, cfg(p)->timeouts.idle_ms);
    return 1;
}

/* Consumes what u->in holds: heads, then body bytes. A response whose
 * body ends with its head (204, 304, HEAD's, Content-Length: 0, see
 * http_head.h) finishes here with no byte more to read. */
static void process_response(struct bb_proxy *p)
{
    struct bb_upconn *u = p->up;
    while (!p->dead && p->up == u && p->st == P_FORWARD) {
        if (p->resp_started && p->r->respbody.done) {
            finish_response(p);
            return;
        }
        if (bb_buf_size(&u->in) == 0)
            return;
        if (!p->resp_started) {
            ssize_t end =
                bb_http_head_end(bb_buf_head(&u->in), bb_buf_size(&u->in), BB_HTTP_HEAD_MAX);
            if (end == 0)
                return;
            if (end < 0) {
                bb_proxy_fail(p, 502, "upstream connection failed", "upstream_protocol");
                return;
            }
            if (take_response_head(p, (size_t)end) == 0)
                break;
            continue;
        }
        /* a redaction may make a piece longer (a placeholder for a short
         * secret): fed in pieces whose output fits under the watermark */
        size_t n = bb_buf_size(&u->in);
        size_t grow = p->r->resp_subst && p->r->respsub.set != NULL ? p->r->respsub.set->grow : 1;
        if (grow > 1) { /* what is read may come out longer: bounded as cout fills */
            if (bb_buf_size(&p->cout) >= BB_PROXY_WATERMARK)
                return; /* bb_proxy_update takes the rest up when cout drains */
            n = n < BB_PROXY_FEED / grow ? n : BB_PROXY_FEED / grow;
        }
        ssize_t used = bb_http_body_feed(&p->r->respp, &p->r->respbody, bb_buf_head(&u->in), n);
        if (used < 0) {
            bb_proxy_cut(p,
                         "upstream_protocol"); /* malformed body mid-stream: cut the client off */
            return;
        }
        bb_buf_consume(&u->in, (size_t)used);
        if (used == 0 && !p->r->respbody.done)
            return;
    }
    if (!p->dead && p->st == P_TUNNEL && p->up == u) {
        size_t n = bb_buf_size(&u->in);
        p->bytes_out += n;
        if (bb_buf_append(&p->cout, bb_buf_head(&u->in), n) != 0)
            bb_proxy_close(p);
        else
            bb_buf_consume(&u->in, n);
    }
}

/* The upstream closed (or failed) while we were reading. */
static void upstream_gone(struct bb_proxy *p, bool clean_eof)
{
    if (p->st == P_TUNNEL) { /* the tunnel is over: what the client has yet to get, then close */
        bb_proxy_release_upstream(p, false);
        bb_proxy_drain(p);
        return;
    }
    if (bb_proxy_cred_answer_unsent(p)) {
        /* an answer cut while held to be redacted: nothing of it was
         * sent, so the client can be told (not retried: one came) */
        p->resp_started = false;
        bb_proxy_fail(p, 502, "upstream connection failed", "upstream_closed");
        return;
    }
    if (!p->resp_started) {
        if (!retry(p))
            bb_proxy_fail(p, 502, "upstream connection failed", "upstream_closed");
        return;
    }
    if (clean_eof && bb_http_body_eof(&p->r->respp, &p->r->respbody) == 0) {
        bb_proxy_release_upstream(p, false);
        finish_response(p); /* an until-close body ended */
        return;
    }
    bb_proxy_cut(p, "upstream_closed"); /* cut short: the client must not take it as complete */
}

/* One read and what it brings. Returns true when more may be read at once
 * (bytes wait inside TLS). */
static bool read_upstream_once(struct bb_proxy *p)
{
    struct bb_upconn *u = p->up;
    ssize_t n = bb_conn_read_buf(&u->conn, &u->in, BB_PROXY_READ, &p->up_rd_want);
    if (n == 0)
        return false;
    if (n < 0) {
        upstream_gone(p, n == BB_IO_EOF);
        return false;
    }
    if ((p->resp_started && p->st == P_FORWARD) || p->st == P_TUNNEL)
        bb_proxy_arm(p, cfg(p)->timeouts.idle_ms); /* inactivity, not duration */
    process_response(p);
    return !p->dead && p->up == u && (p->st == P_FORWARD || p->st == P_TUNNEL) &&
           bb_buf_size(&p->cout) < BB_PROXY_WATERMARK && bb_conn_pending(&u->conn);
}

/* Reads until the socket and TLS have nothing more, or there is no room
 * (then bb_proxy_update kicks the read when room is made). */
static void read_upstream(struct bb_proxy *p)
{
    for (int i = 0; i < BB_PROXY_READS_PER_EVENT && read_upstream_once(p); i++) {
    }
}

static void kicked(struct bb_loop *l, void *arg)
{
    (void)l;
    struct bb_proxy *p = arg;
    p->up_kicked = false;
    if (p->dead || p->up == NULL || p->up->state != BB_UP_READY ||
        !(p->st == P_FORWARD || p->st == P_TUNNEL))
        return;
    if (bb_buf_size(&p->up->in) > 0)
        process_response(p); /* what was left while cout was full */
    if (!p->dead && p->up != NULL)
        read_upstream(p);
    if (!p->dead)
        bb_proxy_update(p);
}

void bb_proxy_kick_upstream(struct bb_proxy *p)
{
    if (p->up_kicked || p->dead)
        return;
    if (bb_loop_defer(p->ctx->loop, kicked, p) == 0)
        p->up_kicked = true;
}

static int flush_upstream(struct bb_proxy *p)
{
    return bb_conn_flush_buf(&p->up->conn, &p->up->out, &p->up_wr_want);
}

void bb_proxy_flush_upstream_now(struct bb_proxy *p)
{
    struct bb_upconn *u = p->up;
    if (u == NULL || u->state != BB_UP_READY || bb_buf_size(&u->out) == 0 || p->up_wr_want != 0)
        return;
    if (flush_upstream(p) != 0)
        upstream_gone(p, false);
}

static void connecting(struct bb_proxy *p)
{
    struct bb_upconn *u = p->up;
    int r = bb_upstream_progress(u);
    if (r != 0 && u->state != BB_UP_CONNECTING && u->conn.ssl != NULL)
        bb_metrics_upstream_tls(p->ctx->metrics, r > 0);
    if (r < 0) {
        const char *why = u->state == BB_UP_HANDSHAKE ? "upstream_tls" : "upstream_connect";
        dial_over(u, why);
        bb_proxy_fail(p, 502, "upstream connection failed", why);
        return;
    }
    if (r == 0) {
        uint32_t ev = u->state == BB_UP_CONNECTING ? EPOLLOUT : u->conn.want;
        bb_loop_io_set(p->ctx->loop, &u->io, ev);
        return;
    }
    bool h2 = bb_h2up_selected(u);
    if (u->dialing)
        bb_h2up_learn(u->key, h2);
    if (h2) { /* the connection becomes a session; p takes a stream on it */
        p->up = NULL;
        struct bb_upconn *s = bb_h2up_adopt(p->ctx, u);
        dial_over(u, s == NULL ? "out_of_memory" : NULL); /* its waiters' streams */
        if (s == NULL) {
            bb_proxy_fail(p, 502, "upstream connection failed", "out_of_memory");
            return;
        }
        attach(p, s);
        return;
    }
    dial_over(u, NULL);
    start_forward(p);
}

static void up_event(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)l;
    struct bb_proxy *p = owner_of(io);
    if (p == NULL || p->dead)
        return;
    if (p->up->state != BB_UP_READY) {
        connecting(p);
    } else {
        if ((events & (EPOLLOUT | EPOLLERR)) && flush_upstream(p) != 0) {
            upstream_gone(p, false);
        } else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
            /* not past the watermark: a stream's wake-up (h2_up.c) comes
             * whatever the client's buffer holds, a socket's only when
             * bb_proxy_update armed it; the update kicks the read later */
            if ((p->st == P_FORWARD || p->st == P_TUNNEL) &&
                bb_buf_size(&p->cout) < BB_PROXY_WATERMARK)
                read_upstream(p);
        }
        /* Reading the response may have made room for more request body. */
        if (!p->dead && p->up != NULL && bb_proxy_pump_request(p) != 0)
            bb_proxy_close(p);
    }
    if (!p->dead)
        bb_proxy_update(p);
}
