/*
 * HTTP/2 request heads (gateway/http/h2_head.c): the ordinary requests
 * become the head the HTTP/1.1 pipeline judges (method, target, Host,
 * framing), and every shape RFC 9113 §8 calls malformed, the ones that
 * would smuggle through a downgrade to HTTP/1.1 first, is refused with
 * its status. One row per case.
 */
#include "tests/unit/testutil.h"

#include "common/buf.h"
#include "gateway/http/h2_head.h"

#include <string.h>

#define F(n, v)                                                                                    \
    {                                                                                              \
        (const uint8_t *)(n), (const uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1                   \
    }
#define REQ(m, p) F(":method", m), F(":scheme", "https"), F(":authority", "api.test"), F(":path", p)
#define MAXF      8

static const struct {
    const char *what;
    struct bb_h2_field f[MAXF];
    bool end_stream;
    int status; /* 0: accepted */
} cases[] = {
    /* ordinary requests */
    {"GET, END_STREAM on HEADERS", {REQ("GET", "/v1/x"), F("accept", "*/*")}, true, 0},
    {"POST with content-length", {REQ("POST", "/up"), F("content-length", "5")}, false, 0},
    {"POST without content-length (DATA until END_STREAM)", {REQ("POST", "/up")}, false, 0},
    {"gRPC: te trailers, content-type",
     {REQ("POST", "/pkg.Svc/Call"), F("te", "trailers"), F("content-type", "application/grpc")},
     false,
     0},
    {"Host instead of :authority",
     {F(":method", "GET"), F(":scheme", "https"), F(":path", "/"), F("host", "api.test")},
     true,
     0},
    {"Host equal to :authority (any case)", {REQ("GET", "/"), F("host", "API.test")}, true, 0},
    {"OPTIONS *",
     {F(":method", "OPTIONS"), F(":scheme", "https"), F(":authority", "a"), F(":path", "*")},
     true,
     0},
    {"a value with inner spaces and obs-text", {REQ("GET", "/"), F("x-a", "a b\xc3\xa9")}, true, 0},
    {"an empty value", {REQ("GET", "/"), F("x-empty", "")}, true, 0},
    /* smuggling through a downgrade */
    {"CR LF in a value", {REQ("GET", "/"), F("x-a", "1\r\nx-b: 2")}, true, 400},
    {"LF in a value", {REQ("GET", "/"), F("x-a", "1\nGET /admin HTTP/1.1")}, true, 400},
    {"NUL in a value", {REQ("GET", "/"), F("x-a", "a\0b")}, true, 400},
    {"CR in a name", {REQ("GET", "/"), F("x-a\r", "1")}, true, 400},
    {"a colon in a name", {REQ("GET", "/"), F("x-a:b", "1")}, true, 400},
    {"an empty name", {REQ("GET", "/"), F("", "1")}, true, 400},
    {"upper case in a name", {REQ("GET", "/"), F("X-Up", "1")}, true, 400},
    {"a value with a leading space", {REQ("GET", "/"), F("x-a", " 1")}, true, 400},
    {"a value with a trailing tab", {REQ("GET", "/"), F("x-a", "1\t")}, true, 400},
    {"transfer-encoding", {REQ("POST", "/"), F("transfer-encoding", "chunked")}, false, 400},
    {"connection", {REQ("GET", "/"), F("connection", "close")}, true, 400},
    {"keep-alive", {REQ("GET", "/"), F("keep-alive", "5")}, true, 400},
    {"proxy-connection", {REQ("GET", "/"), F("proxy-connection", "x")}, true, 400},
    {"upgrade", {REQ("GET", "/"), F("upgrade", "websocket")}, true, 400},
    {"te other than trailers", {REQ("GET", "/"), F("te", "gzip")}, true, 400},
    {"two content-length, equal",
     {REQ("POST", "/"), F("content-length", "1"), F("content-length", "1")},
     false,
     400},
    {"content-length with a sign", {REQ("POST", "/"), F("content-length", "+1")}, false, 400},
    {"content-length list", {REQ("POST", "/"), F("content-length", "1, 1")}, false, 400},
    {"content-length too long",
     {REQ("POST", "/"), F("content-length", "99999999999999999999")},
     false,
     400},
    /* pseudo-headers */
    {"a pseudo-header after a regular field",
     {F(":method", "GET"), F("accept", "x"), F(":scheme", "https"), F(":authority", "a"),
      F(":path", "/")},
     true,
     400},
    {"an unknown pseudo-header", {REQ("GET", "/"), F(":status", "200")}, true, 400},
    {"a repeated :path", {REQ("GET", "/"), F(":path", "/b")}, true, 400},
    {"no :method", {F(":scheme", "https"), F(":authority", "a"), F(":path", "/")}, true, 400},
    {"no :scheme", {F(":method", "GET"), F(":authority", "a"), F(":path", "/")}, true, 400},
    {"a :scheme that is not http(s)",
     {F(":method", "GET"), F(":scheme", "ftp"), F(":authority", "a"), F(":path", "/")},
     true,
     400},
    {"no :path", {F(":method", "GET"), F(":scheme", "https"), F(":authority", "a")}, true, 400},
    {":path not starting with /", {REQ("GET", "api.test/x")}, true, 400},
    {":path absolute-form", {REQ("GET", "http://evil.test/")}, true, 400},
    {":path with a space (a second request line)", {REQ("GET", "/a HTTP/1.1")}, true, 400},
    {":path with bytes past ASCII",
     {REQ("GET", "/pkg.\xad\x89"
                 "Call")},
     true,
     400},
    {":authority with a space",
     {F(":method", "GET"), F(":scheme", "https"), F(":authority", "api.test evil.test"),
      F(":path", "/")},
     true,
     400},
    {"* for a method other than OPTIONS", {REQ("GET", "*")}, true, 400},
    {"no :authority and no Host",
     {F(":method", "GET"), F(":scheme", "https"), F(":path", "/")},
     true,
     400},
    {":authority and Host that disagree", {REQ("GET", "/"), F("host", "evil.test")}, true, 400},
    {"two Host fields", {REQ("GET", "/"), F("host", "api.test"), F("host", "api.test")}, true, 400},
    {"an unknown method", {REQ("BREW", "/")}, true, 400},
    {"a lower-case method", {REQ("get", "/")}, true, 400},
    {"CONNECT", {F(":method", "CONNECT"), F(":authority", "api.test:443")}, true, 405},
    {"extended CONNECT (:protocol)",
     {REQ("CONNECT", "/chat"), F(":protocol", "websocket")},
     true,
     405},
};

static size_t count(const struct bb_h2_field *f)
{
    size_t n = 0;
    while (n < MAXF && f[n].name != NULL)
        n++;
    return n;
}

static void test_cases(void **state)
{
    (void)state;
    struct bb_hdr lines[BB_HTTP_MAX_HEADERS];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct bb_http_head h = {.h = lines};
        const char *why = NULL;
        int rc = bb_h2_request_head(cases[i].f, count(cases[i].f), cases[i].end_stream, &h, &why);
        if (rc != cases[i].status)
            fprintf(stderr, "case '%s': %d (%s), want %d\n", cases[i].what, rc, why ? why : "",
                    cases[i].status);
        assert_int_equal(rc, cases[i].status);
        if (rc != 0)
            assert_non_null(why);
        else
            assert_non_null(h.host);
    }
}

