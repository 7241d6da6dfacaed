/*
 * Body decoding: Content-Length, chunked (extensions and trailers dropped),
 * until-EOF responses, the boundary with a pipelined next message, and
 * malformed or cut-short bodies.
 */
#include "tests/unit/testutil.h"

#include "gateway/http/http_body.h"
#include "gateway/http/http_out.h"

static llhttp_t parser;
static struct bb_hdr lines[BB_HTTP_MAX_HEADERS];
static struct bb_http_head head = {.h = lines};
static char got[4096];
static size_t got_len;

static int collect(void *arg, const char *p, size_t n)
{
    (void)arg;
    memcpy(got + got_len, p, n);
    got_len += n;
    return 0;
}

/* Parses a message: head, then body; returns bytes of body consumed. */
static ssize_t run(const char *msg, size_t len, bool response, struct bb_http_body *b)
{
    const char *why;
    ssize_t end = bb_http_head_end(msg, len, BB_HTTP_HEAD_MAX);
    assert_true(end > 0);
    int rc = response ? bb_http_parse_response(&parser, msg, (size_t)end, false, &head, &why)
                      : bb_http_parse_request(&parser, msg, (size_t)end, &head, &why);
    assert_int_equal(rc, 0);
    got_len = 0;
    *b = (struct bb_http_body){.on_data = collect};
    bb_http_body_start(&parser, &head, b);
    return bb_http_body_feed(&parser, b, msg + end, len - (size_t)end);
}

static void test_content_length_and_pipelining(void **state)
{
    (void)state;
    const char *m =
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n";
    struct bb_http_body b;
    ssize_t used = run(m, strlen(m), false, &b);
    assert_int_equal(used, 5); /* stops where the next request begins */
    assert_true(b.done);
    assert_int_equal(got_len, 5);
    assert_memory_equal(got, "hello", 5);
}

static void test_chunked(void **state)
{
    (void)state;
    const char *m = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: secret\r\n\r\nNEXT";
    struct bb_http_body b;
    ssize_t used = run(m, strlen(m), false, &b);
    assert_true(b.done);
    assert_int_equal(got_len, 11);
    assert_memory_equal(got, "hello world", 11);
    assert_int_equal(used, (ssize_t)(strlen(m) - 4 - (strstr(m, "5;") - m)));
}

/* Trailers kept for the relay, fed one byte at a time (a field split
 * across reads), those a trailer must not carry left out, and written
 * back as the end of a chunked body without the names a rewrite sets. */
static void test_trailers_kept(void **state)
{
    (void)state;
    const char *h = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    const char *body = "3\r\nabc\r\n0\r\ngrpc-status: 7\r\nContent-Length: 99\r\n"
                       "Authorization: Bearer x\r\nGrpc-Message: no%20way\r\nX-Empty:\r\n\r\n";
    const char *why;
    assert_int_equal(bb_http_parse_request(&parser, h, strlen(h), &head, &why), 0);
    struct bb_http_body b = {0};
    bb_http_body_init(&b, collect, NULL, true);
    got_len = 0;
    bb_http_body_start(&parser, &head, &b);
    for (size_t i = 0; i < strlen(body); i++)
        assert_int_equal(bb_http_body_feed(&parser, &b, body + i, 1), 1);
    assert_true(b.done);
    const char *kept = "grpc-status: 7\r\nGrpc-Message: no%20way\r\nX-Empty: \r\n";
    assert_int_equal(bb_buf_size(&b.trailers), strlen(kept));
    assert_memory_equal(bb_buf_head(&b.trailers), kept, strlen(kept));
    struct bb_buf out;
    bb_buf_init(&out, 4096);
    assert_int_equal(bb_http_write_body_end(&out, BB_OUT_CHUNKED, &b.trailers, NULL), 0);
    const char *end = "0\r\ngrpc-status: 7\r\nGrpc-Message: no%20way\r\nX-Empty: \r\n\r\n";
    assert_int_equal(bb_buf_size(&out), strlen(end));
    assert_memory_equal(bb_buf_head(&out), end, strlen(end));
    bb_buf_free(&out);
    bb_http_body_release(&b);
    assert_false(bb_http_trailer_allowed("transfer-encoding", 17));
    assert_false(bb_http_trailer_allowed("Set-Cookie", 10));
    assert_true(bb_http_trailer_allowed("grpc-status", 11));
}

