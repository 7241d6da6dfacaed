/*
 * The proxy, client side (see proxy_int.h for the states): accepting,
 * reading and checking request heads, the refusals of docs/reference.md §4 in
 * order, the policy decision, botbox's own responses, the audit line at
 * the end of every request, keep-alive, timers, and bb_proxy_update, the one
 * place where socket interest changes.
 */
#include "gateway/proxy/proxy_int.h"

#include "common/netaddr.h"
#include "common/macros.h"

#include "gateway/proxy/h2.h"
#include "gateway/state/audit.h"
#include "gateway/state/secrets.h"
#include "tls/server.h"
#include "policy/path.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void client_event(struct bb_loop *l, struct bb_io *io, uint32_t events);
static void step(struct bb_proxy *p);
static bool head_begins(struct bb_proxy *p);

/* ---- helpers ---- */

const struct bb_config *bb_proxy_cfg(const struct bb_proxy *p)
{
    return (p->snap != NULL ? p->snap : p->ctx->snap)->cfg;
}

static const struct bb_config *cfg(const struct bb_proxy *p)
{
    return bb_proxy_cfg(p);
}

static void on_timer(struct bb_loop *l, struct bb_timer *t);
static void audit(struct bb_proxy *p);
static void connection_gone(struct bb_proxy *p);

void bb_proxy_arm(struct bb_proxy *p, uint64_t ms)
{
    bb_loop_timer_set(p->ctx->loop, &p->timer, ms, on_timer);
}

/* Pins the snapshot a request (or a TLS decision) goes by: the part of
 * the client's tenant; with none, the whole, and the client is refused. */
void bb_proxy_pin(struct bb_proxy *p)
{
    struct bb_snapshot *t = bb_snapshot_for_peer(p->ctx->snap, &p->peer);
    p->unmatched = t == NULL;
    p->snap = bb_snapshot_ref(t != NULL ? t : p->ctx->snap);
}

/* ---- life cycle ---- */

/* The buffers a connection owns, for what is done to all of them alike. */
#define PROXY_BUFS(p)                                                                              \
    {                                                                                              \
        &(p)->cin, &(p)->cout, &(p)->up_head                                                       \
    }

static void destroy_proxy(struct bb_proxy *p)
{
    struct bb_proxy_ctx *x = p->ctx;
    size_t n = 0;
    struct bb_buf *bufs[] = PROXY_BUFS(p);
    for (size_t i = 0; i < BB_ARRAY_LEN(bufs); i++)
        n += bb_buf_free(bufs[i]);
    bb_slab_put(&x->reqs, p->r);
    bb_slab_put(&x->conns, p);
    bb_proxy_ctx_freed(x, n);
}

/* Deferred to the end of the loop iteration that closed p (events of that
 * iteration may still name it). A worker keeps up to BB_SPARE_CONNS closed
 * connections, with their buffers up to BB_SPARE_BUF_MAX, for the next
 * accepts: a connection per request then costs no allocation. */
static void free_proxy(struct bb_loop *l, void *arg)
{
    (void)l;
    struct bb_proxy *p = arg;
    struct bb_proxy_ctx *x = p->ctx;
    free(p->sni);
    p->sni = NULL;
    if (p->r != NULL) /* before the snapshot its plan lives in (reset_request) */
        bb_proxy_cred_done(p);
    bb_snapshot_unref(p->snap);
    p->snap = NULL;
    bb_proxy_head_put(p, &p->head, &p->head_size); /* closed during a request */
    bb_proxy_head_put(p, &p->rhead, &p->rhead_size);
    if (p->r != NULL) {
        bb_proxy_lines_put(p, &p->r->req);
        bb_proxy_lines_put(p, &p->r->resp);
        bb_http_body_release(&p->r->reqbody);
        bb_http_body_release(&p->r->respbody);
    }
    if (x->no_spares || x->nspare >= BB_SPARE_CONNS) {
        destroy_proxy(p);
        return;
    }
    struct bb_buf *bufs[] = PROXY_BUFS(p);
    size_t n = 0;
    for (size_t i = 0; i < BB_ARRAY_LEN(bufs); i++) {
        if (bufs[i]->cap > BB_SPARE_BUF_MAX)
            n += bb_buf_free(bufs[i]);
        bb_buf_reset(bufs[i]);
    }
    if (n > 0)
        bb_proxy_ctx_freed(x, n);
    LIST_INSERT_HEAD(&x->spare, p, link);
    x->nspare++;
}

_Static_assert(sizeof(struct bb_proxy) <= BB_SLAB_OBJ_MAX &&
                   sizeof(struct bb_proxy_req) <= BB_SLAB_OBJ_MAX,
               "connection structs fit a slab");

/* A zeroed proxy_req for p unless it has one; false when memory ran out. */
static bool bb_proxy_req_take(struct bb_proxy_ctx *x, struct bb_proxy *p)
{
    if (p->r == NULL) {
        p->r = bb_slab_get(&x->reqs);
        if (p->r == NULL)
            return false;
        memset(p->r, 0, sizeof(*p->r));
    }
    return true;
}

/* A zeroed connection, from the worker's spares (their buffers' memory
 * kept) or new. */
static struct bb_proxy *new_proxy(struct bb_proxy_ctx *x)
{
    struct bb_proxy *p = LIST_FIRST(&x->spare);
    if (p == NULL) {
        if (x->conns.size == 0) {
            bb_slab_init(&x->conns, sizeof(*p));
            bb_slab_init(&x->reqs, sizeof(struct bb_proxy_req));
            bb_subst_scratch_init(&x->subst);
        }
        p = bb_slab_get(&x->conns);
        if (p == NULL)
            return NULL;
        memset(p, 0, sizeof(*p));
        bb_buf_init(&p->cin, BB_PROXY_CLIENT_IN);
        bb_buf_init(&p->cout, BB_PROXY_OUT);
        bb_buf_init(&p->up_head, BB_HTTP_HEAD_MAX + 16384);
    } else {
        LIST_REMOVE(p, link);
        x->nspare--;
        struct bb_buf keep[] = {p->cin, p->cout, p->up_head};
        struct bb_proxy_req *r = p->r; /* none if it closed idle, after giving it back */
        memset(p, 0, sizeof(*p));
        p->cin = keep[0];
        p->cout = keep[1];
        p->up_head = keep[2];
        p->r = r;
    }
    p->ctx = x;
    if (p->r != NULL) {
        memset(p->r, 0, sizeof(*p->r));
    } else if (!bb_proxy_req_take(x, p)) {
        destroy_proxy(p);
        return NULL;
    }
    return p;
}