static void test_head_as_http1_sees_it(void **state)
{
    (void)state;
    struct bb_hdr lines[BB_HTTP_MAX_HEADERS];
    struct bb_http_head h = {.h = lines};
    const char *why;
    const struct bb_h2_field get[] = {REQ("GET", "/v1/x?q=1"), F("accept", "*/*")};
    assert_int_equal(bb_h2_request_head(get, 5, true, &h, &why), 0);
    assert_int_equal(h.method_id, HTTP_GET);
    assert_int_equal(h.target_len, 9);
    assert_memory_equal(h.target, "/v1/x?q=1", 9);
    assert_int_equal(h.minor, 1);
    assert_true(h.keep_alive);
    assert_int_equal(h.framing, BB_BODY_NONE);
    /* the regular fields, then Host from :authority */
    assert_int_equal(h.n, 2);
    assert_true(bb_hdr_is(&h.h[0], "accept"));
    assert_ptr_equal(h.host, &h.h[1]);
    assert_true(bb_hdr_is(h.host, "host"));
    assert_memory_equal(h.host->value, "api.test", 8);
    /* a body of unknown length goes up chunked; a known one by its length */
    const struct bb_h2_field post[] = {REQ("POST", "/")};
    assert_int_equal(bb_h2_request_head(post, 4, false, &h, &why), 0);
    assert_int_equal(h.framing, BB_BODY_CHUNKED);
    const struct bb_h2_field sized[] = {REQ("POST", "/"), F("content-length", "12")};
    assert_int_equal(bb_h2_request_head(sized, 5, false, &h, &why), 0);
    assert_int_equal(h.framing, BB_BODY_LENGTH);
    assert_int_equal(h.content_length, 12);
    /* the DATA must match it */
    assert_true(bb_h2_body_ok(&h, 5, false));
    assert_true(bb_h2_body_ok(&h, 12, true));
    assert_false(bb_h2_body_ok(&h, 13, false)); /* more than it said */
    assert_false(bb_h2_body_ok(&h, 11, true));  /* less, and over */
}