static void test_chunked_in_pieces(void **state)
{
    (void)state;
    const char *h = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    const char *body = "3\r\nabc\r\n0\r\n\r\n";
    const char *why;
    assert_int_equal(bb_http_parse_request(&parser, h, strlen(h), &head, &why), 0);
    struct bb_http_body b = {.on_data = collect};
    got_len = 0;
    bb_http_body_start(&parser, &head, &b);
    for (size_t i = 0; i < strlen(body); i++)
        assert_int_equal(bb_http_body_feed(&parser, &b, body + i, 1), 1);
    assert_true(b.done);
    assert_memory_equal(got, "abc", 3);
}

static void test_bad_chunks(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "zz\r\nabc\r\n0\r\n\r\n",               /* not hex */
        "-1\r\nabc\r\n0\r\n\r\n",               /* sign */
        "ffffffffffffffffff\r\nx\r\n0\r\n\r\n", /* overflow */
        "3\r\nabcX\r\n0\r\n\r\n",               /* data longer than the size */
        "3 \r\nabc\r\n0\r\n\r\n",               /* space after the size */
    };
    const char *h = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char m[256];
        snprintf(m, sizeof(m), "%s%s", h, bad[i]);
        struct bb_http_body b;
        ssize_t used = run(m, strlen(m), false, &b);
        if (used != -1)
            fprintf(stderr, "accepted bad chunk %zu: %s\n", i, bad[i]);
        assert_int_equal(used, -1);
    }
}

static void test_eof_and_cut_short(void **state)
{
    (void)state;
    const char *m = "HTTP/1.1 200 OK\r\n\r\nstream until close";
    struct bb_http_body b;
    assert_int_equal(run(m, strlen(m), true, &b), (ssize_t)strlen("stream until close"));
    assert_false(b.done);
    assert_int_equal(bb_http_body_eof(&parser, &b), 0);
    assert_true(b.done);
    m = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort";
    assert_int_equal(run(m, strlen(m), true, &b), 5);
    assert_int_equal(bb_http_body_eof(&parser, &b), -1); /* truncated: an error */
    m = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_int_equal(run(m, strlen(m), false, &b), 0);
    assert_true(b.done); /* no body */
}

/* The table of http_head.h: bodies that end with their head are done at
 * start (nothing to wait for), whatever headers say; the next message's
 * bytes are left alone. */
static void test_ends_with_head(void **state)
{
    (void)state;
    static const struct {
        const char *msg;
        bool response, head_request;
    } cases[] = {
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\nGET / HTTP/1.1\r\n", false, false},
        {"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\n", false, false},
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n", true, false},
        {"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nHTTP/1.1", true, false},
        {"HTTP/1.1 304 Not Modified\r\nContent-Length: 123\r\n\r\nHTTP/1.1", true, false},
        {"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\nHTTP/1.1", true, false},
        {"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nHTTP/1.1", true, true}, /* to HEAD */
        {"HTTP/1.1 200 OK\r\n\r\nHTTP/1.1", true, true}, /* to HEAD, no length: not until EOF */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *m = cases[i].msg, *why;
        ssize_t end = bb_http_head_end(m, strlen(m), BB_HTTP_HEAD_MAX);
        assert_true(end > 0);
        int rc = cases[i].response ? bb_http_parse_response(&parser, m, (size_t)end,
                                                            cases[i].head_request, &head, &why)
                                   : bb_http_parse_request(&parser, m, (size_t)end, &head, &why);
        assert_int_equal(rc, 0);
        struct bb_http_body b = {.on_data = collect};
        got_len = 0;
        bb_http_body_start(&parser, &head, &b);
        if (!b.done)
            fprintf(stderr, "case %zu: not done at start\n", i);
        assert_true(b.done);
        assert_true(bb_http_body_empty(&head));
        assert_int_equal(bb_http_body_feed(&parser, &b, m + end, strlen(m) - (size_t)end), 0);
        assert_int_equal(got_len, 0);
    }
    /* and a length of 1, a chunked body, or no length in a response are not */
    const char *m = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n";
    struct bb_http_body b;
    run(m, strlen(m), true, &b);
    assert_false(b.done);
    m = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    run(m, strlen(m), true, &b);
    assert_false(b.done);
    m = "HTTP/1.1 200 OK\r\n\r\n";
    run(m, strlen(m), true, &b);
    assert_false(b.done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_length_and_pipelining),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_trailers_kept),
        cmocka_unit_test(test_chunked_in_pieces),
        cmocka_unit_test(test_bad_chunks),
        cmocka_unit_test(test_eof_and_cut_short),
        cmocka_unit_test(test_ends_with_head),
    };
    return cmocka_run_group_tests_name("gateway/http_body", tests, NULL, NULL);
}
