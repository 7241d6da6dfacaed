/*
 * HTTP/2 on the interception listener (see h2.h): the nghttp2 session of
 * a connection, its streams, and the transport that a stream's request
 * (proxy.c, p->stream) reads its HTTP/1.1 request from and writes its
 * HTTP/1.1 answer to.
 *
 * Who frees what: a stream (struct bb_h2s) lives from its first HEADERS
 * until nghttp2 closes it (on_close) or the connection goes
 * (bb_h2c_free); its request (s->p) lives until it is audited and closed.
 * Whichever ends first clears the other's pointer (s->p, p->h2s), so
 * neither is used after the other is gone. nghttp2 is never called from
 * inside its own callbacks for another stream's sake: what a callback
 * changes for a request is done by waking it (bb_proxy_wake) or by
 * updating it once the session call returned (touched).
 */
#include "gateway/proxy/h2.h"

#include "common/macros.h"
#include "gateway/http/h1_feed.h"
#include "gateway/http/h2_head.h"
#include "gateway/proxy/proxy_int.h"
#include "gateway/state/audit.h"

#include <nghttp2/nghttp2.h>
#include <stdlib.h>
#include <string.h>

/* Fields of one request head: the limit of h2_head.c plus the
 * pseudo-headers; beyond, 431 as for more bytes than BB_HTTP_HEAD_MAX. */
#define H2_FIELDS_MAX (BB_HTTP_MAX_HEADERS + 8)
/* What bb_h2_write_head adds to a head's names and values (at most
 * BB_HTTP_HEAD_MAX): the request line's and each field's separators, the
 * framing lines. Beyond, 431. */
#define H2_HEAD_FRAMING 4096u

struct bb_h2s {
    struct bb_h2c *c;
    int32_t id;
    struct bb_proxy *p; /* the stream's request, NULL once it or the stream ended */
    LIST_ENTRY(bb_h2s) link;
    /* the request's header fields, held in nghttp2's own buffers */
    nghttp2_rcbuf *name[H2_FIELDS_MAX], *value[H2_FIELDS_MAX];
    size_t nf, fbytes;
    bool too_large; /* past H2_FIELDS_MAX or BB_HTTP_HEAD_MAX: 431 */
    bool headed;    /* its head reached request_head: it has a request (or a refusal) */
    /* what the request reads: its HTTP/1.1 head, the DATA, the trailers */
    struct bb_h1feed req;
    bool head_req;
    /* the answer, parsed back from the request's HTTP/1.1 */
    llhttp_t respp;
    struct bb_http_body body;
    bool resp_head, resp_eof, deferred, touched;
    bool early;       /* answered whole before the request's end */
    size_t discarded; /* request bytes dropped since (BB_H2_DISCARD_MAX) */
    uint8_t *dst;     /* the DATA frame being filled (read_body) */
    size_t dst_len, dst_cap;
};

struct bb_h2c {
    struct bb_proxy *p; /* the connection */
    nghttp2_session *s;
    LIST_HEAD(, bb_h2s) streams;
    unsigned nstreams;
    bool wake_queued, dead; /* freed by the queued wake when dead */
    bool closing;           /* GOAWAY queued by us: input is discarded */
    const char *calm;       /* why the connection was told ENHANCE_YOUR_CALM */
    uint64_t rate_t0;       /* BB_H2_RATE_WINDOW_MS accounting */
    unsigned control, resets;
};

/* Scratch for one head at a time (a worker handles one at a time). */
static _Thread_local struct bb_hdr lines[BB_HTTP_MAX_HEADERS];
static _Thread_local char names[BB_HTTP_HEAD_MAX];

static const struct bb_config *cfg(const struct bb_h2c *c)
{
    return bb_proxy_cfg(c->p);
}

/* ---- waking the connection ---- */

static void wake_cb(struct bb_loop *l, void *arg)
{
    (void)l;
    struct bb_h2c *c = arg;
    c->wake_queued = false;
    if (c->dead) {
        free(c);
        return;
    }
    bb_proxy_update(c->p);
}

/* Frames wait to be made (a window opened, a request wrote its answer):
 * the connection sends them after this iteration. */
static void wake_out(struct bb_h2c *c)
{
    if (!c->wake_queued && !c->dead && bb_loop_defer(c->p->ctx->loop, wake_cb, c) == 0)
        c->wake_queued = true;
}

