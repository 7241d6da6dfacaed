/*
 * Body decoding with llhttp (see http_body.h). The parser is switched to
 * body-only callbacks; trailers arrive through the header callbacks, which
 * build the kept lines piece by piece (a field may be split across feeds).
 */
#include "gateway/http/http_body.h"

#include "common/hop.h"
#include "common/macros.h"

#include <strings.h>

static int on_body(llhttp_t *p, const char *at, size_t n)
{
    struct bb_http_body *b = p->data;
    return b->on_data(b->arg, at, n) == 0 ? 0 : HPE_USER;
}

static int on_complete(llhttp_t *p)
{
    struct bb_http_body *b = p->data;
    b->done = true;
    return HPE_PAUSED; /* what follows is the next message */
}

/* ---- trailers ---- */

bool bb_http_trailer_allowed(const char *name, size_t len)
{
    static const char *const refused[] = {
        "content-length",
        "host",
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "content-type",
        "content-encoding",
        "content-range",
        "trailer",
        "expect",
        "range",
        "if-match",
        "if-none-match",
        "if-modified-since",
        "if-unmodified-since",
        "www-authenticate",
        "proxy-authenticate",
        "location",
        "cache-control",
    };
    if (bb_is_hop_by_hop(name, len))
        return false;
    for (size_t i = 0; i < BB_ARRAY_LEN(refused); i++)
        if (strlen(refused[i]) == len && strncasecmp(refused[i], name, len) == 0)
            return false;
    return true;
}

static int keep(struct bb_http_body *b, const char *at, size_t n)
{
    return bb_buf_append(&b->trailers, at, n) == 0 ? 0 : HPE_USER; /* past the limit */
}

static int on_field(llhttp_t *p, const char *at, size_t n)
{
    struct bb_http_body *b = p->data;
    if (!b->keep_trailers)
        return 0;
    if (b->in_value || bb_buf_size(&b->trailers) == 0) /* a new field starts */
        b->field = bb_buf_size(&b->trailers);
    b->in_value = false;
    return keep(b, at, n);
}

static int on_field_done(llhttp_t *p)
{
    struct bb_http_body *b = p->data;
    if (!b->keep_trailers)
        return 0;
    b->in_value = true;
    return keep(b, ": ", 2);
}

static int on_value(llhttp_t *p, const char *at, size_t n)
{
    struct bb_http_body *b = p->data;
    return b->keep_trailers ? keep(b, at, n) : 0;
}

/* The field is whole: kept as a line, or taken back out when refused. */
static int on_value_done(llhttp_t *p)
{
    struct bb_http_body *b = p->data;
    if (!b->keep_trailers)
        return 0;
    const char *line = bb_buf_head(&b->trailers) + b->field;
    size_t len = bb_buf_size(&b->trailers) - b->field;
    const char *colon = memchr(line, ':', len);
    if (colon != NULL && bb_http_trailer_allowed(line, (size_t)(colon - line)))
        return keep(b, "\r\n", 2);
    b->trailers.len -= len; /* nothing was consumed: size is len from offset 0 */
    return 0;
}

/* Read-only, complete at compile time (no first-use fill for workers to
 * race on). */
static const llhttp_settings_t body_settings = {
    .on_body = on_body,
    .on_message_complete = on_complete,
    .on_header_field = on_field,
    .on_header_field_complete = on_field_done,
    .on_header_value = on_value,
    .on_header_value_complete = on_value_done,
};

void bb_http_body_init(struct bb_http_body *b, bb_http_data_cb on_data, void *arg,
                       bool keep_trailers)
{
    bb_http_body_release(b);
    *b = (struct bb_http_body){.on_data = on_data, .arg = arg, .keep_trailers = keep_trailers};
    bb_buf_init(&b->trailers, BB_HTTP_TRAILERS_MAX);
}

void bb_http_body_release(struct bb_http_body *b)
{
    bb_buf_free(&b->trailers);
}

void bb_http_body_start(llhttp_t *p, const struct bb_http_head *head, struct bb_http_body *b)
{
    /* The parser keeps its state from the head; only the callbacks change.
     * llhttp stores settings as void * and only reads them (llhttp_init
     * casts the same way). */
    p->settings = (void *)&body_settings;
    p->data = b;
    b->done = bb_http_body_empty(head);
}

ssize_t bb_http_body_feed(llhttp_t *p, struct bb_http_body *b, const char *buf, size_t len)
{
    if (b->done || len == 0)
        return 0;
    llhttp_errno_t err = llhttp_execute(p, buf, len);
    if (err == HPE_OK)
        return (ssize_t)len;
    if (err == HPE_PAUSED && b->done)
        return llhttp_get_error_pos(p) - buf;
    return -1;
}

int bb_http_body_eof(llhttp_t *p, struct bb_http_body *b)
{
    if (b->done)
        return 0;
    /* llhttp_finish reports OK even after an error (docs/reference.md §8), so the
     * completion flag is what counts. */
    llhttp_finish(p);
    return b->done ? 0 : -1;
}
