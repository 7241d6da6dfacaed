/*
 * HTTP/2 request heads (see h2_head.h). One pass over the fields: the
 * pseudo-headers first, then the regular ones, each checked where it is
 * seen; the head is then filled as bb_http_parse_request fills it.
 */
#include "gateway/http/h2_head.h"

#include "common/buf.h"
#include "common/chars.h"

#include <string.h>
#include <strings.h>

enum pseudo { PS_METHOD, PS_SCHEME, PS_AUTHORITY, PS_PATH, PS_N };

static const char *const pseudo_names[PS_N] = {":method", ":scheme", ":authority", ":path"};

/* Fields an HTTP/2 message must not carry (RFC 9113 §8.2.2): they mean
 * something only to one HTTP/1.1 connection, and a downgrade would obey.
 * Narrower than common/hop.h's hop-by-hop list on purpose: TE (trailers
 * only, checked apart), Trailer and Proxy-Authorization are lawful in an
 * HTTP/2 request, and the HTTP/1.1 writer drops the hop-by-hop ones. */
static const char *const connection_specific[] = {"connection", "keep-alive", "proxy-connection",
                                                  "transfer-encoding", "upgrade"};

struct scan {
    const struct bb_h2_field *ps[PS_N];
    size_t bytes;
    bool regular;    /* a regular field was seen: no pseudo-header after it */
    size_t host;     /* index of the Host field in out->h, or SIZE_MAX */
    size_t nlength;  /* Content-Length fields */
    const char *why; /* set with the status to return */
};

static bool is(const struct bb_h2_field *f, const char *name)
{
    size_t n = strlen(name);
    return f->name_len == n && memcmp(f->name, name, n) == 0;
}

static bool same(const uint8_t *a, size_t alen, const char *b)
{
    return alen == strlen(b) && strncasecmp((const char *)a, b, alen) == 0;
}

/* A name HTTP/2 allows: token characters, no upper case (RFC 9113 §8.2). */
static bool good_name(const uint8_t *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!bb_is_tchar(p[i]) || (p[i] >= 'A' && p[i] <= 'Z'))
            return false;
    return true;
}

/* A value: the bytes an HTTP/1.1 field value may hold (as the HTTP/1.1
 * head parser checks them), and no space or tab at either end (RFC 9113
 * §8.2.1). */
static bool good_value(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!bb_is_value_char(p[i]))
            return false;
    return n == 0 || (p[0] != ' ' && p[0] != '\t' && p[n - 1] != ' ' && p[n - 1] != '\t');
}

/* :path and :authority become the request line and Host: visible ASCII
 * only, as an HTTP/1.1 request target (anything else is percent-encoded). */
static bool visible(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] <= 0x20 || p[i] >= 0x7f)
            return false;
    return true;
}

static int refuse(struct scan *s, int status, const char *why)
{
    s->why = why;
    return status;
}

static int take_pseudo(struct scan *s, const struct bb_h2_field *f)
{
    if (s->regular)
        return refuse(s, 400, "pseudo-header after a regular field");
    if (is(f, ":protocol"))
        return refuse(s, 405, "CONNECT method not allowed"); /* extended CONNECT */
    for (int i = 0; i < PS_N; i++) {
        if (!is(f, pseudo_names[i]))
            continue;
        if (s->ps[i] != NULL)
            return refuse(s, 400, "repeated pseudo-header");
        if (!visible(f->value, f->value_len))
            return refuse(s, 400, "bad pseudo-header value");
        s->ps[i] = f;
        return 0;
    }
    return refuse(s, 400, "unknown pseudo-header");
}

/* Content-Length: one decimal number, no sign, no list, no overflow. */
static int take_length(struct scan *s, const struct bb_h2_field *f, struct bb_http_head *out)
{
    if (++s->nlength > 1)
        return refuse(s, 400, "more than one content-length");
    uint64_t v = 0;
    if (f->value_len == 0 || f->value_len > 19)
        return refuse(s, 400, "bad content-length");
    for (size_t i = 0; i < f->value_len; i++) {
        if (f->value[i] < '0' || f->value[i] > '9')
            return refuse(s, 400, "bad content-length");
        v = v * 10 + (uint64_t)(f->value[i] - '0');
    }
    out->framing = BB_BODY_LENGTH;
    out->content_length = v;
    return 0;
}

static int take_regular(struct scan *s, const struct bb_h2_field *f, struct bb_http_head *out)
{
    s->regular = true;
    if (!good_name(f->name, f->name_len))
        return refuse(s, 400, "bad field name");
    if (!good_value(f->value, f->value_len))
        return refuse(s, 400, "bad field value");
    for (size_t i = 0; i < sizeof(connection_specific) / sizeof(connection_specific[0]); i++)
        if (is(f, connection_specific[i]))
            return refuse(s, 400, "connection-specific field");
    if (is(f, "te") && !same(f->value, f->value_len, "trailers"))
        return refuse(s, 400, "te other than trailers");
    if (is(f, "content-length") && take_length(s, f, out) != 0)
        return 400;
    if (is(f, "host")) {
        if (s->host != SIZE_MAX)
            return refuse(s, 400, "duplicate host");
        s->host = out->n;
    }
    if (out->n == BB_HTTP_MAX_HEADERS)
        return refuse(s, 431, "too many header fields");
    out->h[out->n++] =
        (struct bb_hdr){(const char *)f->name, (const char *)f->value, f->name_len, f->value_len};
    return 0;
}

/* The method, as llhttp numbers it: HTTP's own methods only (not PRI, not
 * RTSP's), matched exactly (methods are case-sensitive), as an HTTP/1.1
 * request line would be parsed. */