/* A denial no request of the pipeline writes (a calmed connection, a
 * stream reset before its head was whole): the connection's addresses and
 * SNI, e's own reason, end, status, stream and what it has of method and
 * path; counted as a denied request. */
static void audit_denial(struct bb_h2c *c, struct bb_audit_http *e)
{
    e->decision = "deny";
    e->src = c->p->src;
    e->dst = c->p->dst;
    e->request_id = bb_proxy_ctx_request_id(c->p->ctx);
    e->host = c->p->sni;
    e->host_len = strlen(c->p->sni);
    e->proto = "h2";
    bb_audit_http(c->p->ctx->sh->audit, e);
    bb_metrics_request(c->p->ctx->metrics, &(struct bb_metrics_request){.label = BB_LABEL_DENIED,
                                                                        .decision = BB_MD_DENY,
                                                                        .status = e->status});
}

/* One line for a connection told to calm down (no stream carries it). */
static void calm(struct bb_h2c *c, const char *reason)
{
    if (c->calm != NULL)
        return;
    c->calm = reason;
    c->closing = true;
    nghttp2_session_terminate_session(c->s, NGHTTP2_ENHANCE_YOUR_CALM);
    audit_denial(c, &(struct bb_audit_http){.reason = reason, .end = "goaway"});
}

/* ---- the request's transport over its stream ---- */

static struct bb_h2s *stream_of(const struct bb_conn *conn)
{
    return BB_CONTAINER_OF(conn, struct bb_proxy, client)->h2s;
}

/* The request read n body bytes: the client may send as many more. */
static void credit(struct bb_h2s *s, size_t n)
{
    nghttp2_session_consume(s->c->s, s->id, n);
    wake_out(s->c);
}

static ssize_t s_read(struct bb_conn *conn, void *buf, size_t n)
{
    struct bb_h2s *s = stream_of(conn);
    if (s == NULL)
        return BB_IO_ERR; /* the stream was reset */
    size_t body;
    ssize_t k = bb_h1feed_read(&s->req, buf, n, &body);
    if (body > 0)
        credit(s, body);
    if (k == BB_H1FEED_END)
        return BB_IO_EOF;
    if (k == 0)
        conn->want = EPOLLIN;
    return k;
}

static bool s_pending(const struct bb_conn *conn)
{
    const struct bb_h2s *s = stream_of(conn);
    return s != NULL && bb_h1feed_pending(&s->req);
}

static int to_dst(void *arg, const char *data, size_t n)
{
    struct bb_h2s *s = arg;
    if (n > s->dst_cap - s->dst_len)
        return -1; /* cannot happen: decoding never grows the bytes fed */
    memcpy(s->dst + s->dst_len, data, n);
    s->dst_len += n;
    return 0;
}

/* nv for up to BB_HTTP_MAX_HEADERS fields (a worker builds one at a time) */
static _Thread_local nghttp2_nv nv[BB_HTTP_MAX_HEADERS + 1];

static void to_nv(const struct bb_h2_field *f, int n)
{
    for (int i = 0; i < n; i++)
        nv[i] = (nghttp2_nv){(uint8_t *)f[i].name, (uint8_t *)f[i].value, f[i].name_len,
                             f[i].value_len, NGHTTP2_NV_FLAG_NONE};
}

/* The answer's trailers (a chunked HTTP/1.1 answer's, kept by its body's
 * decoding) as the stream's last HEADERS: gRPC's grpc-status. */
static int submit_trailers(struct bb_h2s *s)
{
    static _Thread_local struct bb_h2_field f[BB_HTTP_MAX_HEADERS];
    int n = bb_http_h2_trailer_fields(&s->body.trailers, f, BB_ARRAY_LEN(f), names, sizeof(names));
    if (n < 0)
        return -1;
    to_nv(f, n);
    return nghttp2_submit_trailer(s->c->s, s->id, nv, (size_t)n);
}

/* DATA for the stream from its request's output, decoded from the
 * HTTP/1.1 framing, as much as nghttp2 asks for (the client's window). */
