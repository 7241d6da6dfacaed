/*
 * The metrics and health endpoint (see admin.h): a small HTTP/1.1 server on
 * the control thread's loop.
 */
#include "gateway/serve/admin.h"

#include "common/macros.h"
#include "gateway/http/http_head.h"
#include "gateway/io/listen.h"
#include "gateway/io/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define TEXT_TYPE    "text/plain; charset=utf-8"

struct aconn {
    struct bb_admin *a;
    struct aconn *next;
    struct bb_io io;
    struct bb_timer timer;
    char in[BB_ADMIN_HEAD_MAX];
    size_t inlen;
    struct bb_buf out;
    bool responded;
};

struct bb_admin {
    struct bb_loop *loop;
    struct bb_io lio;
    struct bb_admin_ops ops;
    struct aconn *conns;
    unsigned nconns;
};

/* ---- responses ---- */

static void reply(struct bb_buf *out, int status, const char *reason, const char *type,
                  const char *body, size_t len, bool head_only)
{
    bb_buf_reset(out);
    int rc = bb_buf_printf(out,
                           "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                           "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                           status, reason, type, len);
    if (rc == 0 && !head_only)
        rc = bb_buf_append(out, body, len);
    if (rc != 0 && status != 500)
        reply(out, 500, "Internal Server Error", TEXT_TYPE, "internal error\n", 15, head_only);
}

static void text(struct bb_buf *out, int status, const char *reason, const char *body,
                 bool head_only)
{
    reply(out, status, reason, TEXT_TYPE, body, strlen(body), head_only);
}

static bool path_is(const struct bb_http_head *h, const char *path)
{
    size_t n = strlen(path);
    /* a query string is ignored: scrapers may add one */
    return h->target_len >= n && memcmp(h->target, path, n) == 0 &&
           (h->target_len == n || h->target[n] == '?');
}

static void metrics(const struct bb_admin_ops *ops, struct bb_buf *out, bool head_only)
{
    struct bb_buf body;
    bb_buf_init(&body, BB_ADMIN_OUT_MAX - 1024);
    if (ops->metrics(ops->arg, &body) == 0)
        reply(out, 200, "OK", METRICS_TYPE, bb_buf_head(&body), bb_buf_size(&body), head_only);
    else
        text(out, 500, "Internal Server Error", "internal error\n", head_only);
    bb_buf_free(&body);
}

static void readiness(const struct bb_admin_ops *ops, struct bb_buf *out, bool head_only)
{
    bool ok = ops->ready(ops->arg);
    struct bb_buf body;
    bb_buf_init(&body, BB_ADMIN_OUT_MAX - 1024);
    const char *word = ok ? "ok\n" : "not ready\n";
    if (bb_buf_append(&body, word, strlen(word)) != 0 ||
        (ops->detail != NULL && ops->detail(ops->arg, &body) != 0))
        text(out, 500, "Internal Server Error", "internal error\n", head_only);
    else if (ok)
        reply(out, 200, "OK", TEXT_TYPE, bb_buf_head(&body), bb_buf_size(&body), head_only);
    else
        reply(out, 503, "Service Unavailable", TEXT_TYPE, bb_buf_head(&body), bb_buf_size(&body),
              head_only);
    bb_buf_free(&body);
}

void bb_admin_respond(const struct bb_admin_ops *ops, const char *buf, size_t len,
                      struct bb_buf *out)
{
    llhttp_t parser;
    struct bb_hdr lines[BB_HTTP_MAX_HEADERS];
    struct bb_http_head h = {.h = lines};
    const char *why;
    int bad = bb_http_parse_request(&parser, buf, len, &h, &why);
    if (bad == 431) {
        text(out, 431, "Request Header Fields Too Large", "request header too large\n", false);
        return;
    }
    if (bad != 0) {
        text(out, 400, "Bad Request", "bad request\n", false);
        return;
    }
    bool get = h.method_id == HTTP_GET, head = h.method_id == HTTP_HEAD;
    if (!(get || head))
        text(out, 404, "Not Found", "not found\n", false);
    else if (path_is(&h, "/metrics"))
        metrics(ops, out, head);
    else if (path_is(&h, "/healthz") || path_is(&h, "/readyz"))
        readiness(ops, out, head);
    else
        text(out, 404, "Not Found", "not found\n", head);
}