/* A request that was decided gets its audit line however it ends: one cut
 * off here (the client left, the upstream closed mid-body, a stall) says
 * so in "end", with the bytes moved so far. */
void bb_proxy_close(struct bb_proxy *p)
{
    if (p->dead)
        return;
    if (p->r != NULL && p->decision != NULL && !p->audited) {
        if (p->end == NULL)
            p->end = "closed";
        audit(p);
    }
    p->dead = true;
    struct bb_loop *l = p->ctx->loop;
    LIST_REMOVE(p, link);
    if (p->h2 != NULL) { /* its streams' requests end with it */
        bb_h2c_free(p->h2);
        p->h2 = NULL;
    }
    bb_proxy_release_upstream(p, false);
    bb_loop_timer_cancel(l, &p->timer);
    bb_loop_io_forget(&p->io); /* closed right below */
    bb_conn_close(&p->client);
    if (!p->stream) { /* a stream is counted in its connection */
        connection_gone(p);
        bb_metrics_connections(p->ctx->metrics, BB_ML_PROXY, -1);
    }
    /* Out of memory for the deferral: free now, unless a scheduled read or
     * update still refers to it (then it is left, one connection's memory,
     * rather than used after free). */
    if (bb_loop_defer(l, free_proxy, p) != 0 && !p->up_kicked && !p->cl_kicked && !p->upd_queued)
        free_proxy(l, p);
    bb_proxy_ctx_closed(p->ctx);
}

void bb_proxy_cut(struct bb_proxy *p, const char *end)
{
    if (p->end == NULL)
        p->end = end;
    bb_proxy_close(p);
}

/* Over a limit at accept: a plain client is told 503; a TLS client, which
 * can read nothing before a handshake we have no room for, gets a fatal
 * internal_error alert (TLS record layer, legacy version 3.1 as before a
 * version is agreed), so it reports an alert rather than garbage. */
static void reject_overload(int fd, bool tls)
{
    static const char resp[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 20\r\nConnection: close\r\n\r\n"
                               "too many connections";
    static const char alert[] = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x50};
    /* Best effort on a fresh socket: the small answer fits its buffer. */
    if (send(fd, tls ? alert : resp, tls ? sizeof(alert) : sizeof(resp) - 1,
             MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
        /* the client is gone already */
    }
    /* What the client already sent (its hello, its head) is read first:
     * closed with unread bytes the socket sends RST instead of FIN, and a
     * client's stack may then drop the answer unread. */
    char sink[BB_REFUSE_DRAIN];
    if (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) < 0) {
        /* nothing there yet */
    }
    close(fd);
}

/* The tenant's own max_connections (docs/configuration.md, "Tenants"): its
 * counter, taken one; NULL when it has none (no tenants, an unmatched
 * client); &refused_tenant when it is full. */
static atomic_uint refused_tenant;

static atomic_uint *tenant_admit(struct bb_proxy_ctx *x, const struct sockaddr_storage *peer)
{
    struct bb_snapshot *t = bb_snapshot_for_peer(x->snap, peer);
    if (t == NULL || t->conns == NULL)
        return NULL;
    if (atomic_fetch_add(t->conns, 1) >= t->cfg->max_connections) {
        atomic_fetch_sub(t->conns, 1);
        return &refused_tenant;
    }
    return t->conns;
}

/* Gives a connection's place back (the gateway's and its tenant's). */
static void connection_gone(struct bb_proxy *p)
{
    atomic_fetch_sub(&p->ctx->sh->connections, 1);
    if (p->tconns != NULL)
        atomic_fetch_sub(p->tconns, 1);
    p->tconns = NULL;
}

void bb_proxy_accept(struct bb_proxy_ctx *x, int fd, bool tls, const struct sockaddr_storage *peer)
{
    if (atomic_fetch_add(&x->sh->connections, 1) >= x->snap->cfg->max_connections) {
        atomic_fetch_sub(&x->sh->connections, 1);
        bb_metrics_refused(x->metrics, BB_MR_MAX_CONNECTIONS);
        reject_overload(fd, tls);
        return;
    }
    atomic_uint *tconns = tenant_admit(x, peer);
    if (tconns == &refused_tenant) {
        atomic_fetch_sub(&x->sh->connections, 1);
        bb_metrics_refused(x->metrics, BB_MR_TENANT_MAX_CONNECTIONS);
        reject_overload(fd, tls);
        return;
    }
    /* No memory for one more: to the client the gateway is full, as above;
     * the operator sees the reason in the metric. */
    struct bb_proxy *p = new_proxy(x);
    if (p == NULL) {
        atomic_fetch_sub(&x->sh->connections, 1);
        if (tconns != NULL)
            atomic_fetch_sub(tconns, 1);
        bb_metrics_refused(x->metrics, BB_MR_OUT_OF_MEMORY);
        reject_overload(fd, tls);
        return;
    }
    p->tconns = tconns;
    bb_sockaddr_format(peer, p->src, sizeof(p->src));
    p->peer = *peer;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        bb_sockaddr_format(&ss, p->dst, sizeof(p->dst)); /* the original destination under tproxy */
    bb_conn_plain(&p->client, fd);
    p->tls = tls;
    p->st = tls ? P_HELLO : P_HEAD;
    if (bb_loop_io_add(x->loop, &p->io, fd, EPOLLIN, client_event) != 0) {
        p->dead = true;
        connection_gone(p);
        close(fd);
        free_proxy(x->loop, p);
        return;
    }
    LIST_INSERT_HEAD(&x->proxies, p, link);
    bb_metrics_connections(x->metrics, BB_ML_PROXY, +1);
    bb_proxy_arm(p, tls ? cfg(p)->tls.handshake_timeout_ms : cfg(p)->timeouts.request_header_ms);
}

/* Idle: between requests on a keep-alive connection, nothing of the next
 * head received, or an HTTP/2 connection without a stream. Such
 * connections close at once when draining. */
static bool idle(const struct bb_proxy *p)
{
    if (p->stream)
        return false; /* its connection decides */
    if (p->st == P_H2)
        return bb_h2c_idle(p->h2);
    return p->st == P_IDLE || p->st == P_IDLE_BARE ||
           (p->st == P_HEAD && !p->head_started && bb_buf_size(&p->cin) == 0);
}

