/*
 * HTTP/2 to the upstream (see h2_up.h): the sessions of a worker, their
 * streams, and the transport a request's upstream side (proxy_up.c) writes
 * its HTTP/1.1 request to and reads its HTTP/1.1 answer from.
 *
 * Who frees what: a session (struct bb_h2up) owns its connection and
 * lives until it fails, idles out or the worker stops. A stream (struct
 * bb_h2us) lives while its request holds it (s->u) and, once submitted,
 * until nghttp2 closes it or the session goes (s->c); maybe_free frees it
 * when neither is left. A request is told of what happened on its stream
 * by a deferred call of its upconn's event callback (wake): never from
 * inside nghttp2's callbacks, where the request's reaction (a reset, a
 * read that gives window back) would re-enter the session.
 */
#include "gateway/proxy/h2_up.h"

#include "common/macros.h"
#include "gateway/http/h1_feed.h"
#include "gateway/http/h2_head.h"
#include "gateway/http/http_body.h"
#include "gateway/http/http_out.h"
#include "gateway/proxy/proxy_ctx.h"
#include "gateway/proxy/upstream.h"
#include "gateway/state/snapshot.h"
#include "policy/config.h"

#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the answer head adds to the fields' names and values: the status
 * line, the separators, the framing line. */
#define H2UP_HEAD_MAX (BB_HTTP_HEAD_MAX + 4096u)
/* Reads of the connection per event before the others get a turn. */
#define H2UP_READS_PER_EVENT 16
#define H2UP_READ            16384u
/* Frames made per send while the connection's output is under this. */
#define H2UP_WATERMARK (64u * 1024u)

struct bb_h2up {
    struct bb_proxy_ctx *x;
    struct bb_upconn *u; /* the connection: TLS to the upstream */
    nghttp2_session *s;
    LIST_ENTRY(bb_h2up) link; /* in x->h2up */
    LIST_HEAD(, bb_h2us) streams;
    unsigned nstreams;
    uint32_t rd_want, wr_want;
    bool send_queued, read_queued, dead, goaway;
    struct bb_timer idle;
};

struct bb_h2us {
    struct bb_h2up *c;   /* NULL once the session is gone */
    struct bb_upconn *u; /* the request's side; NULL once it let go */
    LIST_ENTRY(bb_h2us) link;
    int32_t id; /* once submitted */
    /* the request, as the request writes it */
    llhttp_t reqp;
    struct bb_http_body reqbody;
    struct bb_buf send; /* its body bytes, for DATA */
    bool submitted, req_end, deferred, blocked, head_req;
    /* the answer, as the request reads it */
    struct bb_h1feed resp;
    int status;                /* of the head being read */
    bool length, final, ended; /* a content-length came; the final head; END_STREAM */
    bool closed, wake_queued;
    bool in_wake; /* its request is being told: it may let go of s meanwhile */
};

/* Scratch for one head at a time (a worker handles one at a time). */
static _Thread_local struct bb_hdr lines[BB_HTTP_MAX_HEADERS];
static _Thread_local char names[BB_HTTP_HEAD_MAX];
static _Thread_local struct bb_h2_field fields[BB_HTTP_MAX_HEADERS + 4];
static _Thread_local nghttp2_nv nv[BB_HTTP_MAX_HEADERS + 4];

/* bb_h2up_learn's memory: keys, round robin. */
static _Thread_local char h1_keys[BB_H2UP_H1_HINTS][BB_POOL_KEY_MAX];
static _Thread_local unsigned h1_next;

static void queue_send(struct bb_h2up *c);
static void session_close(struct bb_h2up *c);
static void idle_out(struct bb_loop *l, struct bb_timer *t);

static struct bb_loop *loop_of(const struct bb_h2up *c)
{
    return c->x->loop;
}

static void to_nv(int n)
{
    for (int i = 0; i < n; i++)
        nv[i] = (nghttp2_nv){(uint8_t *)fields[i].name, (uint8_t *)fields[i].value,
                             fields[i].name_len, fields[i].value_len, NGHTTP2_NV_FLAG_NONE};
}

