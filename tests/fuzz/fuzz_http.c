/*
 * libFuzzer target: HTTP heads and bodies. The first byte picks request or
 * response (and HEAD for responses); the rest is a byte stream: find the
 * head, parse it, then decode the body. Invariants: an accepted head lies
 * inside the input, its header pointers too, and body decoding never
 * delivers more bytes than were fed; an accepted response's HTTP/2 fields
 * start with a three-digit :status and carry lower-case names only, none
 * of them hop-by-hop.
 */
#include "common/hop.h"
#include "gateway/http/h2_head.h"
#include "gateway/http/http_body.h"
#include "gateway/http/http_out.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct count {
    size_t n;
};

static int on_data(void *arg, const char *p, size_t n)
{
    (void)p;
    ((struct count *)arg)->n += n;
    return 0;
}

static void inside(const char *p, size_t n, const char *buf, size_t len)
{
    if (n > 0 && (p < buf || p + n > buf + len))
        __builtin_trap();
}

static void h2_fields_ok(const struct bb_http_head *h, bool bodyless)
{
    static struct bb_h2_field f[BB_HTTP_MAX_HEADERS + 1];
    static char names[BB_HTTP_HEAD_MAX];
    char status[3];
    int n = bb_http_h2_response_fields(h, bodyless, status, f, BB_HTTP_MAX_HEADERS + 1, names,
                                       sizeof(names));
    if (n < 1 || f[0].name_len != 7 || f[0].value_len != 3)
        __builtin_trap(); /* it always fits: no more fields or name bytes than the head had */
    for (int i = 0; i < 3; i++)
        if (status[i] < '0' || status[i] > '9')
            __builtin_trap();
    for (int i = 1; i < n; i++) {
        for (size_t k = 0; k < f[i].name_len; k++)
            if ((f[i].name[k] >= 'A' && f[i].name[k] <= 'Z') || f[i].name[k] == ':')
                __builtin_trap();
        if (bb_is_hop_by_hop((const char *)f[i].name, f[i].name_len))
            __builtin_trap();
    }
}

/* A request head as the HEADERS opening an upstream stream (h2_up.c):
 * four pseudo-headers first, then lower-case names, none hop-by-hop or
 * Host, te only as "trailers"; it always fits. */
static void h2_request_ok(const struct bb_http_head *h)
{
    static struct bb_h2_field f[BB_HTTP_MAX_HEADERS + 4];
    static char names[BB_HTTP_HEAD_MAX];
    int n = bb_http_h2_request_fields(h, f, BB_HTTP_MAX_HEADERS + 4, names, sizeof(names));
    if (h->host == NULL) {
        if (n != -1)
            __builtin_trap();
        return;
    }
    if (n < 4)
        __builtin_trap();
    for (int i = 0; i < 4; i++)
        if (f[i].name[0] != ':')
            __builtin_trap();
    for (int i = 4; i < n; i++) {
        for (size_t k = 0; k < f[i].name_len; k++)
            if ((f[i].name[k] >= 'A' && f[i].name[k] <= 'Z') || f[i].name[k] == ':')
                __builtin_trap();
        bool te = f[i].name_len == 2 && memcmp(f[i].name, "te", 2) == 0;
        if ((te && (f[i].value_len != 8 || memcmp(f[i].value, "trailers", 8) != 0)) ||
            (!te && bb_is_hop_by_hop((const char *)f[i].name, f[i].name_len)) ||
            (f[i].name_len == 4 && memcmp(f[i].name, "host", 4) == 0))
            __builtin_trap();
    }
}

/* Kept trailers are whole lines of allowed fields, each one an HTTP/2
 * field once translated (names in lower case, values without CR or LF). */
static void trailers_ok(const struct bb_buf *t)
{
    static struct bb_h2_field f[BB_HTTP_MAX_HEADERS];
    static char names[BB_HTTP_TRAILERS_MAX];
    if (bb_buf_size(t) == 0)
        return;
    int n = bb_http_h2_trailer_fields(t, f, BB_HTTP_MAX_HEADERS, names, sizeof(names));
    if (n < 0 && bb_buf_size(t) < BB_HTTP_MAX_HEADERS * 4)
        __builtin_trap(); /* few lines: they must all translate */
    for (int i = 0; i < n; i++) {
        if (!bb_http_trailer_allowed((const char *)f[i].name, f[i].name_len) ||
            memchr(f[i].value, '\n', f[i].value_len) || memchr(f[i].value, '\r', f[i].value_len))
            __builtin_trap();
        for (size_t k = 0; k < f[i].name_len; k++)
            if (f[i].name[k] >= 'A' && f[i].name[k] <= 'Z')
                __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0] % 3;
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    ssize_t end = bb_http_head_end(buf, len, BB_HTTP_HEAD_MAX);
    if (end <= 0)
        return 0;
    static llhttp_t p;
    static struct bb_hdr lines[BB_HTTP_MAX_HEADERS];
    static struct bb_http_head h = {.h = lines};
    const char *why;
    int rc = mode == 0 ? bb_http_parse_request(&p, buf, (size_t)end, &h, &why)
                       : bb_http_parse_response(&p, buf, (size_t)end, mode == 2, &h, &why);
    if (rc != 0) {
        if (why == NULL)
            __builtin_trap(); /* a refusal always says why */
        return 0;
    }
    if (h.n > BB_HTTP_MAX_HEADERS || h.head_len != (size_t)end)
        __builtin_trap();
    inside(h.method, h.method_len, buf, (size_t)end);
    inside(h.target, h.target_len, buf, (size_t)end);
    for (size_t i = 0; i < h.n; i++) {
        inside(h.h[i].name, h.h[i].name_len, buf, (size_t)end);
        inside(h.h[i].value, h.h[i].value_len, buf, (size_t)end);
    }
    if (mode != 0)
        h2_fields_ok(&h, mode == 2);
    else
        h2_request_ok(&h);
    struct count c = {0};
    struct bb_http_body b = {0};
    bb_http_body_init(&b, on_data, &c, true);
    bb_http_body_start(&p, &h, &b);
    ssize_t used = bb_http_body_feed(&p, &b, buf + end, len - (size_t)end);
    if (used > (ssize_t)(len - (size_t)end) || c.n > len - (size_t)end)
        __builtin_trap();
    if (used >= 0 && !b.done)
        bb_http_body_eof(&p, &b);
    if (b.done) /* else the body was malformed: its trailers are never written */
        trailers_ok(&b.trailers);
    bb_http_body_release(&b);
    return 0;
}
