/*
 * Request and response heads: what is accepted and how it is read, and
 * every ambiguous or malformed shape of docs/reference.md §4 refused with its
 * status.
 */
#include "tests/unit/testutil.h"

#include "gateway/http/http_head.h"

static llhttp_t parser;
static struct bb_hdr lines[BB_HTTP_MAX_HEADERS];
static struct bb_http_head head = {.h = lines};

/* Finds the head end, then parses: returns the status (0 = accepted). */
static int req(const char *text)
{
    size_t len = strlen(text);
    ssize_t end = bb_http_head_end(text, len, BB_HTTP_HEAD_MAX);
    if (end == -2)
        return 431;
    if (end <= 0)
        return 400;
    const char *why;
    int rc = bb_http_parse_request(&parser, text, (size_t)end, &head, &why);
    if (rc != 0 && getenv("VERBOSE"))
        fprintf(stderr, "refused (%d): %s\n", rc, why);
    return rc;
}

static void test_simple_get(void **state)
{
    (void)state;
    assert_int_equal(req("GET /v1/models?x=1 HTTP/1.1\r\nHost: api.test\r\nAccept: */*  \r\n\r\n"),
                     0);
    assert_int_equal(head.method_len, 3);
    assert_memory_equal(head.method, "GET", 3);
    assert_int_equal(head.target_len, 14);
    assert_memory_equal(head.target, "/v1/models?x=1", 14);
    assert_int_equal(head.minor, 1);
    assert_int_equal(head.n, 2);
    assert_non_null(head.host);
    assert_int_equal(head.host->value_len, 8);
    assert_memory_equal(head.host->value, "api.test", 8);
    assert_int_equal(head.h[1].value_len, 3); /* trailing spaces trimmed */
    assert_int_equal(head.framing, BB_BODY_NONE);
    assert_true(head.keep_alive);
    assert_int_equal(head.method_id, HTTP_GET);
}

/* A head parsed into a struct that held a longer one (a connection's next
 * request) shows nothing of the first: bb_http_head_clear leaves the old
 * header entries in place, so only n may say what is there. */
static void test_reused_struct(void **state)
{
    (void)state;
    assert_int_equal(req("POST /a HTTP/1.1\r\nHost: one\r\nContent-Length: 5\r\n"
                         "Connection: close\r\nX-Extra: 1\r\n\r\n"),
                     0);
    assert_int_equal(head.n, 4);
    assert_false(head.keep_alive);
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: two\r\n\r\n"), 0);
    assert_int_equal(head.n, 1);
    assert_int_equal(head.framing, BB_BODY_NONE);
    assert_int_equal(head.content_length, 0);
    assert_true(head.keep_alive);
    assert_null(bb_http_find(&head, "content-length", NULL));
    assert_null(bb_http_find(&head, "x-extra", NULL));
    assert_memory_equal(head.host->value, "two", 3);
    bb_http_head_clear(&head);
    assert_int_equal(head.n, 0);
    assert_null(head.host);
    assert_null(head.method);
    assert_ptr_equal(head.h, lines); /* the lines' memory stays attached */
}

/* The header lines live in the caller's memory: a head without any is
 * refused before a byte is parsed, for requests and responses alike. */
static void test_no_lines(void **state)
{
    (void)state;
    struct bb_http_head bare = {0};
    const char *why = NULL, *text = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_int_equal(bb_http_parse_request(&parser, text, strlen(text), &bare, &why), 500);
    assert_string_equal(why, "no memory for the header lines");
    assert_int_equal(bare.n, 0);
    text = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    why = NULL;
    assert_int_equal(bb_http_parse_response(&parser, text, strlen(text), false, &bare, &why), 500);
    assert_non_null(why);
    assert_int_equal(bare.n, 0);
}

static void test_bodies(void **state)
{
    (void)state;
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n"), 0);
    assert_int_equal(head.framing, BB_BODY_LENGTH);
    assert_int_equal(head.content_length, 42);
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
    assert_int_equal(head.framing, BB_BODY_CHUNKED);
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"), 0);
}

