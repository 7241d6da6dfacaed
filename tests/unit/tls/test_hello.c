/*
 * ClientHello peek, on ClientHellos made by OpenSSL itself (a client SSL
 * over memory BIOs): SNI and ALPN found, byte-by-byte arrival asks for
 * more, records split in two still parse, the SNI rules of docs/reference.md §4.
 */
#include "tests/unit/testutil.h"

#include "tls/hello.h"

#include <openssl/ssl.h>

static uint8_t hello[BB_HELLO_MAX];

/* A ClientHello from OpenSSL for sni (NULL: none) offering alpn (wire
 * format, may be NULL). Returns its length. */
static size_t make_hello(const char *sni, const unsigned char *alpn, unsigned alpn_len)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = SSL_new(ctx);
    BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl, in, out);
    if (sni != NULL)
        SSL_set_tlsext_host_name(ssl, sni);
    if (alpn != NULL)
        SSL_set_alpn_protos(ssl, alpn, alpn_len);
    SSL_connect(ssl); /* writes the ClientHello, then wants to read */
    int n = BIO_read(out, hello, sizeof(hello));
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    assert_true(n > 0);
    return (size_t)n;
}

static void test_sni_and_alpn(void **state)
{
    (void)state;
    static const unsigned char alpn[] = "\x02h2\x08http/1.1";
    size_t n = make_hello("API.Example.com", alpn, sizeof(alpn) - 1);
    struct bb_hello h;
    const char *why;
    assert_int_equal(bb_hello_parse(hello, n, &h, &why), BB_HELLO_OK);
    assert_true(h.has_sni && h.sni_ok);
    assert_string_equal(h.sni, "api.example.com");
    assert_true(h.has_alpn && h.alpn_h2 && h.alpn_http11);
    assert_int_equal(h.record_bytes, n);
    /* every shorter prefix asks for more */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(bb_hello_parse(hello, i, &h, &why), BB_HELLO_MORE);
}

static void test_no_sni(void **state)
{
    (void)state;
    size_t n = make_hello(NULL, NULL, 0);
    struct bb_hello h;
    const char *why;
    assert_int_equal(bb_hello_parse(hello, n, &h, &why), BB_HELLO_OK);
    assert_false(h.has_sni);
    assert_false(h.has_alpn);
}

/* The handshake message split over two records, as a client may send it. */
static void test_split_records(void **state)
{
    (void)state;
    size_t n = make_hello("split.test", NULL, 0);
    size_t body = n - 5, first = body / 2;
    static uint8_t two[BB_HELLO_MAX];
    memcpy(two, hello, 5);
    two[3] = (uint8_t)(first >> 8);
    two[4] = (uint8_t)first;
    memcpy(two + 5, hello + 5, first);
    memcpy(two + 5 + first, hello, 5);
    two[5 + first + 3] = (uint8_t)((body - first) >> 8);
    two[5 + first + 4] = (uint8_t)(body - first);
    memcpy(two + 10 + first, hello + 5 + first, body - first);
    struct bb_hello h;
    const char *why;
    assert_int_equal(bb_hello_parse(two, n + 5, &h, &why), BB_HELLO_OK);
    assert_string_equal(h.sni, "split.test");
    assert_int_equal(h.record_bytes, n + 5);
    assert_int_equal(bb_hello_parse(two, 5 + first + 5, &h, &why), BB_HELLO_MORE);
}

static void test_not_a_hello(void **state)
{
    (void)state;
    struct bb_hello h;
    const char *why;
    static const uint8_t http[] = "GET / HTTP/1.1\r\n\r\n";
    assert_int_equal(bb_hello_parse(http, sizeof(http) - 1, &h, &why), BB_HELLO_BAD);
    static const uint8_t huge[] = {22, 3, 1, 0xff, 0xff};
    assert_int_equal(bb_hello_parse(huge, sizeof(huge), &h, &why), BB_HELLO_BAD);
    assert_string_equal(why, "ClientHello too large");
    size_t n = make_hello("x.test", NULL, 0);
    hello[5] = 2; /* ServerHello */
    assert_int_equal(bb_hello_parse(hello, n, &h, &why), BB_HELLO_BAD);
}

/* docs/reference.md §4 and the original BotBox cases. */
static void test_sni_rules(void **state)
{
    (void)state;
    char long_name[300];
    memset(long_name, 'a', sizeof(long_name));
    for (int i = 63; i < 300; i += 64)
        long_name[i] = '.';
    assert_true(bb_sni_valid("localhost", 9));
    assert_true(bb_sni_valid("api.openai.com", 14));
    assert_true(bb_sni_valid("xn--bcher-kva.example", 21));
    assert_true(bb_sni_valid(long_name, 253));
    assert_false(bb_sni_valid(long_name, 254));
    assert_false(bb_sni_valid("bad_host", 8));
    assert_false(bb_sni_valid("*.example.com", 13));
    assert_false(bb_sni_valid("a..b", 4));
    assert_false(bb_sni_valid(".a", 2));
    assert_false(bb_sni_valid("a.", 2));
    assert_false(bb_sni_valid("", 0));
    memset(long_name, 'a', 64);
    assert_false(bb_sni_valid(long_name, 64)); /* a 64-byte label */
    /* a refused SNI is reported as present but not usable */
    size_t n = make_hello("bad_host", NULL, 0);
    struct bb_hello h;
    const char *why;
    assert_int_equal(bb_hello_parse(hello, n, &h, &why), BB_HELLO_OK);
    assert_true(h.has_sni);
    assert_false(h.sni_ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sni_and_alpn),  cmocka_unit_test(test_no_sni),
        cmocka_unit_test(test_split_records), cmocka_unit_test(test_not_a_hello),
        cmocka_unit_test(test_sni_rules),
    };
    return cmocka_run_group_tests_name("tls/hello", tests, NULL, NULL);
}