bool bb_h2up_selected(const struct bb_upconn *u)
{
    const unsigned char *p = NULL;
    unsigned len = 0;
    if (u->conn.ssl != NULL)
        SSL_get0_alpn_selected(u->conn.ssl, &p, &len);
    return len == 2 && memcmp(p, "h2", 2) == 0;
}

static char *h1_slot(const char *key)
{
    for (unsigned i = 0; i < BB_H2UP_H1_HINTS; i++)
        if (strcmp(h1_keys[i], key) == 0)
            return h1_keys[i];
    return NULL;
}

void bb_h2up_learn(const char *key, bool h2)
{
    char *slot = h1_slot(key);
    if (h2 && slot != NULL) {
        slot[0] = '\0';
    } else if (!h2 && slot == NULL && key[0] != '\0') {
        snprintf(h1_keys[h1_next], BB_POOL_KEY_MAX, "%s", key);
        h1_next = (h1_next + 1) % BB_H2UP_H1_HINTS;
    }
}

bool bb_h2up_known_h1(const char *key)
{
    return key[0] != '\0' && h1_slot(key) != NULL;
}

/* ---- streams: freeing and waking ---- */

static void maybe_free(struct bb_h2us *s)
{
    if (s->u != NULL || s->wake_queued || s->in_wake ||
        (s->c != NULL && s->submitted && !s->closed))
        return;
    if (s->c != NULL) {
        LIST_REMOVE(s, link);
        s->c->nstreams--;
        if (s->c->nstreams == 0 && !s->c->dead)
            bb_loop_timer_set(loop_of(s->c), &s->c->idle, s->c->x->snap->cfg->timeouts.idle_ms,
                              idle_out);
    }
    bb_http_body_release(&s->reqbody);
    bb_buf_free(&s->send);
    bb_h1feed_free(&s->resp);
    free(s);
}

static void woken(struct bb_loop *l, void *arg)
{
    struct bb_h2us *s = arg;
    s->wake_queued = false;
    struct bb_upconn *u = s->u;
    s->in_wake = true; /* the request may end and let go of s in there */
    if (u != NULL && u->io.cb != NULL)
        u->io.cb(l, &u->io, EPOLLIN | EPOLLOUT);
    s->in_wake = false;
    maybe_free(s);
}

/* Something happened on the stream its request waits for. */
static void wake(struct bb_h2us *s)
{
    if (s->wake_queued || s->u == NULL)
        return;
    struct bb_loop *l = s->c != NULL ? loop_of(s->c) : NULL;
    if (l != NULL && bb_loop_defer(l, woken, s) == 0)
        s->wake_queued = true;
}

/* ---- the request's side: what it writes ---- */

static struct bb_h2us *stream_of(const struct bb_conn *conn)
{
    return BB_CONTAINER_OF(conn, struct bb_upconn, conn)->h2s;
}

static int to_send(void *arg, const char *data, size_t n)
{
    struct bb_h2us *s = arg;
    return bb_buf_append(&s->send, data, n);
}

/* DATA from the request's body, as much as the upstream's window takes;
 * its trailers (a chunked request's) end the stream. */
static ssize_t send_body(nghttp2_session *session, int32_t id, uint8_t *buf, size_t length,
                         uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    (void)session;
    (void)id;
    (void)ud;
    struct bb_h2us *s = src->ptr;
    size_t n = length < bb_buf_size(&s->send) ? length : bb_buf_size(&s->send);
    if (n > 0) { /* an empty buffer may have no memory yet */
        memcpy(buf, bb_buf_head(&s->send), n);
        bb_buf_consume(&s->send, n);
    }
    if (s->blocked && n > 0) {
        s->blocked = false; /* room again: the request may write more */
        wake(s);
    }
    if (bb_buf_size(&s->send) == 0 && s->req_end) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (bb_buf_size(&s->reqbody.trailers) > 0) {
            int k = bb_http_h2_trailer_fields(&s->reqbody.trailers, fields, BB_ARRAY_LEN(fields),
                                              names, sizeof(names));
            if (k < 0)
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
            to_nv(k);
            if (nghttp2_submit_trailer(s->c->s, s->id, nv, (size_t)k) != 0)
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        }
    } else if (n == 0) {
        s->deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    return (ssize_t)n;
}