/* Waiting for a request's first bytes (a new or a kept-alive connection). */
static bool awaits_head(const struct bb_proxy *p)
{
    return p->st == P_IDLE || p->st == P_IDLE_BARE || (p->st == P_HEAD && !p->head_started);
}

void bb_proxy_close_idle(struct bb_proxy_ctx *x)
{
    for (struct bb_proxy *p = LIST_FIRST(&x->proxies), *next; p != NULL; p = next) {
        next = LIST_NEXT(p, link);
        if (idle(p))
            bb_proxy_close(p);
    }
}

void bb_proxy_close_all(struct bb_proxy_ctx *x)
{
    x->no_spares = true;
    while (!LIST_EMPTY(&x->proxies))
        bb_proxy_close(LIST_FIRST(&x->proxies));
}

void bb_proxy_free_spares(struct bb_proxy_ctx *x)
{
    while (!LIST_EMPTY(&x->spare)) {
        struct bb_proxy *p = LIST_FIRST(&x->spare);
        LIST_REMOVE(p, link);
        destroy_proxy(p);
    }
    x->nspare = 0;
    bb_slab_trim(&x->conns);
    bb_slab_trim(&x->reqs);
    bb_blocks_free(&x->blocks);
    bb_subst_scratch_free(&x->subst);
}

/* ---- the audit line, metrics and request end ---- */

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The host label: the matched rule's, else by the decision (bounded: no
 * name the workload sends ever becomes a label). */
static uint16_t host_label(const struct bb_proxy *p, enum bb_m_decision d)
{
    const struct bb_rule *r = p->r->dec.rule;
    if (r == bb_policy_default_rule())
        return BB_LABEL_DEFAULT_ALLOW;
    if (r != NULL && p->snap != NULL && p->snap->labels != NULL)
        return p->snap->labels[r - p->snap->cfg->egress.rules]; /* a rule of that config */
    if (r != NULL)
        return BB_LABEL_OTHER;
    return d == BB_MD_ALLOW ? BB_LABEL_DEFAULT_ALLOW : BB_LABEL_DENIED;
}

static void count(struct bb_proxy *p)
{
    enum bb_m_decision d = bb_metrics_decision(p->decision);
    struct bb_metrics_request m = {
        .label = host_label(p, d),
        .decision = d,
        .status = p->status,
        .upstream_error = p->status == 502 || p->status == 504,
        .duration_us = mono_us() - p->t0_us,
        .rewrites = d == BB_MD_ALLOW ? (unsigned)p->ninjected : 0,
        .substituted = p->r->substituted,
        .redacted = p->r->redacted,
        .misuse = p->reason != NULL && strcmp(p->reason, "credential_misuse") == 0,
    };
    bb_metrics_request(p->ctx->metrics, &m);
}

static void audit(struct bb_proxy *p)
{
    p->audited = true;
    count(p);
    const struct bb_rule *r = p->r->dec.rule;
    const char *names[16];
    struct bb_audit_http e = {
        .decision = p->decision ? p->decision : "error",
        .reason = p->reason,
        .rule = r != NULL ? r->host.name : NULL,
        .tenant = p->snap != NULL ? bb_snapshot_tenant(p->snap) : NULL,
        .src = p->src,
        .dst = p->dst,
        .request_id = p->rid,
        .host = p->r->host.name[0] ? p->r->host.name : NULL,
        .host_len = p->r->host.len,
        .method = p->r->req.method,
        .method_len = p->r->req.method_len,
        .path = p->path_len ? p->path : p->r->req.target,
        .path_len = p->path_len ? p->path_len : p->r->req.target_len,
        .status = p->status,
        .bytes_in = p->bytes_in,
        .bytes_out = p->bytes_out,
        .duration_ms = bb_loop_now(p->ctx->loop) - p->t0,
        .end = p->end,
        .injected = r != NULL ? r->rewrites : NULL,
        .ninjected = p->decision && strcmp(p->decision, "allow") == 0 ? p->ninjected : 0,
        .proto = p->stream ? "h2" : NULL,
        .stream = p->stream_id,
        .substituted = p->r->substituted,
        .redacted = p->r->redacted,
        .credentials = names,
        .ncredentials = bb_proxy_cred_names(p, names, BB_ARRAY_LEN(names)),
        .redaction_skipped = p->r->redaction_skipped,
        .signed_as = p->r->aws ? "sigv4" : NULL,
        .upstream_error = p->r->aws_upstream_err,
    };
    bb_audit_http(p->ctx->sh->audit, &e);
    if (p->snap != NULL && bb_snapshot_tenanted(p->snap))
        bb_metrics_tenant_decision(p->ctx->metrics, p->snap->tenant_label, BB_MK_HTTP,
                                   bb_metrics_decision(e.decision));
}

char *bb_proxy_head_mem(struct bb_proxy *p, char **at, size_t *size, size_t n)
{
    bb_proxy_head_put(p, at, size);
    *at = bb_block_get(&p->ctx->blocks, n);
    *size = *at != NULL ? n : 0;
    return *at;
}

bool bb_proxy_lines_take(struct bb_proxy *p, struct bb_http_head *h)
{
    if (h->h == NULL)
        h->h = bb_block_get(&p->ctx->blocks, BB_HTTP_LINES_BYTES);
    return h->h != NULL;
}

void bb_proxy_lines_put(struct bb_proxy *p, struct bb_http_head *h)
{
    bb_block_put(&p->ctx->blocks, h->h, BB_HTTP_LINES_BYTES);
    h->h = NULL;
}

void bb_proxy_head_put(struct bb_proxy *p, char **at, size_t *size)
{
    bb_block_put(&p->ctx->blocks, *at, *size);
    *at = NULL;
    *size = 0;
}

