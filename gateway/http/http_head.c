/*
 * HTTP head parsing (see http_head.h). Two layers:
 *  - check_lines(): our own scan of the raw head, line by line, for what
 *    llhttp accepts even in strict mode (obs-fold, doubled spaces, bad
 *    versions, empty names, control bytes) and for the header count;
 *  - llhttp, fed exactly the head bytes, for the grammar and the framing
 *    rules (CL with TE, two CLs, bad chunk syntax...). Its callbacks record
 *    pointers into the caller's buffer.
 * Then the semantic checks that need the whole head (Host, Transfer-Encoding).
 */
#include "gateway/http/http_head.h"

#include "common/chars.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* ---- finding the end ---- */

/*
 * Line by line, with memchr doing the byte scans: a head arrives whole in
 * one read as a rule, and this runs on every request and every answer
 * (byte by byte cost a twelfth of a keep-alive request's user-space
 * instructions: docs/benchmarks.md). Refuses, as soon as they are seen, a
 * NUL, a LF without its CR (a client that ends lines with LF alone gets
 * its 400 at once instead of waiting for an end it never sends) and a CR
 * without its LF.
 */
ssize_t bb_http_head_end(const char *buf, size_t len, size_t limit)
{
    size_t n = len < limit ? len : limit; /* the bytes the head may span */
    size_t pos = 0;
    while (pos < n) {
        const char *lf = memchr(buf + pos, '\n', n - pos);
        size_t end = lf != NULL ? (size_t)(lf - buf) : n; /* this line's LF, or what we have */
        size_t plain = end - pos;                         /* bytes where a CR is bare */
        if (lf != NULL) {
            if (end == 0 || buf[end - 1] != '\r')
                return -1; /* bare LF */
            plain--;
        } else if (buf[n - 1] == '\r') {
            if (n < len && buf[n] != '\n')
                return -1; /* bare CR, the line's last byte we look at */
            plain--;       /* else its LF may still come */
        }
        if (memchr(buf + pos, '\0', end - pos) != NULL || memchr(buf + pos, '\r', plain) != NULL)
            return -1;
        if (lf != NULL && end >= 3 && buf[end - 2] == '\n' && buf[end - 3] == '\r')
            return (ssize_t)(end + 1); /* end < n <= limit */
        pos = end + 1;
    }
    return len >= limit ? -2 : 0;
}

/* ---- raw line checks ---- */

static const char *check_request_line(const char *l, size_t n)
{
    size_t i = 0;
    while (i < n && l[i] >= 'A' && l[i] <= 'Z')
        i++;
    if (i == 0 || i >= n || l[i] != ' ')
        return "malformed request line";
    size_t t = ++i;
    while (i < n && (unsigned char)l[i] > 0x20 && (unsigned char)l[i] < 0x7f)
        i++;
    if (i == t || i >= n || l[i] != ' ')
        return "malformed request line";
    i++;
    if (n - i != 8 || memcmp(l + i, "HTTP/1.", 7) != 0 || (l[i + 7] != '0' && l[i + 7] != '1'))
        return "unsupported HTTP version";
    return NULL;
}

static const char *check_status_line(const char *l, size_t n)
{
    if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') || l[8] != ' ')
        return "malformed status line";
    for (size_t i = 9; i < 12; i++)
        if (l[i] < '0' || l[i] > '9')
            return "malformed status line";
    if (n > 12 && l[12] != ' ')
        return "malformed status line";
    for (size_t i = 13; i < n; i++)
        if (!bb_is_value_char((unsigned char)l[i]))
            return "malformed status line";
    return NULL;
}

static const char *check_header_line(const char *l, size_t n)
{
    if (n > 0 && (l[0] == ' ' || l[0] == '\t'))
        return "obs-fold (folded header line)";
    size_t i = 0;
    while (i < n && bb_is_tchar((unsigned char)l[i]))
        i++;
    if (i == 0)
        return "empty or invalid header name";
    if (i >= n || l[i] != ':')
        return "invalid character in header name";
    for (i++; i < n; i++)
        if (!bb_is_value_char((unsigned char)l[i]))
            return "invalid character in header value";
    return NULL;
}