/* The request's head (botbox wrote it whole, bb_http_write_request):
 * parsed back and submitted as the stream's HEADERS. Returns the bytes
 * used, or -1. */
static ssize_t submit(struct bb_h2us *s, const char *buf, size_t n)
{
    ssize_t end = bb_http_head_end(buf, n, BB_UPSTREAM_OUT);
    if (end <= 0)
        return -1;
    struct bb_http_head h = {.h = lines};
    const char *why;
    if (bb_http_parse_request(&s->reqp, buf, (size_t)end, &h, &why) != 0)
        return -1;
    int k = bb_http_h2_request_fields(&h, fields, BB_ARRAY_LEN(fields), names, sizeof(names));
    if (k < 0)
        return -1;
    to_nv(k);
    s->head_req = h.method_id == HTTP_HEAD;
    bb_http_body_init(&s->reqbody, to_send, s, true);
    bb_http_body_start(&s->reqp, &h, &s->reqbody);
    s->req_end = s->reqbody.done;
    nghttp2_data_provider prd = {.source.ptr = s, .read_callback = send_body};
    int32_t id = nghttp2_submit_request(s->c->s, NULL, nv, (size_t)k, s->req_end ? NULL : &prd, s);
    if (id < 0)
        return -1;
    s->id = id;
    s->submitted = true;
    return end;
}

static ssize_t us_write(struct bb_conn *conn, const void *buf, size_t n)
{
    struct bb_h2us *s = stream_of(conn);
    if (s == NULL || s->c == NULL || s->closed)
        return BB_IO_ERR;
    const char *b = buf;
    size_t used = 0;
    if (!s->submitted) {
        ssize_t k = submit(s, b, n);
        if (k < 0)
            return BB_IO_ERR;
        used = (size_t)k;
    }
    while (used < n && !s->reqbody.done && bb_buf_size(&s->send) < BB_H2UP_SEND_MAX) {
        size_t room = BB_H2UP_SEND_MAX - bb_buf_size(&s->send);
        size_t k = n - used < room ? n - used : room; /* decoding never grows it */
        ssize_t r = bb_http_body_feed(&s->reqp, &s->reqbody, b + used, k);
        if (r < 0)
            return BB_IO_ERR;
        used += (size_t)r;
        if (r == 0)
            break;
    }
    if (s->reqbody.done) {
        s->req_end = true;
        used = n; /* nothing follows a request botbox wrote */
    }
    if (s->deferred && (bb_buf_size(&s->send) > 0 || s->req_end)) {
        s->deferred = false;
        nghttp2_session_resume_data(s->c->s, s->id);
    }
    queue_send(s->c);
    if (used == 0) {
        s->blocked = true;
        conn->want = EPOLLOUT;
    }
    return (ssize_t)used;
}

/* ---- the request's side: what it reads ---- */

static ssize_t us_read(struct bb_conn *conn, void *buf, size_t n)
{
    struct bb_h2us *s = stream_of(conn);
    if (s == NULL)
        return BB_IO_ERR;
    size_t credit;
    ssize_t k = bb_h1feed_read(&s->resp, buf, n, &credit);
    if (credit > 0 && s->c != NULL) {
        if (s->closed) /* the stream's share is gone: the connection's is not */
            nghttp2_session_consume_connection(s->c->s, credit);
        else
            nghttp2_session_consume(s->c->s, s->id, credit);
        queue_send(s->c);
    }
    if (k == BB_H1FEED_END)
        return BB_IO_EOF;
    if (k > 0)
        return k;
    /* Bytes left that this read had no room for (a slow client: the
     * request's buffer is nearly full) are read next time, even after the
     * stream closed: the answer is whole, only unread. */
    if ((s->closed || s->c == NULL) && !bb_h1feed_pending(&s->resp))
        return BB_IO_ERR; /* reset, or the connection went, before the answer ended */
    conn->want = EPOLLIN;
    return 0;
}