static int method_id(const struct bb_h2_field *m)
{
    for (int id = HTTP_DELETE; id < HTTP_PRI; id++) {
        const char *name = llhttp_method_name((llhttp_method_t)id);
        if (m->value_len == strlen(name) && memcmp(m->value, name, m->value_len) == 0)
            return id;
    }
    return -1;
}

/* The pseudo-headers make a request line: all there, a known method, a
 * path that can be a request target. */
static int start_line(struct scan *s, struct bb_http_head *out)
{
    const struct bb_h2_field *m = s->ps[PS_METHOD], *p = s->ps[PS_PATH], *sc = s->ps[PS_SCHEME];
    if (m == NULL)
        return refuse(s, 400, "no :method");
    int id = method_id(m);
    if (id == HTTP_CONNECT)
        return refuse(s, 405, "CONNECT method not allowed");
    if (id < 0)
        return refuse(s, 400, "unknown method");
    if (sc == NULL ||
        (!same(sc->value, sc->value_len, "https") && !same(sc->value, sc->value_len, "http")))
        return refuse(s, 400, "no :scheme, or not http(s)");
    if (p == NULL || p->value_len == 0)
        return refuse(s, 400, "no :path");
    bool star = p->value_len == 1 && p->value[0] == '*';
    if (p->value[0] != '/' && !(star && id == HTTP_OPTIONS))
        return refuse(s, 400, ":path is not an origin-form target");
    out->method = (const char *)m->value;
    out->method_len = m->value_len;
    out->method_id = (uint8_t)id;
    out->target = (const char *)p->value;
    out->target_len = p->value_len;
    return 0;
}

/* Host and :authority name one authority; the head carries it as Host. */
static int authority(struct scan *s, struct bb_http_head *out)
{
    const struct bb_h2_field *a = s->ps[PS_AUTHORITY];
    if (s->host != SIZE_MAX) {
        const struct bb_hdr *h = &out->h[s->host];
        if (a != NULL && a->value_len > 0 &&
            (h->value_len != a->value_len ||
             strncasecmp(h->value, (const char *)a->value, a->value_len) != 0))
            return refuse(s, 400, "host mismatch");
        out->host = h;
        return 0;
    }
    if (a == NULL || a->value_len == 0)
        return refuse(s, 400, "missing host");
    if (out->n == BB_HTTP_MAX_HEADERS)
        return refuse(s, 431, "too many header fields");
    out->h[out->n] = (struct bb_hdr){"host", (const char *)a->value, 4, a->value_len};
    out->host = &out->h[out->n++];
    return 0;
}

int bb_h2_request_head(const struct bb_h2_field *f, size_t n, bool end_stream,
                       struct bb_http_head *out, const char **why)
{
    struct scan s = {.host = SIZE_MAX};
    struct bb_hdr *lines = out->h;
    memset(out, 0, sizeof(*out));
    out->h = lines;
    *why = "internal error";
    if (lines == NULL)
        return 500;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        s.bytes += f[i].name_len + f[i].value_len + 4; /* as "name: value\r\n" */
        if (s.bytes > BB_HTTP_HEAD_MAX)
            rc = refuse(&s, 431, "header fields too large");
        else if (f[i].name_len > 0 && f[i].name[0] == ':')
            rc = take_pseudo(&s, &f[i]);
        else
            rc = take_regular(&s, &f[i], out);
    }
    if (rc == 0)
        rc = start_line(&s, out);
    if (rc == 0)
        rc = authority(&s, out);
    if (rc != 0) {
        *why = s.why;
        return rc;
    }
    out->minor = 1;
    out->keep_alive = true;
    if (out->framing != BB_BODY_LENGTH)
        out->framing = end_stream ? BB_BODY_NONE : BB_BODY_CHUNKED;
    *why = NULL;
    return 0;
}

/* Every Cookie field's value after the first one's, "; " between. */
static int joined_cookie(struct bb_buf *b, const struct bb_http_head *h, size_t first)
{
    int rc = bb_buf_append(b, "cookie: ", 8);
    const char *sep = "";
    for (size_t j = first; j < h->n; j++) {
        if (!bb_hdr_is(&h->h[j], "cookie"))
            continue;
        rc |=
            bb_buf_append(b, sep, strlen(sep)) | bb_buf_append(b, h->h[j].value, h->h[j].value_len);
        sep = "; ";
    }
    return rc | bb_buf_append(b, "\r\n", 2);
}

int bb_h2_write_head(struct bb_buf *b, const struct bb_http_head *h)
{
    int rc = bb_buf_append(b, h->method, h->method_len) | bb_buf_append(b, " ", 1) |
             bb_buf_append(b, h->target, h->target_len) | bb_buf_append(b, " HTTP/1.1\r\n", 11);
    bool cookie = false;
    for (size_t i = 0; i < h->n; i++) {
        const struct bb_hdr *x = &h->h[i];
        if (bb_hdr_is(x, "cookie")) {
            if (!cookie)
                rc |= joined_cookie(b, h, i);
            cookie = true;
            continue;
        }
        rc |= bb_buf_append(b, x->name, x->name_len) | bb_buf_append(b, ": ", 2) |
              bb_buf_append(b, x->value, x->value_len) | bb_buf_append(b, "\r\n", 2);
    }
    if (h->framing == BB_BODY_CHUNKED)
        rc |= bb_buf_append(b, "transfer-encoding: chunked\r\n", 28);
    return rc | bb_buf_append(b, "connection: close\r\n\r\n", 21) ? -1 : 0;
}

bool bb_h2_body_ok(const struct bb_http_head *h, uint64_t seen, bool done)
{
    if (h->framing != BB_BODY_LENGTH)
        return true;
    return seen <= h->content_length && (!done || seen == h->content_length);
}