/* Forgets the finished request so the connection can read the next one. */
static void reset_request(struct bb_proxy *p)
{
    /* its plan and sets live in the snapshot's credential table: given
     * back while it is pinned (this may be its last reference, a reload
     * having replaced it during the request) */
    bb_proxy_cred_done(p);
    bb_snapshot_unref(p->snap);
    p->snap = NULL;
    bb_proxy_head_put(p, &p->head, &p->head_size);
    bb_proxy_head_put(p, &p->rhead, &p->rhead_size);
    p->path = NULL;
    bb_http_head_clear(&p->r->req);
    bb_http_head_clear(&p->r->resp);
    bb_proxy_lines_put(p, &p->r->req);
    bb_proxy_lines_put(p, &p->r->resp);
    bb_http_body_release(&p->r->reqbody);
    bb_http_body_release(&p->r->respbody);
    memset(&p->r->host, 0, sizeof(p->r->host));
    memset(&p->r->dec, 0, sizeof(p->r->dec));
    p->req_done = p->resp_started = p->resp_done = p->websocket = p->head_started = false;
    p->path_len = p->ninjected = 0;
    p->bytes_in = p->bytes_out = 0;
    p->status = p->attempts = 0;
    p->decision = p->reason = p->end = NULL;
    p->audited = p->unread_body = false;
    bb_buf_reset(&p->up_head);
}

void bb_proxy_drain(struct bb_proxy *p)
{
    p->st = P_DRAIN;
    if (p->stream)
        p->clean_end = true; /* the stream's own frames end it: nothing to linger for */
    bb_proxy_arm(p, cfg(p)->timeouts.idle_ms);
}

/* The client's connection outlives the upstream's: an upstream that
 * closes after its answer (Connection: close, or a close-delimited body,
 * re-framed as chunked) ends only its own connection. */
void bb_proxy_request_done(struct bb_proxy *p)
{
    audit(p);
    bool keep =
        p->r->req.keep_alive && p->rframing != BB_OUT_EOF && !p->unread_body && !p->ctx->draining;
    /* It said it sends nothing more, and nothing more came: closing at
     * once cannot reset the answer (lingering is for unread input). */
    p->clean_end = !p->r->req.keep_alive && !p->unread_body && bb_buf_size(&p->cin) == 0;
    bb_proxy_release_upstream(p, p->r->resp.keep_alive && p->r->resp.framing != BB_BODY_EOF);
    reset_request(p);
    if (!keep) {
        bb_proxy_drain(p);
        return;
    }
    p->st = P_HEAD;
    if (bb_buf_size(&p->cin) == 0) {
        /* A keep-alive wait: first a short one, after which the buffers go
         * back to the allocator (an idle connection then holds little more
         * than its struct), then the rest of timeouts.idle. */
        uint64_t idle = cfg(p)->timeouts.idle_ms;
        p->st = idle > BB_IDLE_RELEASE_MS ? P_IDLE : P_IDLE_BARE;
        bb_proxy_arm(p, p->st == P_IDLE ? BB_IDLE_RELEASE_MS : idle);
        return;
    }
    if (head_begins(p)) /* a pipelined request is already here */
        step(p);
}

void bb_proxy_fail(struct bb_proxy *p, int status, const char *body, const char *reason)
{
    if (p->passthrough || p->st == P_HELLO || p->st == P_HANDSHAKE) {
        /* no HTTP on this connection: nothing to answer with */
        bb_proxy_tls_refuse(p, status >= 500 ? "error" : "deny", reason);
        return;
    }
    p->status = status;
    p->reason = reason;
    if (p->decision == NULL || strcmp(p->decision, "allow") == 0)
        p->decision = status >= 500 ? "error" : "deny";
    audit(p);
    bb_proxy_release_upstream(p, false);
    if (p->resp_started) {
        bb_proxy_close(p); /* a response is under way: no second status line */
        return;
    }
    /* Appended: cout may still hold the answers of earlier pipelined
     * requests (flushed at the end of the pass), which are the client's,
     * in order; or a 1xx of this one, which may precede a final answer. */
    if (p->stream && p->r != NULL && bb_http_is_grpc(&p->r->req))
        bb_http_write_grpc_error(&p->cout, status, body); /* a status it can read */
    else
        bb_http_write_error(&p->cout, status, body);
    bb_proxy_drain(p);
}

/* ---- the request pipeline (docs/reference.md §4) ---- */

/* Method checks that come before any host logic, and the upgrade offer:
 * only a WebSocket handshake is relayed as one. Any other offer (h2c
 * included) is ignored, as a server that does not speak the protocol
 * does (RFC 9110 §7.8): the request goes on as HTTP/1.1, with Upgrade,
 * the Connection header and what it names (HTTP2-Settings) dropped as
 * hop-by-hop (http_out.c). */
static bool refuse_method(struct bb_proxy *p)
{
    if (p->r->req.method_id == HTTP_CONNECT) {
        bb_proxy_fail(p, 405, "CONNECT method not allowed", "connect_not_allowed");
        return true;
    }
    if (p->r->req.method_id == HTTP_TRACE ||
        (p->r->req.method_len == 5 && memcmp(p->r->req.method, "TRACK", 5) == 0)) {
        bb_proxy_fail(p, 405, "method not allowed", "method_not_allowed");
        return true;
    }
    const struct bb_hdr *up = bb_http_find(&p->r->req, "upgrade", NULL);
    p->websocket = up != NULL && p->r->req.upgrade && up->value_len == 9 &&
                   strncasecmp(up->value, "websocket", 9) == 0;
    if (!p->websocket)
        p->r->req.upgrade = false; /* ignored: plain HTTP/1.1 from here */
    return false;
}

/* The audit reason for a refused request target (the body says it in
 * words; the reason is a token). */
static const char *target_reason(const char *why)
{
    if (strcmp(why, "missing host") == 0)
        return "missing_host";
    if (strcmp(why, "host mismatch") == 0)
        return "host_mismatch";
    return "bad_target";
}

/* The host and path the policy sees. */
static bool resolve_target(struct bb_proxy *p)
{
    const char *why;
    if (bb_http_target(&p->r->req, &p->r->target, &why) != 0) {
        bb_proxy_fail(p, 400, why, target_reason(why));
        return false;
    }
    if (bb_host_parse(p->r->target.authority, p->r->target.authority_len, 0, &p->r->host) != NULL) {
        memset(&p->r->host, 0, sizeof(p->r->host));
        bb_proxy_fail(p, 400, "bad request", "bad_host");
        return false;
    }
    /* p->path has room for the target (see try_head): an 8 KiB array in
     * every connection was most of an idle one's RSS. */
    size_t outlen, pathlen, cap = p->r->target.path_len + 1;
    if (cap <= BB_PATH_MAX + 1 && bb_path_normalize(p->r->target.path, p->r->target.path_len,
                                                    p->path, cap, &outlen, &pathlen) == NULL)
        p->path_len = outlen; /* forwarded as checked */
    return true;
}