static ssize_t read_body(nghttp2_session *session, int32_t id, uint8_t *buf, size_t length,
                         uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    (void)session;
    (void)id;
    (void)ud;
    struct bb_h2s *s = src->ptr;
    if (s->p == NULL)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* reset: the answer is cut */
    struct bb_buf *out = &s->p->cout;
    s->dst = buf;
    s->dst_len = 0;
    s->dst_cap = length;
    while (s->dst_len < length && !s->body.done && bb_buf_size(out) > 0) {
        size_t k = length - s->dst_len;
        k = k < bb_buf_size(out) ? k : bb_buf_size(out);
        ssize_t used = bb_http_body_feed(&s->respp, &s->body, bb_buf_head(out), k);
        if (used < 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        bb_buf_consume(out, (size_t)used);
        s->touched = true; /* room in its output: it may read the upstream again */
        if (used == 0)
            break;
    }
    if (s->body.done) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        s->resp_eof = true;
        if (bb_buf_size(&s->body.trailers) > 0) {
            if (submit_trailers(s) != 0)
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM; /* the trailers end it */
        }
    } else if (s->dst_len == 0) {
        s->deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    return (ssize_t)s->dst_len;
}

/* HEADERS from an HTTP/1.1 head: nghttp2 copies the fields. */
static int submit_head(struct bb_h2s *s, const struct bb_http_head *h, bool final)
{
    static _Thread_local struct bb_h2_field f[BB_HTTP_MAX_HEADERS + 1];
    char status[3];
    int n = bb_http_h2_response_fields(h, h->framing == BB_BODY_NONE, status, f, BB_ARRAY_LEN(f),
                                       names, sizeof(names));
    if (n < 0)
        return -1;
    to_nv(f, n);
    if (!final)
        return nghttp2_submit_headers(s->c->s, NGHTTP2_FLAG_NONE, s->id, NULL, nv, (size_t)n, NULL);
    nghttp2_data_provider prd = {.source.ptr = s, .read_callback = read_body};
    return nghttp2_submit_response(s->c->s, s->id, nv, (size_t)n, s->resp_eof ? NULL : &prd);
}

/* The request's answer head, at the start of what it writes. */
static ssize_t answer_head(struct bb_h2s *s, const char *buf, size_t n)
{
    ssize_t end = bb_http_head_end(buf, n, BB_HTTP_HEAD_MAX);
    if (end <= 0)
        return end == 0 ? 0 : BB_IO_ERR; /* botbox writes heads whole */
    struct bb_http_head h = {.h = lines};
    const char *why;
    if (bb_http_parse_response(&s->respp, buf, (size_t)end, s->head_req, &h, &why) != 0)
        return BB_IO_ERR;
    bool final = h.status >= 200;
    if (final) {
        bb_http_body_init(&s->body, to_dst, s, true);
        bb_http_body_start(&s->respp, &h, &s->body);
        s->resp_head = true;
        s->resp_eof = s->body.done;
    }
    if (submit_head(s, &h, final) != 0)
        return BB_IO_ERR;
    wake_out(s->c);
    return end;
}

/* What the request writes: the head is taken at once; the body stays in
 * its output until read_body takes it, within the client's window. */
static ssize_t s_write(struct bb_conn *conn, const void *buf, size_t n)
{
    struct bb_h2s *s = stream_of(conn);
    if (s == NULL)
        return BB_IO_ERR;
    if (!s->resp_head)
        return answer_head(s, buf, n);
    if (s->resp_eof)
        return (ssize_t)n; /* nothing follows an answer */
    if (s->deferred) {
        s->deferred = false;
        nghttp2_session_resume_data(s->c->s, s->id);
        wake_out(s->c);
    }
    conn->want = EPOLLOUT;
    return 0;
}

/* The request closed: a stream whose answer is not whole is reset. */
static void s_close(struct bb_conn *conn)
{
    struct bb_proxy *p = BB_CONTAINER_OF(conn, struct bb_proxy, client);
    struct bb_h2s *s = p->h2s;
    if (s == NULL)
        return;
    p->h2s = NULL;
    s->p = NULL;
    if (!s->resp_eof)
        nghttp2_submit_rst_stream(s->c->s, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_INTERNAL_ERROR);
    size_t held = bb_buf_size(&s->req.data);
    if (held > 0) { /* read by nobody now: the window opens, the rest is dropped */
        nghttp2_session_consume(s->c->s, s->id, held);
        bb_buf_reset(&s->req.data);
    }
    wake_out(s->c);
}

static const struct bb_conn_ops stream_ops = {
    .read = s_read,
    .write = s_write,
    .handshake = bb_conn_no_handshake,
    .close = s_close,
    .pending = s_pending,
};

/* ---- streams ---- */

static void release_fields(struct bb_h2s *s)
{
    for (size_t i = 0; i < s->nf; i++) {
        nghttp2_rcbuf_decref(s->name[i]);
        nghttp2_rcbuf_decref(s->value[i]);
    }
    s->nf = 0;
}

static void free_stream(struct bb_h2c *c, struct bb_h2s *s)
{
    release_fields(s);
    size_t held = bb_buf_size(&s->req.data);
    if (held > 0) /* read by nobody now: the connection's window gets them back */
        nghttp2_session_consume_connection(c->s, held);
    bb_h1feed_free(&s->req);
    bb_http_body_release(&s->body);
    LIST_REMOVE(s, link);
    c->nstreams--;
    free(s);
    if (c->nstreams == 0)
        bb_proxy_arm(c->p, cfg(c)->timeouts.idle_ms);
}

/* A refused head's answer and line: the HTTP/1.1 path's. */
static void refuse(struct bb_h2s *s, const struct bb_http_head *h, int status)
{
    if (status == 405)
        bb_proxy_stream_refuse(s->p, h, 405, "CONNECT method not allowed", "connect_not_allowed");
    else if (status == 431)
        bb_proxy_stream_refuse(s->p, h, 431, "request header too large", "head_too_large");
    else
        bb_proxy_stream_refuse(s->p, h, 400, "bad request", "bad_request");
}

/* END_HEADERS of a request: checked, made HTTP/1.1, handed to a request
 * of its own. */
static void request_head(struct bb_h2c *c, struct bb_h2s *s, bool end_stream)
{
    s->headed = true;
    struct bb_h2_field f[H2_FIELDS_MAX];
    for (size_t i = 0; i < s->nf; i++) {
        nghttp2_vec n = nghttp2_rcbuf_get_buf(s->name[i]), v = nghttp2_rcbuf_get_buf(s->value[i]);
        f[i] = (struct bb_h2_field){n.base, v.base, n.len, v.len};
    }
    struct bb_http_head h = {.h = lines};
    const char *why = NULL;
    int rc = s->too_large ? 431 : bb_h2_request_head(f, s->nf, end_stream, &h, &why);
    s->p = bb_proxy_stream_open(c->p, &stream_ops, (uint32_t)s->id, s);
    if (s->p == NULL) {
        release_fields(s);
        nghttp2_submit_rst_stream(c->s, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_REFUSED_STREAM);
        return;
    }
    s->head_req = h.method_len == 4 && memcmp(h.method, "HEAD", 4) == 0;
    s->req.chunked = rc == 0 && h.framing == BB_BODY_CHUNKED;
    if (rc == 0 && bb_h2_write_head(&s->req.head, &h) != 0)
        rc = 431;
    if (end_stream && bb_h1feed_end(&s->req) != 0)
        rc = 500;
    if (rc != 0)
        refuse(s, &h, rc);
    if (s->p != NULL)
        bb_proxy_wake(s->p); /* reads its request, or sends its refusal */
    release_fields(s);
}

static void request_end(struct bb_h2s *s)
{
    if (bb_h1feed_end(&s->req) != 0 && s->p != NULL) {
        bb_proxy_cut(s->p, "out_of_memory");
        return;
    }
    if (s->p != NULL)
        bb_proxy_wake(s->p);
}

/* ---- nghttp2 callbacks ---- */

static struct bb_h2s *stream(nghttp2_session *session, int32_t id)
{
    return nghttp2_session_get_stream_user_data(session, id);
}

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    struct bb_h2c *c = ud;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    if (c->nstreams >= BB_H2_MAX_STREAMS || c->closing) {
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                  NGHTTP2_REFUSED_STREAM);
        return 0;
    }
    struct bb_h2s *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* reset: INTERNAL_ERROR */
    s->c = c;
    s->id = frame->hd.stream_id;
    bb_h1feed_init(&s->req, BB_HTTP_HEAD_MAX + H2_HEAD_FRAMING, BB_H2_STREAM_WINDOW,
                   BB_HTTP_TRAILERS_MAX);
    LIST_INSERT_HEAD(&c->streams, s, link);
    c->nstreams++;
    bb_loop_timer_cancel(c->p->ctx->loop, &c->p->timer); /* the streams have their own */
    nghttp2_session_set_stream_user_data(session, s->id, s);
    return 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, nghttp2_rcbuf *name,
                     nghttp2_rcbuf *value, uint8_t flags, void *ud)
{
    (void)flags;
    (void)ud;
    struct bb_h2s *s = stream(session, frame->hd.stream_id);
    if (s != NULL && s->p != NULL && frame->headers.cat == NGHTTP2_HCAT_HEADERS) {
        nghttp2_vec n = nghttp2_rcbuf_get_buf(name), v = nghttp2_rcbuf_get_buf(value);
        if (bb_h1feed_trailer(&s->req, (const char *)n.base, n.len, (const char *)v.base, v.len) ==
            0)
            return 0; /* a trailer: kept for a chunked request, else dropped */
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_REFUSED_STREAM);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* past BB_HTTP_TRAILERS_MAX */
    }
    if (s == NULL || s->p != NULL || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; /* a refused stream */
    s->fbytes += nghttp2_rcbuf_get_buf(name).len + nghttp2_rcbuf_get_buf(value).len;
    if (s->nf == H2_FIELDS_MAX || s->fbytes > BB_HTTP_HEAD_MAX) {
        s->too_large = true; /* decoding goes on: HPACK's state is the connection's */
        return 0;
    }
    nghttp2_rcbuf_incref(name);
    nghttp2_rcbuf_incref(value);
    s->name[s->nf] = name;
    s->value[s->nf++] = value;
    return 0;
}