/* What a stream's request reads: one request line, Cookie fields joined,
 * chunked framing said when no length is known, one request only. */
static void test_written_head(void **state)
{
    (void)state;
    struct bb_hdr lines[BB_HTTP_MAX_HEADERS];
    struct bb_http_head h = {.h = lines};
    const char *why;
    const struct bb_h2_field post[] = {REQ("POST", "/v1/x?q=1"), F("cookie", "a=1"),
                                       F("accept", "*/*"), F("cookie", "b=2")};
    assert_int_equal(bb_h2_request_head(post, 7, false, &h, &why), 0);
    struct bb_buf b;
    bb_buf_init(&b, 4096);
    assert_int_equal(bb_h2_write_head(&b, &h), 0);
    bb_buf_append(&b, "", 1);
    assert_string_equal(bb_buf_head(&b), "POST /v1/x?q=1 HTTP/1.1\r\n"
                                         "cookie: a=1; b=2\r\n"
                                         "accept: */*\r\n"
                                         "host: api.test\r\n"
                                         "transfer-encoding: chunked\r\n"
                                         "connection: close\r\n\r\n");
    const struct bb_h2_field get[] = {REQ("GET", "/"), F("content-length", "0")};
    assert_int_equal(bb_h2_request_head(get, 5, true, &h, &why), 0);
    bb_buf_reset(&b);
    assert_int_equal(bb_h2_write_head(&b, &h), 0);
    bb_buf_append(&b, "", 1);
    assert_string_equal(bb_buf_head(&b), "GET / HTTP/1.1\r\ncontent-length: 0\r\nhost: api.test\r\n"
                                         "connection: close\r\n\r\n");
    bb_buf_free(&b);
    char small[16];
    bb_buf_wrap(&b, small, sizeof(small));
    assert_int_equal(bb_h2_write_head(&b, &h), -1); /* full: said so */
}

/* The limits of an HTTP/1.1 head: 100 fields, 64 KiB. */
static void test_limits(void **state)
{
    (void)state;
    static struct bb_h2_field f[4 + BB_HTTP_MAX_HEADERS + 1];
    static char big[BB_HTTP_HEAD_MAX];
    struct bb_hdr lines[BB_HTTP_MAX_HEADERS];
    const struct bb_h2_field req[] = {REQ("GET", "/")};
    memcpy(f, req, sizeof(req));
    for (size_t i = 0; i < BB_HTTP_MAX_HEADERS + 1; i++)
        f[4 + i] = (struct bb_h2_field)F("x-a", "1");
    struct bb_http_head h = {.h = lines};
    const char *why;
    assert_int_equal(bb_h2_request_head(f, 4 + BB_HTTP_MAX_HEADERS - 1, true, &h, &why), 0);
    assert_int_equal(bb_h2_request_head(f, 4 + BB_HTTP_MAX_HEADERS + 1, true, &h, &why), 431);
    memset(big, 'a', sizeof(big));
    f[4] = (struct bb_h2_field){(const uint8_t *)"x-big", (const uint8_t *)big, 5, sizeof(big)};
    assert_int_equal(bb_h2_request_head(f, 5, true, &h, &why), 431);
    h.h = NULL;
    assert_int_equal(bb_h2_request_head(f, 4, true, &h, &why), 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_head_as_http1_sees_it),
        cmocka_unit_test(test_written_head),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