static void test_keep_alive_and_upgrade(void **state)
{
    (void)state;
    assert_int_equal(req("GET / HTTP/1.0\r\nHost: a\r\n\r\n"), 0);
    assert_false(head.keep_alive);
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"), 0);
    assert_false(head.keep_alive);
    assert_int_equal(req("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
                         "Upgrade: websocket\r\n\r\n"),
                     0);
    assert_true(head.upgrade);
}

static void test_absolute_form_and_connect_parse(void **state)
{
    (void)state;
    assert_int_equal(req("GET http://api.test/x HTTP/1.1\r\nHost: api.test\r\n\r\n"), 0);
    assert_memory_equal(head.target, "http://api.test/x", 17);
    /* CONNECT parses; the proxy answers it with 405. */
    assert_int_equal(req("CONNECT api.test:443 HTTP/1.1\r\nHost: api.test:443\r\n\r\n"), 0);
    assert_int_equal(head.method_id, HTTP_CONNECT);
    assert_int_equal(req("GET / HTTP/1.1\r\n\r\n"), 0); /* no Host: the pipeline says 400 */
    assert_null(head.host);
}

static void test_smuggling_shapes_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        /* CL + TE, either order */
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
        /* two Content-Length, even equal, or a list */
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        /* TE other than chunked, twice, obfuscated, or on HTTP/1.0 */
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
        "chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n",
        "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
        /* obs-fold */
        "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  continued\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\tcontinued\r\n\r\n",
        /* bare CR / LF, NUL */
        "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\rX\r\n\r\n",
        "GET / HTTP/1.1\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\n\r\n",
        /* start line shapes */
        "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
        "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
        "GET / HTTP/0.9\r\nHost: a\r\n\r\n",
        "GET /\r\nHost: a\r\n\r\n",
        "get / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
        "FOO / HTTP/1.1\r\nHost: a\r\n\r\n",
        /* header names */
        "GET / HTTP/1.1\r\n: empty\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHo st: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-\x80: 1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-A: \x01\r\n\r\n",
        /* Host twice */
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = req(bad[i]);
        if (rc != 400)
            fprintf(stderr, "case %zu: got %d for: %s\n", i, rc, bad[i]);
        assert_int_equal(rc, 400);
    }
    static const char nul[] = "GET / HTTP/1.1\r\nHost: a\0\r\n\r\n";
    assert_int_equal(bb_http_head_end(nul, sizeof(nul) - 1, BB_HTTP_HEAD_MAX), -1);
}

static void test_limits(void **state)
{
    (void)state;
    static char big[BB_HTTP_HEAD_MAX + 64];
    size_t n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");
    memset(big + n, 'a', BB_HTTP_HEAD_MAX);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(bb_http_head_end(big, strlen(big), BB_HTTP_HEAD_MAX), -2);
    assert_int_equal(req(big), 431);
    /* 100 headers ok, 101 refused with 431. */
    char *many = malloc(8192);
    for (int count = 100; count <= 101; count++) {
        n = (size_t)snprintf(many, 8192, "GET / HTTP/1.1\r\nHost: a\r\n");
        for (int i = 1; i < count; i++)
            n += (size_t)snprintf(many + n, 8192 - n, "X-%d: v\r\n", i);
        snprintf(many + n, 8192 - n, "\r\n");
        assert_int_equal(req(many), count == 100 ? 0 : 431);
    }
    free(many);
    assert_int_equal(bb_http_head_end("GET / HTTP/1.1\r\nHost: a\r\n", 25, 1000), 0); /* partial */
}

static int resp(const char *text, bool head_req)
{
    size_t len = strlen(text);
    ssize_t end = bb_http_head_end(text, len, BB_HTTP_HEAD_MAX);
    if (end <= 0)
        return -1;
    const char *why;
    return bb_http_parse_response(&parser, text, (size_t)end, head_req, &head, &why);
}