/* A field nghttp2 would drop silently: the request is malformed (RFC 9113
 * §8.2.1), the stream is reset with PROTOCOL_ERROR, audited on close
 * (audit_malformed) as the streams nghttp2 resets itself are. */
static int on_invalid_header(nghttp2_session *session, const nghttp2_frame *frame,
                             nghttp2_rcbuf *name, nghttp2_rcbuf *value, uint8_t flags, void *ud)
{
    (void)name;
    (void)value;
    (void)flags;
    (void)ud;
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                              NGHTTP2_PROTOCOL_ERROR);
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

/* SETTINGS and PING cost an answer each, and a stream opened and reset
 * at once costs a request's start (rapid reset): a client sending either
 * without end is told to calm down. */
static void count(struct bb_h2c *c, bool reset)
{
    uint64_t now = bb_loop_now(c->p->ctx->loop);
    if (now - c->rate_t0 >= BB_H2_RATE_WINDOW_MS) {
        c->rate_t0 = now;
        c->control = c->resets = 0;
    }
    if (reset && ++c->resets > BB_H2_RESETS_MAX)
        calm(c, "h2_rapid_reset");
    if (!reset && ++c->control > BB_H2_CONTROL_MAX)
        calm(c, "h2_control_flood");
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    struct bb_h2c *c = ud;
    bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    struct bb_h2s *s = frame->hd.stream_id ? stream(session, frame->hd.stream_id) : NULL;
    switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
        if (s != NULL && frame->headers.cat == NGHTTP2_HCAT_REQUEST && !s->headed)
            request_head(c, s, end);
        else if (s != NULL && end)
            request_end(s); /* trailers: the end of the body */
        break;
    case NGHTTP2_DATA:
        if (s != NULL && end)
            request_end(s);
        break;
    case NGHTTP2_SETTINGS:
    case NGHTTP2_PING:
        if (!(frame->hd.flags & NGHTTP2_FLAG_ACK))
            count(c, false);
        break;
    case NGHTTP2_RST_STREAM:
        count(c, true);
        break;
    default:
        break;
    }
    return 0;
}

