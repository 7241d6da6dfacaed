/*
 * libFuzzer target: HTTP heads and bodies. The first byte picks request or
 * response (and HEAD for responses); the rest is a byte stream: find the
 * head, parse it, then decode the body. Invariants: an accepted head lies
 * inside the input, its header pointers too, and body decoding never
 * delivers more bytes than were fed.
 */
#include "gateway/http/http_body.h"

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
    struct count c = {0};
    struct bb_http_body b = {.on_data = on_data, .arg = &c};
    bb_http_body_start(&p, &h, &b);
    ssize_t used = bb_http_body_feed(&p, &b, buf + end, len - (size_t)end);
    if (used > (ssize_t)(len - (size_t)end) || c.n > len - (size_t)end)
        __builtin_trap();
    if (used >= 0 && !b.done)
        bb_http_body_eof(&p, &b);
    return 0;
}
