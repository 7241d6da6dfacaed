/*
 * The HTTP/1.1 side of an HTTP/2 stream (gateway/http/h1_feed.c): what a
 * reader gets for a body with a length and for one framed as chunks, with
 * and without trailers, read whole or a few bytes at a time; the credit
 * (the window given back) is the body bytes taken, never the framing.
 */
#include "tests/unit/testutil.h"

#include "gateway/http/h1_feed.h"
#include "gateway/http/http_body.h"

static struct bb_h1feed f;
static char got[8192];
static size_t got_len, credited;

static void feed_init(bool chunked)
{
    bb_h1feed_init(&f, 1024, 4096, BB_HTTP_TRAILERS_MAX);
    f.chunked = chunked;
}

/* Reads with a buffer of n bytes until nothing more comes now; returns the
 * last result (0 or BB_H1FEED_END). */
static ssize_t drain(size_t n)
{
    char buf[8192];
    for (;;) {
        size_t credit = 0;
        ssize_t k = bb_h1feed_read(&f, buf, n, &credit);
        credited += credit;
        if (k <= 0)
            return k;
        assert_true(got_len + (size_t)k <= sizeof(got));
        memcpy(got + got_len, buf, (size_t)k);
        got_len += (size_t)k;
    }
}

static void reset_got(void)
{
    got_len = credited = 0;
}

static void put(struct bb_buf *b, const char *s)
{
    assert_int_equal(bb_buf_append(b, s, strlen(s)), 0);
}

static void assert_got(const char *want)
{
    assert_int_equal(got_len, strlen(want));
    assert_memory_equal(got, want, got_len);
}

static void test_length_body(void **state)
{
    (void)state;
    feed_init(false);
    reset_got();
    put(&f.head, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n");
    put(&f.data, "hello");
    assert_int_equal(drain(7), 0);                             /* the rest has not come yet */
    assert_true(bb_h1feed_trailer(&f, "x-t", 3, "1", 1) == 0); /* no place for it */
    put(&f.data, "world");
    assert_int_equal(bb_h1feed_end(&f), 0);
    assert_int_equal(drain(3), BB_H1FEED_END);
    assert_got("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nhelloworld");
    assert_int_equal(credited, 10);
    assert_false(bb_h1feed_pending(&f));
    bb_h1feed_free(&f);
}

static void test_chunked_with_trailers(void **state)
{
    (void)state;
    feed_init(true);
    reset_got();
    put(&f.head, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    put(&f.data, "abc");
    assert_true(bb_h1feed_pending(&f));
    assert_int_equal(drain(64), 0);
    put(&f.data, "0123456789abcdef0123");
    assert_int_equal(bb_h1feed_trailer(&f, "grpc-status", 11, "0", 1), 0);
    assert_int_equal(bb_h1feed_trailer(&f, "host", 4, "evil.test", 9), 0); /* never a trailer */
    assert_int_equal(bb_h1feed_end(&f), 0);
    assert_int_equal(drain(64), BB_H1FEED_END);
    assert_got("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               "3\r\nabc\r\n14\r\n0123456789abcdef0123\r\n0\r\ngrpc-status: 0\r\n\r\n");
    assert_int_equal(credited, 23);
    bb_h1feed_free(&f);
}

/* A read with room for less than a chunk's framing takes nothing; a
 * little more room takes the chunk in pieces, each framed. */
static void test_small_reads_split_chunks(void **state)
{
    (void)state;
    feed_init(true);
    reset_got();
    put(&f.data, "abcdefgh");
    char buf[BB_H1FEED_CHUNK_FRAMING];
    size_t credit = 1;
    assert_int_equal(bb_h1feed_read(&f, buf, sizeof(buf), &credit), 0);
    assert_int_equal(credit, 0);
    assert_int_equal(drain(BB_H1FEED_CHUNK_FRAMING + 3), 0);
    assert_got("3\r\nabc\r\n3\r\ndef\r\n2\r\ngh\r\n");
    assert_int_equal(credited, 8);
    assert_int_equal(bb_h1feed_end(&f), 0);
    reset_got();
    assert_int_equal(drain(2), BB_H1FEED_END); /* the end, two bytes at a time */
    assert_got("0\r\n\r\n");
    bb_h1feed_free(&f);
}

/* The body bytes held are bounded (the window nghttp2 enforces); the
 * trailers too (BB_HTTP_TRAILERS_MAX): past them, -1. */
static void test_limits(void **state)
{
    (void)state;
    feed_init(true);
    static char big[4097];
    memset(big, 'x', sizeof(big));
    assert_int_equal(bb_buf_append(&f.data, big, 4096), 0);
    assert_int_not_equal(bb_buf_append(&f.data, big, 1), 0);
    static char value[BB_HTTP_TRAILERS_MAX];
    memset(value, 'v', sizeof(value));
    assert_int_equal(bb_h1feed_trailer(&f, "x-a", 3, value, 100), 0);
    assert_int_equal(bb_h1feed_trailer(&f, "x-b", 3, value, sizeof(value)), -1);
    bb_h1feed_free(&f);
}

/* An empty body: nothing before the end, then only the end. */
static void test_empty_bodies(void **state)
{
    (void)state;
    for (int chunked = 0; chunked < 2; chunked++) {
        feed_init(chunked);
        reset_got();
        assert_false(bb_h1feed_pending(&f));
        assert_int_equal(drain(64), 0);
        assert_int_equal(bb_h1feed_end(&f), 0);
        assert_int_equal(bb_h1feed_end(&f), 0); /* twice is once */
        assert_int_equal(drain(64), BB_H1FEED_END);
        assert_got(chunked ? "0\r\n\r\n" : "");
        assert_int_equal(credited, 0);
        bb_h1feed_free(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_length_body),
        cmocka_unit_test(test_chunked_with_trailers),
        cmocka_unit_test(test_small_reads_split_chunks),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_empty_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