static int on_data(nghttp2_session *session, uint8_t flags, int32_t id, const uint8_t *data,
                   size_t len, void *ud)
{
    (void)flags;
    (void)ud;
    struct bb_h2s *s = stream(session, id);
    if (s == NULL || s->p == NULL || s->req.ended) {
        nghttp2_session_consume(session, id, len); /* nobody reads it */
        if (s != NULL && s->early && s->discarded <= BB_H2_DISCARD_MAX &&
            (s->discarded += len) > BB_H2_DISCARD_MAX)
            nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
        return 0;
    }
    if (bb_buf_append(&s->req.data, data, len) != 0) /* past the window nghttp2 enforces */
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    bb_proxy_wake(s->p);
    return 0;
}

/* A complete answer sent while the client still sends its request: what
 * more comes is dropped, and past BB_H2_DISCARD_MAX it is asked to stop,
 * without error (RFC 9113 §8.1). */
static int on_frame_send(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    struct bb_h2c *c = ud;
    if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code == NGHTTP2_ENHANCE_YOUR_CALM)
        calm(c, "h2_enhance_your_calm"); /* nghttp2's own limits (ours audited already) */
    if (frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    struct bb_h2s *s = stream(session, frame->hd.stream_id);
    if (s != NULL && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) && !s->req.ended)
        s->early = true;
    return 0;
}