static bool us_pending(const struct bb_conn *conn)
{
    const struct bb_h2us *s = stream_of(conn);
    return s != NULL && (bb_h1feed_pending(&s->resp) || s->closed || s->c == NULL);
}

/* The request let its upstream side go: a stream still open is cancelled
 * (an answer it stopped reading, a client that left), and what it held
 * unread goes back to the connection's window. */
static void us_close(struct bb_conn *conn)
{
    struct bb_upconn *u = BB_CONTAINER_OF(conn, struct bb_upconn, conn);
    struct bb_h2us *s = u->h2s;
    if (s == NULL)
        return;
    u->h2s = NULL;
    s->u = NULL;
    struct bb_h2up *c = s->c;
    size_t held = bb_buf_size(&s->resp.data);
    if (c != NULL && held > 0 && s->closed)
        nghttp2_session_consume_connection(c->s, held);
    if (c != NULL && s->submitted && !s->closed) {
        if (held > 0)
            nghttp2_session_consume(c->s, s->id, held);
        if (!s->ended || !s->req_end)
            nghttp2_submit_rst_stream(c->s, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_CANCEL);
    }
    if (c != NULL)
        queue_send(c);
    maybe_free(s);
}

static const struct bb_conn_ops stream_ops = {
    .read = us_read,
    .write = us_write,
    .handshake = bb_conn_no_handshake,
    .close = us_close,
    .pending = us_pending,
};

static struct bb_upconn *stream_new(struct bb_h2up *c, bool reused)
{
    struct bb_upconn *u = calloc(1, sizeof(*u));
    struct bb_h2us *s = calloc(1, sizeof(*s));
    if (u == NULL || s == NULL) {
        free(u);
        free(s);
        return NULL;
    }
    s->c = c;
    s->u = u;
    bb_buf_init(&s->send, BB_H2UP_SEND_MAX);
    bb_h1feed_init(&s->resp, H2UP_HEAD_MAX, BB_H2UP_STREAM_WINDOW, BB_HTTP_TRAILERS_MAX);
    LIST_INSERT_HEAD(&c->streams, s, link);
    c->nstreams++;
    bb_loop_timer_cancel(loop_of(c), &c->idle);
    u->conn = (struct bb_conn){.ops = &stream_ops, .fd = -1};
    u->state = BB_UP_READY;
    u->is_stream = true;
    u->h2s = s;
    u->reused = reused;
    memcpy(u->key, c->u->key, sizeof(u->key));
    bb_buf_init(&u->in, BB_UPSTREAM_IN);
    bb_buf_init(&u->out, BB_UPSTREAM_OUT);
    return u;
}

/* ---- the answer, from the upstream's frames ---- */

static struct bb_h2us *stream(nghttp2_session *session, int32_t id)
{
    return nghttp2_session_get_stream_user_data(session, id);
}

static int head_line(struct bb_h2us *s, const char *a, size_t an, const char *b, size_t bn)
{
    return bb_buf_append(&s->resp.head, a, an) | bb_buf_append(&s->resp.head, b, bn);
}

/* A field of a head: the status line from :status (which comes first),
 * then "name: value" lines. */