static void test_responses(void **state)
{
    (void)state;
    assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", false), 0);
    assert_int_equal(head.status, 200);
    assert_int_equal(head.framing, BB_BODY_LENGTH);
    assert_int_equal(head.content_length, 3);
    assert_int_equal(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false), 0);
    assert_int_equal(head.framing, BB_BODY_CHUNKED);
    assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n", false), 0);
    assert_int_equal(head.framing, BB_BODY_EOF);
    assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", true), 0);
    assert_int_equal(head.framing, BB_BODY_NONE); /* answer to HEAD */
    assert_int_equal(resp("HTTP/1.1 204 No Content\r\n\r\n", false), 0);
    assert_int_equal(head.framing, BB_BODY_NONE);
    assert_int_equal(resp("HTTP/1.1 100 Continue\r\n\r\n", false), 0);
    assert_int_equal(head.status, 100);
    assert_int_equal(resp("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                          "Upgrade: websocket\r\n\r\n",
                          false),
                     0);
    assert_true(head.upgrade);
    assert_int_equal(resp("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false), 0);
    assert_int_not_equal(
        resp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", false), 0);
    assert_int_not_equal(resp("HTTP/1.1 20 OK\r\n\r\n", false), 0);
    assert_int_not_equal(resp("HTTP/1.1 200 OK\r\nX: 1\r\n folded\r\n\r\n", false), 0);
}

static void test_tokens(void **state)
{
    (void)state;
    assert_true(bb_http_has_token("keep-alive, Upgrade", 19, "upgrade"));
    assert_true(bb_http_has_token(" close ", 7, "close"));
    assert_false(bb_http_has_token("closed", 6, "close"));
    assert_false(bb_http_has_token("", 0, "close"));
}

/* The definition of bb_http_head_end, byte by byte: what the line-by-line
 * version must answer for every input. */
static ssize_t head_end_spec(const char *buf, size_t len, size_t limit)
{
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (c == '\0' || (c == '\n' && (i == 0 || buf[i - 1] != '\r')) ||
            (c == '\r' && i + 1 < len && buf[i + 1] != '\n'))
            return -1;
        if (c == '\n' && i >= 3 && buf[i - 2] == '\n' && buf[i - 3] == '\r')
            return (i + 1 <= limit) ? (ssize_t)(i + 1) : -2;
        if (i + 1 >= limit)
            return -2;
    }
    return 0;
}

/* Every buffer of up to 9 bytes over the bytes that matter (and one that
 * does not), then random longer ones, each at several limits. */
static void test_head_end_matches_spec(void **state)
{
    (void)state;
    static const char alphabet[] = {'\r', '\n', 'a', '\0'};
    char buf[48];
    unsigned long cases = 0;
    for (size_t len = 0; len <= 9; len++) {
        size_t combos = 1;
        for (size_t i = 0; i < len; i++)
            combos *= sizeof(alphabet);
        for (size_t k = 0; k < combos; k++) {
            size_t v = k;
            for (size_t i = 0; i < len; i++, v /= sizeof(alphabet))
                buf[i] = alphabet[v % sizeof(alphabet)];
            for (size_t limit = 1; limit <= len + 1; limit++, cases++) {
                ssize_t want = head_end_spec(buf, len, limit);
                ssize_t got = bb_http_head_end(buf, len, limit);
                if (got != want)
                    fprintf(stderr, "len %zu limit %zu case %zu: got %zd, want %zd\n", len, limit,
                            k, got, want);
                assert_int_equal(got, want);
            }
        }
    }
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 200000; round++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t len = 10 + x % (sizeof(buf) - 10);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* mostly well-formed CRLF lines, so that heads do end */
            buf[i] = x % 8 < 5                                    ? 'a'
                     : (i > 0 && buf[i - 1] == '\r' && x % 8 < 7) ? '\n'
                                                                  : alphabet[x % 4];
        }
        size_t limit = 1 + (x >> 20) % (len + 4);
        assert_int_equal(bb_http_head_end(buf, len, limit), head_end_spec(buf, len, limit));
        cases++;
    }
    assert_true(cases > 500000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_reused_struct),
        cmocka_unit_test(test_no_lines),
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_keep_alive_and_upgrade),
        cmocka_unit_test(test_absolute_form_and_connect_parse),
        cmocka_unit_test(test_smuggling_shapes_refused),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_responses),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_head_end_matches_spec),
    };
    return cmocka_run_group_tests_name("gateway/http_head", tests, NULL, NULL);
}