/* The value of pseudo-header name among s's fields, if it came. */
static nghttp2_vec pseudo(const struct bb_h2s *s, const char *name)
{
    for (size_t i = 0; i < s->nf; i++) {
        nghttp2_vec n = nghttp2_rcbuf_get_buf(s->name[i]);
        if (n.len == strlen(name) && memcmp(n.base, name, n.len) == 0)
            return nghttp2_rcbuf_get_buf(s->value[i]);
    }
    return (nghttp2_vec){NULL, 0};
}

/* A stream nghttp2 reset before its head was whole (a field or a frame
 * RFC 9113 calls malformed) gets its line here, with what of its method
 * and path came. */
static void audit_malformed(struct bb_h2c *c, struct bb_h2s *s)
{
    nghttp2_vec m = pseudo(s, ":method"), path = pseudo(s, ":path");
    audit_denial(c, &(struct bb_audit_http){.method = (const char *)m.base,
                                            .method_len = m.len,
                                            .path = (const char *)path.base,
                                            .path_len = path.len,
                                            .reason = "bad_request",
                                            .status = 400,
                                            .end = "reset",
                                            .stream = (uint32_t)s->id});
}

static int on_close(nghttp2_session *session, int32_t id, uint32_t error, void *ud)
{
    struct bb_h2c *c = ud;
    struct bb_h2s *s = stream(session, id);
    if (s == NULL)
        return 0;
    nghttp2_session_set_stream_user_data(session, id, NULL);
    struct bb_proxy *p = s->p;
    if (p != NULL) {
        s->p = NULL;
        p->h2s = NULL;
        if (s->resp_eof && error == NGHTTP2_NO_ERROR)
            bb_proxy_close(p); /* answered whole: audited already, or it is now */
        else                   /* malformed after its head (a length the DATA broke), or reset */
            bb_proxy_cut(p, error == NGHTTP2_PROTOCOL_ERROR ? "protocol_error" : "client_reset");
    } else if (!s->headed) {
        audit_malformed(c, s);
    }
    free_stream(c, s);
    if (c->nstreams == 0 && c->p->ctx->draining && !c->closing) {
        c->closing = true; /* graceful shutdown: no new streams */
        nghttp2_session_terminate_session(session, NGHTTP2_NO_ERROR);
    }
    return 0;
}

/* ---- the connection ---- */

static nghttp2_session_callbacks *callbacks(void)
{
    nghttp2_session_callbacks *cb;
    if (nghttp2_session_callbacks_new(&cb) != 0)
        return NULL;
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback2(cb, on_header);
    nghttp2_session_callbacks_set_on_invalid_header_callback2(cb, on_invalid_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
    return cb;
}

static nghttp2_option *options(void)
{
    nghttp2_option *o;
    if (nghttp2_option_new(&o) != 0)
        return NULL;
    nghttp2_option_set_no_auto_window_update(o, 1); /* windows open as requests read */
    nghttp2_option_set_max_deflate_dynamic_table_size(o, BB_H2_HPACK_TABLE);
    nghttp2_option_set_max_settings(o, BB_H2_SETTINGS_MAX);
    nghttp2_option_set_max_continuations(o, BB_H2_CONTINUATIONS_MAX);
    /* nghttp2's own bucket behind ours (count), which says why */
    nghttp2_option_set_stream_reset_rate_limit(o, 2 * BB_H2_RESETS_MAX,
                                               BB_H2_RESETS_MAX * 1000u / BB_H2_RATE_WINDOW_MS);
    return o;
}

static bool session_new(struct bb_h2c *c)
{
    nghttp2_session_callbacks *cb = callbacks();
    nghttp2_option *o = options();
    int rc = cb != NULL && o != NULL ? nghttp2_session_server_new2(&c->s, cb, c, o) : -1;
    nghttp2_session_callbacks_del(cb);
    nghttp2_option_del(o);
    if (rc != 0)
        return false;
    const nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, BB_H2_MAX_STREAMS},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, BB_H2_STREAM_WINDOW},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, BB_HTTP_HEAD_MAX},
        {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, BB_H2_HPACK_TABLE},
    };
    return nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, iv, BB_ARRAY_LEN(iv)) == 0 &&
           nghttp2_session_set_local_window_size(c->s, NGHTTP2_FLAG_NONE, 0, BB_H2_CONN_WINDOW) ==
               0;
}