static int head_field(struct bb_h2us *s, nghttp2_vec n, nghttp2_vec v)
{
    if (n.len == 7 && memcmp(n.base, ":status", 7) == 0) {
        s->status = (v.base[0] - '0') * 100 + (v.base[1] - '0') * 10 + (v.base[2] - '0');
        return bb_buf_append(&s->resp.head, "HTTP/1.1 ", 9) |
               bb_buf_append(&s->resp.head, v.base, 3) | bb_buf_append(&s->resp.head, " \r\n", 3);
    }
    if (n.len > 0 && n.base[0] == ':')
        return -1; /* nghttp2 lets no other through */
    if (n.len == 14 && memcmp(n.base, "content-length", 14) == 0)
        s->length = true;
    return head_line(s, (const char *)n.base, n.len, ": ", 2) |
           head_line(s, (const char *)v.base, v.len, "\r\n", 2);
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, nghttp2_rcbuf *name,
                     nghttp2_rcbuf *value, uint8_t flags, void *ud)
{
    (void)flags;
    (void)ud;
    struct bb_h2us *s = stream(session, frame->hd.stream_id);
    if (s == NULL)
        return 0;
    nghttp2_vec n = nghttp2_rcbuf_get_buf(name), v = nghttp2_rcbuf_get_buf(value);
    int rc = s->final ? bb_h1feed_trailer(&s->resp, (const char *)n.base, n.len,
                                          (const char *)v.base, v.len)
                      : head_field(s, n, v);
    if (rc == 0)
        return 0;
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_INTERNAL_ERROR);
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* past the head's or the trailers' limit */
}

/* A field RFC 9113 calls malformed: the answer is not relayed. */
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

/* END_HEADERS of a head: an interim one ends there; the final one says
 * its framing (chunked unless a length came or no body follows; a head
 * that ends the stream, gRPC's trailers-only answer, says length 0, so
 * that its fields stay one HEADERS with END_STREAM on an h2 client). */
static int head_done(struct bb_h2us *s, bool end)
{
    if (s->status / 100 == 1) {
        s->length = false;
        return bb_buf_append(&s->resp.head, "\r\n", 2);
    }
    s->final = true;
    bool bodyless = s->head_req || s->status == 204 || s->status == 304;
    if (end && !bodyless && !s->length &&
        bb_buf_append(&s->resp.head, "content-length: 0\r\n", 19) != 0)
        return -1;
    s->resp.chunked = !bodyless && !s->length && !end;
    if (s->resp.chunked && bb_buf_append(&s->resp.head, "transfer-encoding: chunked\r\n", 28))
        return -1;
    return bb_buf_append(&s->resp.head, "\r\n", 2);
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    struct bb_h2up *c = ud;
    if (frame->hd.type == NGHTTP2_GOAWAY) {
        c->goaway = true; /* no new streams; those above its last id are closed for us */
        return 0;
    }
    struct bb_h2us *s = frame->hd.stream_id ? stream(session, frame->hd.stream_id) : NULL;
    if (s == NULL || (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA))
        return 0;
    bool was_final = s->final;
    bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_HEADERS && !was_final && head_done(s, end) != 0) {
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_INTERNAL_ERROR);
        return 0;
    }
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
        s->ended = true;
        if (bb_h1feed_end(&s->resp) != 0)
            nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_INTERNAL_ERROR);
    }
    wake(s);
    return 0;
}

static int on_data(nghttp2_session *session, uint8_t flags, int32_t id, const uint8_t *data,
                   size_t len, void *ud)
{
    (void)flags;
    (void)ud;
    struct bb_h2us *s = stream(session, id);
    if (s == NULL || s->u == NULL || s->head_req) {
        nghttp2_session_consume(session, id, len); /* nobody reads it */
        return 0;
    }
    if (bb_buf_append(&s->resp.data, data, len) != 0) /* past the window nghttp2 enforces */
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    wake(s);
    return 0;
}

static int on_close(nghttp2_session *session, int32_t id, uint32_t error, void *ud)
{
    (void)error;
    (void)ud;
    struct bb_h2us *s = stream(session, id);
    if (s == NULL)
        return 0;
    nghttp2_session_set_stream_user_data(session, id, NULL);
    s->closed = true;
    wake(s); /* an answer cut short reads as an error */
    maybe_free(s);
    return 0;
}

/* ---- the session ---- */