static bool decide(struct bb_proxy *p)
{
    if (p->unmatched) { /* no tenant's address, and no unmatched_tenant */
        p->r->dec = (struct bb_decision){.verdict = BB_VERDICT_DENY};
        p->decision = "deny";
        p->reason = "unmatched_tenant";
        bb_proxy_fail(p, 403, "client not served by this gateway", p->reason);
        return false;
    }
    const char *path_err = p->path_len ? NULL : "unnormalisable";
    size_t pathlen = p->path_len;
    const char *q = p->path_len ? memchr(p->path, '?', p->path_len) : NULL;
    if (q != NULL)
        pathlen = (size_t)(q - p->path);
    bb_policy_check_http_parsed(cfg(p)->policy, &p->r->host, p->r->req.method, p->r->req.method_len,
                                p->path_len ? p->path : NULL, pathlen, path_err, &p->r->dec);
    for (size_t i = 0; i < p->r->req.n; i++) { /* the methods a framework may act on instead */
        const struct bb_hdr *h = &p->r->req.h[i];
        if (bb_policy_is_method_override(h->name, h->name_len))
            bb_policy_check_method_override(cfg(p)->policy, h->value, h->value_len, &p->r->dec);
    }
    p->decision = bb_verdict_name(p->r->dec.verdict);
    p->reason = bb_reason_name(p->r->dec.reason);
    if (p->r->dec.verdict == BB_VERDICT_DENY) {
        if (!bb_proxy_cred_denied(p))
            bb_proxy_fail(p, 403, "host not allowed", p->reason);
        return false;
    }
    return true;
}

/* "host:port" or "[v6]:port", the upstream pool's key (no printf on the
 * request path); with tenants "tenant/" first: no upstream connection or
 * TLS session is shared between tenants. */
_Static_assert(BB_POOL_KEY_MAX > BB_TENANT_NAME_MAX + 1 + BB_HOST_MAX + sizeof("[]:65535"),
               "pool key fits any tenant and host");

void bb_proxy_pool_key(const struct bb_proxy *p, char key[BB_POOL_KEY_MAX])
{
    struct bb_buf b;
    bool v6 = p->r->host.kind == BB_HOST_IPV6;
    const char *t = p->snap != NULL ? bb_snapshot_tenant(p->snap) : NULL;
    bb_buf_wrap(&b, key, BB_POOL_KEY_MAX - 1);
    /* cannot fail: see the assertion above */
    (void)(bb_buf_append(&b, t, t ? strlen(t) : 0) | bb_buf_append(&b, "/", t != NULL) |
           bb_buf_append(&b, "[", v6) |
           bb_buf_append(&b, p->r->host.name, strlen(p->r->host.name)) |
           bb_buf_append(&b, "]", v6) | bb_buf_append(&b, ":", 1) | bb_buf_append_u64(&b, p->port));
    key[bb_buf_size(&b)] = '\0';
}

/* Rebuilds the head for upstream; a missing secret stops here (500).
 * length: a held body's (proxy_cred.c); count: the placeholders replaced
 * are counted (not again when a held body's head is rebuilt). */
static bool build_head(struct bb_proxy *p, uint64_t length, bool count)
{
    char host_header[BB_HOST_MAX + 16];
    if (bb_host_format_authority(&p->r->host, 443, host_header, sizeof(host_header)) < 0) {
        bb_proxy_fail(p, 400, "bad request", "bad_host");
        return false;
    }
    struct bb_target t = p->r->target;
    if (p->path_len) {
        t.path = p->path;
        t.path_len = p->path_len;
    }
    /* Credentials only on a real allow (never on would_deny). */
    struct bb_inject inj = {
        .rule = p->r->dec.verdict == BB_VERDICT_ALLOW ? p->r->dec.rule : NULL,
        .secrets = p->snap->secrets,
        .length = length,
    };
    bb_proxy_cred_inject(p, &inj);
    bb_buf_reset(&p->up_head);
    int rc = bb_http_write_request(&p->up_head, &p->r->req, &t, host_header, &inj, p->websocket,
                                   &p->ninjected);
    if (rc == -3) {
        bb_proxy_cred_refuse(p, inj.refused_tag);
        return false;
    }
    if (rc == -2) {
        bb_proxy_fail(p, 500, "internal error: secret not available", "secret_not_available");
        return false;
    }
    if (rc != 0) {
        bb_proxy_fail(p, 431, "request header too large", "head_too_large");
        return false;
    }
    if (count) {
        p->r->substituted += inj.hits;
        p->r->cred_tags |= inj.tags;
    }
    /* signed once it is the head that goes: a held body's at its end */
    if (p->r->aws && (!count || !bb_proxy_cred_holds(p)) && !bb_proxy_sigv4_sign(p))
        return false;
    p->port = p->r->host.port ? p->r->host.port : 443;
    return true;
}

bool bb_proxy_build_head(struct bb_proxy *p, uint64_t held_len)
{
    return build_head(p, held_len, false);
}

static int discard(void *arg, const char *data, size_t n)
{
    (void)arg;
    (void)data;
    (void)n;
    return 0;
}

/* Body bytes that arrived with the head are checked before anything is
 * dialled, on a copy of the parser: a bad chunk size in them is refused
 * with nothing sent upstream. */
static bool body_prefix_ok(struct bb_proxy *p)
{
    if (p->r->req.framing != BB_BODY_CHUNKED || bb_buf_size(&p->cin) == 0)
        return true;
    llhttp_t probe = p->r->reqp;
    struct bb_http_body b = {.on_data = discard};
    bb_http_body_start(&probe, &p->r->req, &b);
    if (bb_http_body_feed(&probe, &b, bb_buf_head(&p->cin), bb_buf_size(&p->cin)) >= 0)
        return true;
    bb_proxy_fail(p, 400, "bad request", "bad_body");
    return false;
}

static void handle_request(struct bb_proxy *p)
{
    if (p->tls && !bb_proxy_tls_request_ok(p))
        return;
    if (refuse_method(p) || !resolve_target(p) || !decide(p) || !bb_proxy_cred_start(p))
        return;
    bb_proxy_resume(p);
}