/* ---- connections ---- */

static void free_conn(struct bb_loop *l, void *arg)
{
    (void)l;
    struct aconn *c = arg;
    bb_buf_free(&c->out);
    free(c);
}

/* Closes now, frees after this loop iteration (the loop convention: an
 * event for it may still be pending in this batch). */
static void close_conn(struct aconn *c)
{
    struct bb_admin *a = c->a;
    for (struct aconn **pp = &a->conns; *pp != NULL; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    a->nconns--;
    bb_loop_io_del(a->loop, &c->io);
    bb_loop_timer_cancel(a->loop, &c->timer);
    close(c->io.fd);
    if (bb_loop_defer(a->loop, free_conn, c) != 0)
        free_conn(a->loop, c);
}

static void on_timeout(struct bb_loop *l, struct bb_timer *t)
{
    (void)l;
    close_conn(BB_CONTAINER_OF(t, struct aconn, timer));
}

/* Reads until a head is complete, then answers it. -1: close now. */
static int take_input(struct aconn *c)
{
    ssize_t n = read(c->io.fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    if (n == 0)
        return -1;
    c->inlen += (size_t)n;
    ssize_t end = bb_http_head_end(c->in, c->inlen, sizeof(c->in));
    if (end == 0)
        return 0;
    c->responded = true;
    if (end == -2)
        text(&c->out, 431, "Request Header Fields Too Large", "request header too large\n", false);
    else if (end < 0)
        text(&c->out, 400, "Bad Request", "bad request\n", false);
    else
        bb_admin_respond(&c->a->ops, c->in, (size_t)end, &c->out);
    return 0;
}

/* Writes what is pending. 1: all sent, 0: more later, -1: failed. */
static int flush(struct aconn *c)
{
    while (bb_buf_size(&c->out) > 0) {
        ssize_t n = send(c->io.fd, bb_buf_head(&c->out), bb_buf_size(&c->out), MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        bb_buf_consume(&c->out, (size_t)n);
    }
    return 1;
}

static void conn_event(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)events;
    struct aconn *c = BB_CONTAINER_OF(io, struct aconn, io);
    if (!c->responded && take_input(c) != 0) {
        close_conn(c);
        return;
    }
    if (!c->responded)
        return;
    int r = flush(c);
    if (r != 0) {
        close_conn(c); /* sent (Connection: close) or failed */
        return;
    }
    bb_loop_io_set(l, io, EPOLLOUT);
}

static void on_accept(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)events;
    struct bb_admin *a = BB_CONTAINER_OF(io, struct bb_admin, lio);
    for (;;) {
        int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct aconn *c = a->nconns < BB_ADMIN_MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
        if (c == NULL) {
            close(fd); /* over the limit: a scraper retries */
            continue;
        }
        c->a = a;
        bb_buf_init(&c->out, BB_ADMIN_OUT_MAX);
        if (bb_loop_io_add(l, &c->io, fd, EPOLLIN, conn_event) != 0) {
            close(fd);
            free(c);
            continue;
        }
        c->next = a->conns;
        a->conns = c;
        a->nconns++;
        bb_loop_timer_set(l, &c->timer, BB_ADMIN_TIMEOUT_MS, on_timeout);
    }
}

struct bb_admin *bb_admin_new(struct bb_loop *l, const char *addr, uint16_t port,
                              const struct bb_admin_ops *ops)
{
    struct bb_admin *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->loop = l;
    a->ops = *ops;
    int fd = bb_listen(addr, port, 0);
    if (fd < 0 || bb_loop_io_add(l, &a->lio, fd, EPOLLIN, on_accept) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        free(a);
        errno = e;
        return NULL;
    }
    return a;
}

void bb_admin_free(struct bb_admin *a)
{
    if (a == NULL)
        return;
    while (a->conns != NULL)
        close_conn(a->conns);
    bb_loop_io_del(a->loop, &a->lio);
    close(a->lio.fd);
    free(a);
}