static nghttp2_session_callbacks *callbacks(void)
{
    nghttp2_session_callbacks *cb;
    if (nghttp2_session_callbacks_new(&cb) != 0)
        return NULL;
    nghttp2_session_callbacks_set_on_header_callback2(cb, on_header);
    nghttp2_session_callbacks_set_on_invalid_header_callback2(cb, on_invalid_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
    return cb;
}

static bool session_new(struct bb_h2up *c)
{
    nghttp2_session_callbacks *cb = callbacks();
    nghttp2_option *o = NULL;
    int rc = cb != NULL && nghttp2_option_new(&o) == 0 ? 0 : -1;
    if (rc == 0) {
        nghttp2_option_set_no_auto_window_update(o, 1); /* windows open as requests read */
        nghttp2_option_set_max_deflate_dynamic_table_size(o, BB_H2UP_HPACK_TABLE);
        rc = nghttp2_session_client_new2(&c->s, cb, c, o);
    }
    nghttp2_session_callbacks_del(cb);
    nghttp2_option_del(o);
    if (rc != 0)
        return false;
    const nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, BB_H2UP_STREAM_WINDOW},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, BB_HTTP_HEAD_MAX},
        {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, BB_H2UP_HPACK_TABLE},
    };
    return nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, iv, BB_ARRAY_LEN(iv)) == 0 &&
           nghttp2_session_set_local_window_size(c->s, NGHTTP2_FLAG_NONE, 0, BB_H2UP_CONN_WINDOW) ==
               0;
}

static void sent(struct bb_loop *l, void *arg);

static void read_conn(struct bb_h2up *c)
{
    struct bb_upconn *u = c->u;
    for (int i = 0; i < H2UP_READS_PER_EVENT && !c->dead; i++) {
        ssize_t n = bb_conn_read_buf(&u->conn, &u->in, H2UP_READ, &c->rd_want);
        if (n == 0)
            return;
        if (n < 0) {
            session_close(c); /* the upstream closed or failed: its streams see it */
            return;
        }
        ssize_t r = nghttp2_session_mem_recv(c->s, (const uint8_t *)bb_buf_head(&u->in),
                                             bb_buf_size(&u->in));
        bb_buf_reset(&u->in);
        if (r < 0) {
            session_close(c); /* a connection error: nghttp2 said GOAWAY, if it could */
            return;
        }
        if (!bb_conn_pending(&u->conn))
            return;
    }
    if (!c->dead && bb_conn_pending(&u->conn))
        queue_send(c); /* more waits inside TLS: read again after this iteration */
}

/* Interest from what the session wants and what waits to go out. */
static void interest(struct bb_h2up *c)
{
    struct bb_upconn *u = c->u;
    uint32_t ev = EPOLLIN | EPOLLRDHUP;
    if (c->rd_want != 0)
        ev = c->rd_want | EPOLLRDHUP;
    if (bb_buf_size(&u->out) > 0)
        ev |= c->wr_want ? c->wr_want : EPOLLOUT;
    bb_loop_io_set(loop_of(c), &u->io, ev);
}

static void send_now(struct bb_h2up *c)
{
    struct bb_upconn *u = c->u;
    for (;;) {
        while (bb_buf_size(&u->out) < H2UP_WATERMARK) {
            const uint8_t *data;
            ssize_t n = nghttp2_session_mem_send(c->s, &data);
            if (n < 0) {
                session_close(c);
                return;
            }
            if (n == 0 || bb_buf_append(&u->out, data, (size_t)n) != 0)
                break;
        }
        if (bb_conn_flush_buf(&u->conn, &u->out, &c->wr_want) != 0) {
            session_close(c);
            return;
        }
        if (bb_buf_size(&u->out) > 0 || !nghttp2_session_want_write(c->s))
            break;
    }
    if (!nghttp2_session_want_read(c->s) && !nghttp2_session_want_write(c->s)) {
        session_close(c); /* GOAWAY both ways, nothing left */
        return;
    }
    interest(c);
}

static void session_event(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)l;
    struct bb_h2up *c = BB_CONTAINER_OF(io, struct bb_upconn, io)->owner;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
        read_conn(c);
    if (!c->dead)
        send_now(c);
}

