/*
 * libFuzzer target: HTTP/2 request heads turned into the HTTP/1.1 pipeline's
 * head (bb_h2_request_head). Input: a flags byte (bit 0: END_STREAM), then
 * fields, each a name length and a value length (one byte each) and the
 * bytes. Invariants: a refusal says why, with 400, 405 or 431; an accepted
 * head has a method, an origin-form (or "*") target and a Host, and the
 * HTTP/1.1 head botbox would write from it reads back, with the same
 * method, target and Host, as exactly one request: a downgrade never
 * smuggles a second one; so does the HTTP/1.1 head a stream's request
 * reads (bb_h2_write_head), with its framing and one Cookie line.
 */
#include "common/buf.h"
#include "gateway/http/h2_head.h"
#include "gateway/http/http_out.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS_MAX 256

static size_t decode(const uint8_t *d, size_t size, struct bb_h2_field *f)
{
    size_t n = 0, o = 1;
    while (n < FIELDS_MAX && o + 2 <= size) {
        size_t nl = d[o], vl = d[o + 1];
        o += 2;
        if (o + nl + vl > size)
            break;
        f[n++] = (struct bb_h2_field){d + o, d + o + nl, nl, vl};
        o += nl + vl;
    }
    return n;
}

static bool same_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
}

/* What botbox writes upstream for h parses back as one request like h. */
static void downgrade_reads_back(const struct bb_http_head *h)
{
    struct bb_target t;
    const char *why;
    if (bb_http_target(h, &t, &why) != 0)
        return; /* refused by the pipeline's own target check */
    char host[BB_HTTP_HEAD_MAX + 1];
    memcpy(host, t.authority, t.authority_len);
    host[t.authority_len] = '\0';
    static struct bb_buf out;
    if (out.cap == 0)
        bb_buf_init(&out, 4 * BB_HTTP_HEAD_MAX);
    bb_buf_reset(&out);
    struct bb_inject inj = {0};
    size_t ninj;
    if (bb_http_write_request(&out, h, &t, host, &inj, false, &ninj) != 0)
        return; /* too large for the buffer */
    const char *buf = bb_buf_head(&out);
    size_t len = bb_buf_size(&out);
    if (bb_http_head_end(buf, len, 4 * BB_HTTP_HEAD_MAX) != (ssize_t)len)
        __builtin_trap(); /* not exactly one head */
    static llhttp_t p;
    static struct bb_hdr lines[BB_HTTP_MAX_HEADERS + 8];
    struct bb_http_head back = {.h = lines};
    if (bb_http_parse_request(&p, buf, len, &back, &why) != 0) {
        if (len <= BB_HTTP_HEAD_MAX && h->n + 2 <= BB_HTTP_MAX_HEADERS)
            __builtin_trap(); /* within the limits, it must parse */
        return;
    }
    if (!same_bytes(back.method, back.method_len, h->method, h->method_len) ||
        !same_bytes(back.target, back.target_len, t.path, t.path_len) || back.host == NULL ||
        !same_bytes(back.host->value, back.host->value_len, t.authority, t.authority_len))
        __builtin_trap();
}

/* What the stream's request reads (bb_h2_write_head) is one request like
 * h, with its framing, at most one Cookie line, and no keep-alive. */
static void stream_head_reads_back(const struct bb_http_head *h)
{
    static struct bb_buf out;
    if (out.cap == 0)
        bb_buf_init(&out, 4 * BB_HTTP_HEAD_MAX);
    bb_buf_reset(&out);
    if (bb_h2_write_head(&out, h) != 0)
        return;
    const char *buf = bb_buf_head(&out), *why;
    size_t len = bb_buf_size(&out);
    if (bb_http_head_end(buf, len, 4 * BB_HTTP_HEAD_MAX) != (ssize_t)len)
        __builtin_trap();
    static llhttp_t p;
    static struct bb_hdr lines[BB_HTTP_MAX_HEADERS + 8];
    struct bb_http_head back = {.h = lines};
    if (bb_http_parse_request(&p, buf, len, &back, &why) != 0) {
        if (len <= BB_HTTP_HEAD_MAX && h->n + 2 <= BB_HTTP_MAX_HEADERS)
            __builtin_trap();
        return;
    }
    size_t cookies;
    bb_http_find(&back, "cookie", &cookies);
    if (!same_bytes(back.method, back.method_len, h->method, h->method_len) ||
        !same_bytes(back.target, back.target_len, h->target, h->target_len) || back.host == NULL ||
        !same_bytes(back.host->value, back.host->value_len, h->host->value, h->host->value_len) ||
        (back.framing == BB_BODY_CHUNKED) != (h->framing == BB_BODY_CHUNKED) || back.keep_alive ||
        cookies > 1)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static struct bb_h2_field f[FIELDS_MAX];
    size_t n = decode(data, size, f);
    static struct bb_hdr lines[BB_HTTP_MAX_HEADERS];
    struct bb_http_head h = {.h = lines};
    const char *why;
    int rc = bb_h2_request_head(f, n, data[0] & 1, &h, &why);
    if (rc != 0) {
        if (why == NULL || (rc != 400 && rc != 405 && rc != 431))
            __builtin_trap();
        return 0;
    }
    if (h.method_len == 0 || h.target_len == 0 || h.host == NULL || h.n > BB_HTTP_MAX_HEADERS ||
        (h.target[0] != '/' && h.target[0] != '*'))
        __builtin_trap();
    downgrade_reads_back(&h);
    stream_head_reads_back(&h);
    return 0;
}