void bb_proxy_resume(struct bb_proxy *p)
{
    /* placeholders are counted once: not again for a request sent again */
    if (!build_head(p, p->r->req.content_length, !p->r->oauth_retried) || !body_prefix_ok(p))
        return;
    bb_http_body_init(&p->r->reqbody, NULL, NULL, false); /* nothing of it read yet */
    bb_proxy_go_upstream(p);
}

/* The first bytes of a request head arrived: the request's clock starts,
 * and the whole head must follow within request_header (re-arming on
 * every read would let a client trickle bytes forever). An idle connection
 * that gave its proxy_req back takes one again; without memory for it, the
 * connection is closed (false), as a server may close an idle keep-alive
 * connection (a client retries on a new one, which then gets its 503 at
 * accept if memory is still short): nothing of the request has been read,
 * so there is nothing to audit, and the buffers an answer would need were
 * given back too. Counted as refused, reason out_of_memory_idle. */
static bool head_begins(struct bb_proxy *p)
{
    if (!bb_proxy_req_take(p->ctx, p)) {
        bb_metrics_refused(p->ctx->metrics, BB_MR_OUT_OF_MEMORY_IDLE);
        bb_proxy_close(p);
        return false;
    }
    p->st = P_HEAD;
    p->head_started = true;
    p->t0 = bb_loop_now(p->ctx->loop);
    p->t0_us = mono_us();
    bb_proxy_arm(p, cfg(p)->timeouts.request_header_ms);
    return true;
}

/*
 * HTTP/2 with prior knowledge (RFC 9113 §3.3): the client's preface begins
 * with this line, which is also a well-formed head's start. botbox speaks
 * HTTP/1.1 only, and an HTTP/1.1 400 would reach a client that reads
 * frames as garbage ("empty reply"); the server preface it can read, an
 * empty SETTINGS frame, and a GOAWAY with HTTP_1_1_REQUIRED (0xd, last
 * stream 0: nothing was processed) tell it so. Audited as 505.
 */
#define H2_PREFACE_LINE "PRI * HTTP/2.0\r\n"
static const char h2_goaway[] = "\0\0\0\x04\0\0\0\0\0"                      /* SETTINGS, empty */
                                "\0\0\x08\x07\0\0\0\0\0\0\0\0\0\0\0\0\x0d"; /* GOAWAY 0, 0xd */

static bool refuse_h2_preface(struct bb_proxy *p)
{
    size_t n = sizeof(H2_PREFACE_LINE) - 1;
    if (bb_buf_size(&p->cin) < n || memcmp(bb_buf_head(&p->cin), H2_PREFACE_LINE, n) != 0)
        return false;
    p->status = 505;
    p->decision = "deny";
    p->reason = "http2_prior_knowledge";
    audit(p);
    (void)bb_buf_append(&p->cout, h2_goaway, sizeof(h2_goaway) - 1); /* 26 bytes */
    bb_proxy_drain(p);
    return true;
}

/* Looks for a complete head in cin; checks and parses it. */
static void try_head(struct bb_proxy *p)
{
    ssize_t end = bb_http_head_end(bb_buf_head(&p->cin), bb_buf_size(&p->cin), BB_HTTP_HEAD_MAX);
    if (end == 0)
        return;
    p->rid = bb_proxy_ctx_request_id(p->ctx);
    bb_proxy_pin(p);
    if (refuse_h2_preface(p))
        return;
    if (end == -1) {
        bb_proxy_fail(p, 400, "bad request", "bad_request");
        return;
    }
    if (end == -2) {
        bb_proxy_fail(p, 431, "request header too large", "head_too_large");
        return;
    }
    /* The head's bytes, then room for its normalised target (never longer
     * than the target, which is inside the head). */
    if (bb_proxy_head_mem(p, &p->head, &p->head_size, 2 * (size_t)end + 1) == NULL ||
        !bb_proxy_lines_take(p, &p->r->req)) {
        bb_proxy_fail(p, 503, "too many connections", "out_of_memory");
        return;
    }
    memcpy(p->head, bb_buf_head(&p->cin), (size_t)end);
    p->path = p->head + end;
    bb_buf_consume(&p->cin, (size_t)end);
    p->bytes_in = (uint64_t)end;
    const char *why;
    int rc = bb_http_parse_request(&p->r->reqp, p->head, (size_t)end, &p->r->req, &why);
    if (rc == 431) {
        bb_proxy_fail(p, 431, "request header too large", "head_too_large");
        return;
    }
    if (rc != 0) {
        bb_proxy_fail(p, 400, "bad request", "bad_request");
        return;
    }
    handle_request(p);
}

/* ---- client I/O ---- */

int bb_proxy_flush_client(struct bb_proxy *p)
{
    return bb_conn_flush_buf(&p->client, &p->cout, &p->wr_want);
}

/* Reads what the state allows. Returns 1 data, 0 nothing now, -1 EOF or
 * error. */
static int read_client(struct bb_proxy *p)
{
    ssize_t n = bb_conn_read_buf(&p->client, &p->cin, BB_PROXY_READ, &p->rd_want);
    return n > 0 ? 1 : n == 0 ? 0 : -1;
}

static void step(struct bb_proxy *p)
{
    if (p->dead)
        return;
    switch (p->st) {
    case P_HELLO:
        bb_proxy_tls_hello(p);
        break;
    case P_HEAD:
        try_head(p);
        break;
    case P_FORWARD:
    case P_TUNNEL:
        if (bb_proxy_pump_request(p) != 0)
            bb_proxy_close(p);
        break;
    case P_H2:
        bb_h2c_input(p->h2);
        break;
    default:
        break;
    }
}

static bool wants_client_input(const struct bb_proxy *p)
{
    const struct bb_upconn *u = p->up;
    switch (p->st) {
    case P_HELLO:
    case P_HEAD:
    case P_IDLE:
    case P_IDLE_BARE:
        return true;
    case P_FORWARD:
        return !p->req_done && u != NULL && u->state == BB_UP_READY &&
               bb_buf_size(&u->out) < BB_PROXY_WATERMARK;
    case P_TUNNEL:
        return u != NULL && bb_buf_size(&u->out) < BB_PROXY_WATERMARK;
    case P_H2:
        return bb_buf_size(&p->cout) < BB_PROXY_WATERMARK && bb_h2c_wants_input(p->h2);
    default:
        return false;
    }
}