static void sent(struct bb_loop *l, void *arg)
{
    (void)l;
    struct bb_h2up *c = arg;
    c->send_queued = false;
    if (c->dead) {
        free(c);
        return;
    }
    if (bb_conn_pending(&c->u->conn))
        read_conn(c);
    if (!c->dead)
        send_now(c);
}

/* Frames wait (a request submitted, a window given back): they go out
 * after this iteration. */
static void queue_send(struct bb_h2up *c)
{
    if (!c->send_queued && !c->dead && bb_loop_defer(loop_of(c), sent, c) == 0)
        c->send_queued = true;
}

/* The session ends: its streams' requests see their upstream gone (an
 * answer not yet whole is an error), the connection closes. */
static void session_close(struct bb_h2up *c)
{
    if (c->dead)
        return;
    c->dead = true;
    LIST_REMOVE(c, link);
    bb_loop_timer_cancel(loop_of(c), &c->idle);
    while (!LIST_EMPTY(&c->streams)) {
        struct bb_h2us *s = LIST_FIRST(&c->streams);
        LIST_REMOVE(s, link);
        wake(s); /* queued on the loop before s->c goes */
        s->c = NULL;
        s->closed = true;
        maybe_free(s);
    }
    nghttp2_session_del(c->s);
    c->s = NULL;
    bb_upstream_close(c->x->loop, c->u);
    /* freed by the deferred call (a caller up the stack may still look at
     * c->dead); out of memory for it, c is left rather than used freed */
    if (!c->send_queued && bb_loop_defer(c->x->loop, sent, c) == 0)
        c->send_queued = true;
}

/* No stream for timeouts.idle: GOAWAY, and the connection closes. */
static void idle_out(struct bb_loop *l, struct bb_timer *t)
{
    (void)l;
    struct bb_h2up *c = BB_CONTAINER_OF(t, struct bb_h2up, idle);
    nghttp2_session_terminate_session(c->s, NGHTTP2_NO_ERROR);
    const uint8_t *data;
    ssize_t n = nghttp2_session_mem_send(c->s, &data);
    if (n > 0 && bb_buf_append(&c->u->out, data, (size_t)n) == 0)
        bb_conn_flush_buf(&c->u->conn, &c->u->out, &c->wr_want); /* one try: it is closing */
    session_close(c);
}

struct bb_upconn *bb_h2up_adopt(struct bb_proxy_ctx *x, struct bb_upconn *u)
{
    struct bb_h2up *c = calloc(1, sizeof(*c));
    if (c == NULL || !session_new(c)) {
        if (c != NULL)
            nghttp2_session_del(c->s);
        free(c);
        bb_upstream_close(x->loop, u);
        return NULL;
    }
    c->x = x;
    c->u = u;
    LIST_INIT(&c->streams);
    LIST_INSERT_HEAD(&x->h2up, c, link);
    u->owner = c;
    u->io.cb = session_event;
    struct bb_upconn *s = stream_new(c, false);
    if (s == NULL) {
        session_close(c);
        return NULL;
    }
    queue_send(c); /* the preface and SETTINGS */
    return s;
}

static bool has_room(const struct bb_h2up *c)
{
    uint32_t peer =
        nghttp2_session_get_remote_settings(c->s, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
    uint32_t cap = peer < BB_H2UP_MAX_STREAMS ? peer : BB_H2UP_MAX_STREAMS;
    return !c->dead && !c->goaway && c->nstreams < cap &&
           nghttp2_session_check_request_allowed(c->s);
}

struct bb_upconn *bb_h2up_get(struct bb_proxy_ctx *x, const char *key)
{
    struct bb_h2up *c;
    LIST_FOREACH(c, &x->h2up, link)
    {
        if (strcmp(c->u->key, key) == 0 && has_room(c))
            return stream_new(c, true);
    }
    return NULL;
}

void bb_h2up_close_all(struct bb_proxy_ctx *x)
{
    while (!LIST_EMPTY(&x->h2up))
        session_close(LIST_FIRST(&x->h2up));
}