/* Walks the lines of a complete head. Returns 0, 400 or 431. */
static int check_lines(const char *buf, size_t len, bool request, const char **why)
{
    size_t pos = 0, lines = 0;
    while (pos < len) {
        const char *eol = memchr(buf + pos, '\r', len - pos);
        if (eol == NULL || eol + 1 >= buf + len || eol[1] != '\n') {
            *why = "unterminated line";
            return 400;
        }
        size_t n = (size_t)(eol - (buf + pos));
        const char *line = buf + pos;
        pos += n + 2;
        if (n == 0)
            break; /* the empty line that ends the head */
        if (lines == 0)
            *why = request ? check_request_line(line, n) : check_status_line(line, n);
        else if (lines > BB_HTTP_MAX_HEADERS) {
            *why = "more than 100 header lines";
            return 431;
        } else
            *why = check_header_line(line, n);
        if (*why != NULL)
            return 400;
        lines++;
    }
    return 0;
}

/* ---- llhttp callbacks ---- */

/* Parse state kept next to the head while llhttp runs (parser->data). */
struct state {
    struct bb_http_head *head;
    bool in_value;
    bool head_request;
};

static struct state *st(llhttp_t *p)
{
    return p->data;
}

static int on_method(llhttp_t *p, const char *at, size_t n)
{
    struct bb_http_head *h = st(p)->head;
    if (h->method == NULL)
        h->method = at;
    h->method_len += n;
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
    struct bb_http_head *h = st(p)->head;
    if (h->target == NULL)
        h->target = at;
    h->target_len += n;
    return 0;
}

static int on_status(llhttp_t *p, const char *at, size_t n)
{
    struct bb_http_head *h = st(p)->head;
    if (h->reason == NULL)
        h->reason = at;
    h->reason_len += n;
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
    struct state *s = st(p);
    struct bb_http_head *h = s->head;
    if (s->in_value || h->n == 0 || h->h[h->n - 1].name == NULL) {
        if (h->n == BB_HTTP_MAX_HEADERS)
            return HPE_USER; /* check_lines refuses this first; belt and braces */
        h->h[h->n++] = (struct bb_hdr){.name = at};
        s->in_value = false;
    }
    h->h[h->n - 1].name_len += n;
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
    struct state *s = st(p);
    struct bb_hdr *hd = &s->head->h[s->head->n - 1];
    if (hd->value == NULL)
        hd->value = at;
    hd->value_len += n;
    s->in_value = true;
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    /* A response to HEAD has no body whatever its headers say. */
    return st(p)->head_request ? 1 : 0;
}

static int on_message_complete(llhttp_t *p)
{
    (void)p;
    return HPE_PAUSED; /* never run into a pipelined next message */
}

/* Read-only and complete at compile time: workers that parse their first
 * head at the same moment share it without a race (a table filled on first
 * use was zeroed by one while another read it). */
static const llhttp_settings_t settings = {
    .on_method = on_method,
    .on_url = on_url,
    .on_status = on_status,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_message_complete = on_message_complete,
};

const llhttp_settings_t *bb_http_head_settings(void)
{
    return &settings;
}

/* ---- helpers ---- */

const struct bb_hdr *bb_http_find(const struct bb_http_head *h, const char *name, size_t *count)
{
    const struct bb_hdr *first = NULL;
    size_t c = 0, len = strlen(name);
    for (size_t i = 0; i < h->n; i++)
        if (bb_hdr_is_n(&h->h[i], name, len)) {
            if (first == NULL)
                first = &h->h[i];
            c++;
        }
    if (count != NULL)
        *count = c;
    return first;
}

bool bb_http_has_token(const char *v, size_t len, const char *token)
{
    size_t tl = strlen(token), i = 0;
    while (i < len) {
        while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < len && v[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e - s == tl && strncasecmp(v + s, token, tl) == 0)
            return true;
    }
    return false;
}