/* Reads and discards what a closing client still sends. */
static void linger(struct bb_proxy *p)
{
    char scratch[BB_PROXY_READ];
    ssize_t n = bb_conn_read(&p->client, scratch, sizeof(scratch));
    if (n > 0)
        p->lingered += (size_t)n;
    if (n < 0 || p->lingered > BB_LINGER_MAX_BYTES)
        bb_proxy_close(p);
}

static void client_event(struct bb_loop *l, struct bb_io *io, uint32_t events);

static void client_kicked(struct bb_loop *l, void *arg)
{
    struct bb_proxy *p = arg;
    p->cl_kicked = false;
    if (!p->dead && p->st != P_LINGER && p->st != P_HANDSHAKE)
        client_event(l, &p->io, EPOLLIN);
}

/* The client's TLS holds bytes that epoll cannot report (read-ahead took
 * them off the socket with an earlier record): read them after this
 * iteration's events, as if the socket had. */
static void kick_client(struct bb_proxy *p)
{
    if (!p->cl_kicked && !p->dead && bb_loop_defer(p->ctx->loop, client_kicked, p) == 0)
        p->cl_kicked = true;
}

static void client_event(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)l;
    struct bb_proxy *p = BB_CONTAINER_OF(io, struct bb_proxy, io);
    if (p->dead)
        return;
    if (p->st == P_LINGER) {
        linger(p);
        return;
    }
    if (p->st == P_HANDSHAKE) {
        bb_proxy_tls_handshake(p);
        if (!p->dead)
            bb_proxy_update(p);
        return;
    }
    if ((events & (EPOLLOUT | EPOLLERR)) && bb_proxy_flush_client(p) != 0) {
        bb_proxy_cut(p, "client_closed");
        return;
    }
    bool input = (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0;
    if (input && !wants_client_input(p)) {
        p->in_unwanted = true; /* bb_proxy_update disarms it */
    } else if (input) {
        int r = read_client(p);
        if (r < 0) {
            /* The client left: nothing more to read or answer. */
            bb_proxy_cut(p, "client_closed");
            return;
        }
        if (r > 0 && awaits_head(p) && !head_begins(p))
            return;
        if (r > 0 && p->st == P_TUNNEL)
            bb_proxy_arm(p, cfg(p)->timeouts.idle_ms); /* inactivity, not duration */
        step(p);
    }
    if (!p->dead)
        bb_proxy_update(p);
}

void bb_proxy_begin_http(struct bb_proxy *p)
{
    if (p->client.ssl != NULL && bb_tls_server_is_h2(p->client.ssl)) {
        if (bb_h2c_start(p)) {
            int r = read_client(p);
            if (r < 0)
                bb_proxy_close(p);
            else if (r > 0)
                step(p);
        }
        return;
    }
    p->st = P_HEAD;
    bb_proxy_arm(p, cfg(p)->timeouts.request_header_ms);
    int r = read_client(p);
    if (r < 0) {
        bb_proxy_close(p);
        return;
    }
    if (r > 0 && head_begins(p))
        step(p);
}

/* ---- HTTP/2 streams (h2.c) ---- */

struct bb_proxy *bb_proxy_stream_open(struct bb_proxy *conn, const struct bb_conn_ops *ops,
                                      uint32_t id, struct bb_h2s *s)
{
    struct bb_proxy_ctx *x = conn->ctx;
    struct bb_proxy *p = new_proxy(x);
    if (p == NULL)
        return NULL;
    p->sni = strdup(conn->sni);
    if (p->sni == NULL) {
        p->dead = true;
        free_proxy(x->loop, p);
        return NULL;
    }
    p->stream = true;
    p->stream_id = id;
    p->h2s = s;
    p->tls = true;
    memcpy(p->src, conn->src, sizeof(p->src));
    memcpy(p->dst, conn->dst, sizeof(p->dst));
    p->peer = conn->peer;
    p->client = (struct bb_conn){.ops = ops, .fd = -1};
    p->st = P_HEAD; /* its io is never added: bb_proxy_wake stands for epoll */
    LIST_INSERT_HEAD(&x->proxies, p, link);
    bb_proxy_arm(p, cfg(p)->timeouts.request_header_ms);
    return p;
}

void bb_proxy_stream_refuse(struct bb_proxy *p, const struct bb_http_head *h, int status,
                            const char *body, const char *reason)
{
    if (!head_begins(p))
        return;
    p->rid = bb_proxy_ctx_request_id(p->ctx);
    bb_proxy_pin(p);
    p->r->req = *h;
    bb_proxy_fail(p, status, body, reason);   /* audited within */
    memset(&p->r->req, 0, sizeof(p->r->req)); /* h's memory is the caller's */
}

void bb_proxy_wake(struct bb_proxy *p)
{
    kick_client(p);
}

/* ---- interest and timers ---- */

