/*
 * An HTTP/2 stream's HTTP/1.1 message, made as it is read (see h1_feed.h).
 */
#include "gateway/http/h1_feed.h"

#include "gateway/http/http_body.h"

#include <string.h>

void bb_h1feed_init(struct bb_h1feed *f, size_t head_max, size_t data_max, size_t trailers_max)
{
    memset(f, 0, sizeof(*f));
    bb_buf_init(&f->head, head_max);
    bb_buf_init(&f->data, data_max);
    bb_buf_init(&f->tail, trailers_max + 8); /* "0\r\n" and "\r\n" around them */
}

size_t bb_h1feed_free(struct bb_h1feed *f)
{
    return bb_buf_free(&f->head) + bb_buf_free(&f->data) + bb_buf_free(&f->tail);
}

int bb_h1feed_trailer(struct bb_h1feed *f, const char *name, size_t nlen, const char *value,
                      size_t vlen)
{
    if (!f->chunked || f->ended || !bb_http_trailer_allowed(name, nlen))
        return 0; /* a length-framed body has no place for them */
    if (bb_buf_size(&f->tail) + nlen + vlen + 4 > f->tail.limit - 8)
        return -1;
    return bb_buf_append(&f->tail, name, nlen) | bb_buf_append(&f->tail, ": ", 2) |
           bb_buf_append(&f->tail, value, vlen) | bb_buf_append(&f->tail, "\r\n", 2);
}

int bb_h1feed_end(struct bb_h1feed *f)
{
    if (f->ended)
        return 0;
    f->ended = true;
    if (!f->chunked)
        return 0;
    struct bb_buf end;
    bb_buf_init(&end, f->tail.limit);
    int rc = bb_buf_append(&end, "0\r\n", 3) |
             bb_buf_append(&end, bb_buf_head(&f->tail), bb_buf_size(&f->tail)) |
             bb_buf_append(&end, "\r\n", 2);
    bb_buf_free(&f->tail);
    f->tail = end;
    return rc != 0 ? -1 : 0;
}

static size_t take(struct bb_buf *b, char *to, size_t n)
{
    n = n < bb_buf_size(b) ? n : bb_buf_size(b);
    memcpy(to, bb_buf_head(b), n);
    bb_buf_consume(b, n);
    return n;
}

/* One chunk of what data holds, framed, into to[0..n). */
static size_t chunk(struct bb_h1feed *f, char *to, size_t n, size_t *credit)
{
    size_t k = n - BB_H1FEED_CHUNK_FRAMING;
    k = k < bb_buf_size(&f->data) ? k : bb_buf_size(&f->data);
    struct bb_buf out;
    bb_buf_wrap(&out, to, n);
    /* cannot fail: n holds k and the framing */
    (void)(bb_buf_append_hex(&out, k, 1) | bb_buf_append(&out, "\r\n", 2) |
           bb_buf_append(&out, bb_buf_head(&f->data), k) | bb_buf_append(&out, "\r\n", 2));
    bb_buf_consume(&f->data, k);
    *credit = k;
    return bb_buf_size(&out);
}

ssize_t bb_h1feed_read(struct bb_h1feed *f, char *buf, size_t n, size_t *credit)
{
    *credit = 0;
    if (bb_buf_size(&f->head) > 0)
        return (ssize_t)take(&f->head, buf, n);
    if (bb_buf_size(&f->data) > 0 && f->chunked)
        return n > BB_H1FEED_CHUNK_FRAMING ? (ssize_t)chunk(f, buf, n, credit) : 0;
    if (bb_buf_size(&f->data) > 0) {
        *credit = take(&f->data, buf, n);
        return (ssize_t)*credit;
    }
    if (f->ended && bb_buf_size(&f->tail) > 0)
        return (ssize_t)take(&f->tail, buf, n);
    return f->ended ? BB_H1FEED_END : 0;
}

bool bb_h1feed_pending(const struct bb_h1feed *f)
{
    return bb_buf_size(&f->head) > 0 || bb_buf_size(&f->data) > 0 ||
           (f->ended && bb_buf_size(&f->tail) > 0);
}