static void trim_values(struct bb_http_head *h)
{
    for (size_t i = 0; i < h->n; i++) {
        struct bb_hdr *x = &h->h[i];
        if (x->value == NULL)
            x->value = x->name + x->name_len; /* empty value */
        while (x->value_len > 0 &&
               (x->value[x->value_len - 1] == ' ' || x->value[x->value_len - 1] == '\t'))
            x->value_len--;
    }
}

/* Transfer-Encoding: exactly one header saying exactly "chunked", and never
 * on HTTP/1.0: anything else is how request smuggling starts. */
static const char *check_te(const struct bb_http_head *h)
{
    size_t count;
    const struct bb_hdr *te = bb_http_find(h, "transfer-encoding", &count);
    if (te == NULL)
        return NULL;
    if (h->minor == 0)
        return "Transfer-Encoding on HTTP/1.0";
    if (count > 1 || te->value_len != 7 || strncasecmp(te->value, "chunked", 7) != 0)
        return "Transfer-Encoding other than chunked";
    return NULL;
}

static int run(llhttp_t *p, struct state *s, const char *buf, size_t len, const char **why)
{
    p->data = s;
    llhttp_errno_t err = llhttp_execute(p, buf, len);
    if (err != HPE_OK && err != HPE_PAUSED && err != HPE_PAUSED_UPGRADE) {
        *why = "malformed HTTP message";
        return 400;
    }
    struct bb_http_head *h = s->head;
    h->minor = llhttp_get_http_minor(p);
    h->head_len = len;
    h->keep_alive = llhttp_should_keep_alive(p);
    h->upgrade = llhttp_get_upgrade(p);
    trim_values(h);
    if ((*why = check_te(h)) != NULL)
        return 400;
    if (bb_http_find(h, "transfer-encoding", NULL) != NULL) {
        h->framing = BB_BODY_CHUNKED;
    } else if (bb_http_find(h, "content-length", NULL) != NULL) {
        h->framing = BB_BODY_LENGTH;
        h->content_length = p->content_length;
    }
    return 0;
}

void bb_http_head_clear(struct bb_http_head *h)
{
    memset(h, 0, offsetof(struct bb_http_head, h));
    memset(&h->n, 0, sizeof(*h) - offsetof(struct bb_http_head, n));
}

/* Where the header lines would go: the caller's (see struct bb_http_head). */
static int no_lines(const struct bb_http_head *out, const char **why)
{
    *why = out->h == NULL ? "no memory for the header lines" : NULL;
    return *why != NULL ? 500 : 0;
}

int bb_http_parse_request(llhttp_t *p, const char *buf, size_t len, struct bb_http_head *out,
                          const char **why)
{
    bb_http_head_clear(out);
    int rc = no_lines(out, why);
    if (rc == 0)
        rc = check_lines(buf, len, true, why);
    if (rc != 0)
        return rc;
    struct state s = {.head = out};
    llhttp_init(p, HTTP_REQUEST, bb_http_head_settings());
    if ((rc = run(p, &s, buf, len, why)) != 0)
        return rc;
    out->method_id = llhttp_get_method(p);
    size_t hosts;
    out->host = bb_http_find(out, "host", &hosts);
    if (hosts > 1) {
        *why = "more than one Host header";
        return 400;
    }
    p->data = NULL; /* the caller installs its own before the body */
    return 0;
}

int bb_http_parse_response(llhttp_t *p, const char *buf, size_t len, bool head_request,
                           struct bb_http_head *out, const char **why)
{
    bb_http_head_clear(out);
    int rc = no_lines(out, why);
    if (rc == 0)
        rc = check_lines(buf, len, false, why);
    if (rc != 0)
        return rc;
    struct state s = {.head = out, .head_request = head_request};
    llhttp_init(p, HTTP_RESPONSE, bb_http_head_settings());
    if ((rc = run(p, &s, buf, len, why)) != 0)
        return rc;
    out->status = llhttp_get_status_code(p);
    bool bodyless =
        head_request || out->status / 100 == 1 || out->status == 204 || out->status == 304;
    if (bodyless)
        out->framing = BB_BODY_NONE;
    else if (out->framing == BB_BODY_NONE)
        out->framing = BB_BODY_EOF; /* neither length nor chunked: until close */
    p->data = NULL;
    return 0;
}