static void update_now(struct bb_proxy *p)
{
    if (p->dead)
        return;
    if (p->st == P_HANDSHAKE) { /* the handshake says what it waits for */
        bb_loop_io_set(p->ctx->loop, &p->io, p->client.want ? p->client.want : EPOLLIN);
        return;
    }
    bb_proxy_flush_upstream_now(p);
    if (p->dead)
        return;
    /* HTTP/2: frames up to the watermark, sent, and again while the
     * socket takes them all (a bounded number of rounds per update). */
    for (unsigned round = 0;; round++) {
        if (p->st == P_H2)
            bb_h2c_output(p->h2);
        if (p->dead)
            return;
        if (bb_proxy_flush_client(p) != 0) {
            bb_proxy_cut(p, "client_closed");
            return;
        }
        if (p->st != P_H2 || bb_buf_size(&p->cout) > 0 || round == BB_H2_SEND_ROUNDS ||
            !bb_h2c_wants_output(p->h2))
            break;
    }
    if (p->st == P_H2 && bb_buf_size(&p->cout) == 0 && bb_h2c_finished(p->h2)) {
        /* GOAWAY sent, or the client's received and nothing is left: what
         * the client still sends is read and dropped (LINGER), so that a
         * reset does not destroy the GOAWAY in flight */
        p->st = P_DRAIN;
        p->clean_end = false;
    }
    if (p->st == P_DRAIN && bb_buf_size(&p->cout) == 0 && p->clean_end) {
        bb_proxy_close(p);
        return;
    }
    if (p->st == P_DRAIN && bb_buf_size(&p->cout) == 0) {
        /* Closing with unread input would make the kernel send a reset
         * that can destroy the response in flight: linger instead. */
        p->st = P_LINGER;
        shutdown(p->client.fd, SHUT_WR);
        bb_proxy_arm(p, BB_LINGER_MS);
    }
    if (p->st == P_LINGER) {
        bb_loop_io_set(p->ctx->loop, &p->io, EPOLLIN);
        return;
    }
    uint32_t ev = 0;
    bool want_in = wants_client_input(p);
    if (want_in) {
        ev |= p->rd_want ? p->rd_want : EPOLLIN;
        p->in_unwanted = false;
    } else if (!p->in_unwanted) {
        /* Left armed while a request is in flight: a client that waits
         * for its answer never fires it, and disarming then re-arming
         * would cost two epoll_ctl calls per request. If it does fire
         * (pipelining, EOF), client_event marks it and it is disarmed. */
        ev |= p->io.events & EPOLLIN;
    }
    if (bb_buf_size(&p->cout) > 0)
        ev |= p->wr_want ? p->wr_want : EPOLLOUT;
    bb_loop_io_set(p->ctx->loop, &p->io, ev);
    if (want_in && bb_conn_pending(&p->client))
        kick_client(p);
    struct bb_upconn *u = p->up;
    if (u == NULL || u->state != BB_UP_READY)
        return; /* connecting: proxy_up.c manages the interest */
    uint32_t uev = 0;
    bool read_up = (p->st == P_FORWARD && !p->resp_done) || p->st == P_TUNNEL;
    if (read_up && bb_buf_size(&p->cout) < BB_PROXY_WATERMARK)
        uev |= p->up_rd_want ? p->up_rd_want : EPOLLIN | EPOLLRDHUP; /* as when pooled */
    if (bb_buf_size(&u->out) > 0)
        uev |= p->up_wr_want ? p->up_wr_want : EPOLLOUT;
    bb_loop_io_set(p->ctx->loop, &u->io, uev);
    /* bytes waiting inside TLS, or read but left unredacted while cout
     * was full (proxy_up.c): taken up now that there is room */
    bool left = p->r != NULL && p->r->resp_subst && bb_buf_size(&u->in) > 0;
    if ((uev & EPOLLIN) && (bb_conn_pending(&u->conn) || left))
        bb_proxy_kick_upstream(p);
}

static void updated(struct bb_loop *l, void *arg)
{
    (void)l;
    struct bb_proxy *p = arg;
    p->upd_queued = false;
    update_now(p);
}

/* A full buffer goes out at once: waiting would only stop the reads that
 * feed it (the watermark) for the rest of the pass. */
static bool bulk(const struct bb_proxy *p)
{
    return bb_buf_size(&p->cout) >= BB_PROXY_WATERMARK ||
           (p->up != NULL && bb_buf_size(&p->up->out) >= BB_PROXY_WATERMARK);
}

/* Sends wait for the end of the pass: every request and answer read in it
 * is taken in before any is passed on, as HAProxy does. On a shared CPU a
 * write can wake its reader (the upstream, the client) and hand it the CPU
 * at once; written one by one, the requests of a pass each waited for one
 * such switch more than the one before, and the peer took them one per
 * wakeup (measured: docs/benchmarks.md, "when a connection's sends
 * happen"). It also makes one update of several events of a connection in
 * the same pass. */
void bb_proxy_update(struct bb_proxy *p)
{
    if (p->dead)
        return;
    struct bb_loop *l = p->ctx->loop;
    if (!bulk(p) && bb_loop_dispatching(l)) {
        if (p->upd_queued || bb_loop_defer(l, updated, p) == 0) {
            p->upd_queued = true;
            return;
        }
    }
    update_now(p);
}

/* IDLE for BB_IDLE_RELEASE_MS: the buffers and the request's part go
 * back, and the connection waits out timeouts.idle holding its struct. */
static void release_idle(struct bb_proxy *p)
{
    size_t n = bb_buf_free(&p->cin) + bb_buf_free(&p->up_head);
    if (bb_buf_size(&p->cout) == 0) /* else the answer is still being sent */
        n += bb_buf_free(&p->cout);
    bb_conn_release(&p->client);      /* intercepted: OpenSSL's buffers too */
    bb_slab_put(&p->ctx->reqs, p->r); /* back at the next request's first byte */
    p->r = NULL;
    bb_proxy_ctx_freed(p->ctx, n);
    p->st = P_IDLE_BARE;
    bb_proxy_arm(p, cfg(p)->timeouts.idle_ms - BB_IDLE_RELEASE_MS);
}

static void on_timer(struct bb_loop *l, struct bb_timer *t)
{
    (void)l;
    struct bb_proxy *p = BB_CONTAINER_OF(t, struct bb_proxy, timer);
    switch (p->st) {
    case P_HELLO:
    case P_HANDSHAKE:
        bb_proxy_tls_timeout(p);
        return;
    case P_IDLE:
        release_idle(p);
        return;
    case P_IDLE_BARE:
        bb_proxy_close(p); /* idle keep-alive connection */
        return;
    case P_H2:
        bb_h2c_timeout(p->h2);
        break;
    case P_HEAD:
        if (bb_buf_size(&p->cin) == 0 && p->head == NULL) {
            bb_proxy_close(p); /* idle keep-alive connection */
            return;
        }
        p->rid = bb_proxy_ctx_request_id(p->ctx);
        bb_proxy_fail(p, 408, "request timeout", "request_timeout");
        break;
    case P_TOKEN:
        bb_proxy_oauth_timeout(p);
        break;
    case P_RESOLVE: /* bb_proxy_fail cancels the resolution */
        bb_proxy_fail(p, 502, "upstream connection failed", "resolve_timeout");
        break;
    case P_CONNECT: {
        const char *why = p->up != NULL && p->up->state == BB_UP_HANDSHAKE
                              ? "upstream_tls_timeout"
                              : "upstream_connect_timeout";
        bb_proxy_dial_failed(p, why);
        bb_proxy_fail(p, 502, "upstream connection failed", why);
        break;
    }
    case P_FORWARD:
        if (!p->resp_started)
            bb_proxy_fail(p, 504, "gateway timeout", "upstream_timeout");
        else
            bb_proxy_cut(p, "timeout"); /* the body stalled past timeouts.idle */
        break;
    default:
        bb_proxy_close(p);
        return;
    }
    bb_proxy_update(p);
}