bool bb_h2c_start(struct bb_proxy *p)
{
    struct bb_h2c *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        bb_proxy_close(p);
        return false;
    }
    c->p = p;
    LIST_INIT(&c->streams);
    c->rate_t0 = bb_loop_now(p->ctx->loop);
    if (!session_new(c)) {
        nghttp2_session_del(c->s);
        free(c);
        bb_proxy_close(p);
        return false;
    }
    p->h2 = c;
    p->st = P_H2;
    bb_proxy_arm(p, cfg(c)->timeouts.idle_ms);
    return true;
}

/* After a session call: the requests whose output read_body emptied may
 * read their upstream again. */
static void update_touched(struct bb_h2c *c)
{
    struct bb_h2s *s;
    LIST_FOREACH(s, &c->streams, link)
    {
        if (s->touched && s->p != NULL) {
            s->touched = false;
            bb_proxy_update(s->p);
        }
    }
}

void bb_h2c_input(struct bb_h2c *c)
{
    struct bb_buf *in = &c->p->cin;
    if (c->closing) {
        bb_buf_reset(in);
        return;
    }
    ssize_t n = nghttp2_session_mem_recv(c->s, (const uint8_t *)bb_buf_head(in), bb_buf_size(in));
    bb_buf_reset(in);
    if (n == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS || n == NGHTTP2_ERR_FLOODED) {
        calm(c, n == NGHTTP2_ERR_FLOODED ? "h2_flood" : "h2_continuation_flood");
        return;
    }
    if (n < 0) { /* not HTTP/2, or a connection error nghttp2 has answered */
        c->closing = true;
        if (!nghttp2_session_want_write(c->s))
            bb_proxy_close(c->p);
        return;
    }
    wake_out(c);
}

void bb_h2c_output(struct bb_h2c *c)
{
    struct bb_buf *out = &c->p->cout;
    while (bb_buf_size(out) < BB_PROXY_WATERMARK) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(c->s, &data);
        if (n < 0) {
            bb_proxy_close(c->p); /* frees c */
            return;
        }
        if (n == 0 || bb_buf_append(out, data, (size_t)n) != 0)
            break;
    }
    update_touched(c);
}

bool bb_h2c_wants_input(const struct bb_h2c *c)
{
    return !c->closing && nghttp2_session_want_read(c->s);
}

bool bb_h2c_wants_output(const struct bb_h2c *c)
{
    return nghttp2_session_want_write(c->s);
}

bool bb_h2c_finished(const struct bb_h2c *c)
{
    return !nghttp2_session_want_write(c->s) && (c->closing || !nghttp2_session_want_read(c->s));
}

bool bb_h2c_idle(const struct bb_h2c *c)
{
    return c->nstreams == 0;
}

void bb_h2c_timeout(struct bb_h2c *c)
{
    if (c->closing || c->nstreams > 0) {
        bb_proxy_close(c->p); /* the GOAWAY had its time */
        return;
    }
    c->closing = true;
    nghttp2_session_terminate_session(c->s, NGHTTP2_NO_ERROR);
    bb_proxy_arm(c->p, BB_LINGER_MS);
}

void bb_h2c_free(struct bb_h2c *c)
{
    while (!LIST_EMPTY(&c->streams)) {
        struct bb_h2s *s = LIST_FIRST(&c->streams);
        struct bb_proxy *p = s->p;
        if (p != NULL) {
            s->p = NULL;
            p->h2s = NULL;
            bb_proxy_cut(p, "client_closed");
        }
        release_fields(s);
        bb_h1feed_free(&s->req);
        bb_http_body_release(&s->body);
        LIST_REMOVE(s, link);
        free(s);
    }
    nghttp2_session_del(c->s);
    c->s = NULL;
    c->dead = true;
    if (!c->wake_queued)
        free(c);
}
