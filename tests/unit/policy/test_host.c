/*
 * Host normalisation: a table of inputs with their normalised form, port and
 * kind, and a table of refusals with their reasons.
 */
#include "tests/unit/testutil.h"

#include "policy/host.h"

struct ok_case {
    const char *in;
    unsigned flags;
    const char *name;
    uint16_t port;
    enum bb_host_kind kind;
};

static const struct ok_case ok_cases[] = {
    {"api.openai.com", 0, "api.openai.com", 0, BB_HOST_NAME},
    {"API.OpenAI.Com", 0, "api.openai.com", 0, BB_HOST_NAME},
    {"  api.openai.com\t", 0, "api.openai.com", 0, BB_HOST_NAME},
    {"api.openai.com.", 0, "api.openai.com", 0, BB_HOST_NAME},
    {"api.openai.com:443", 0, "api.openai.com", 443, BB_HOST_NAME},
    {"api.openai.com.:8443", 0, "api.openai.com", 8443, BB_HOST_NAME},
    {"api.openai.com:0443", 0, "api.openai.com", 443, BB_HOST_NAME},
    {"localhost", 0, "localhost", 0, BB_HOST_NAME},
    {"xn--bcher-kva.example", 0, "xn--bcher-kva.example", 0, BB_HOST_NAME},
    {"1.2.3.4", 0, "1.2.3.4", 0, BB_HOST_IPV4},
    {"10.201.0.2:80", 0, "10.201.0.2", 80, BB_HOST_IPV4},
    {"::1", 0, "::1", 0, BB_HOST_IPV6},
    {"[::1]", 0, "::1", 0, BB_HOST_IPV6},
    {"[::1]:8080", 0, "::1", 8080, BB_HOST_IPV6},
    {"[0:0:0:0:0:0:0:1]", 0, "::1", 0, BB_HOST_IPV6},
    {"[FD00:201::2]:443", 0, "fd00:201::2", 443, BB_HOST_IPV6},
    {"[::ffff:127.0.0.1]", 0, "::ffff:127.0.0.1", 0, BB_HOST_IPV6},
    {"*.example.com", BB_HOST_WILDCARD, "*.example.com", 0, BB_HOST_WILDCARD},
    {"*.Example.COM.:443", BB_HOST_WILDCARD, "*.example.com", 443, BB_HOST_WILDCARD},
    {"a-b.c1.d", 0, "a-b.c1.d", 0, BB_HOST_NAME},
    {"1a.2b", 0, "1a.2b", 0, BB_HOST_NAME},
};

static void test_accepts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
        const struct ok_case *t = &ok_cases[i];
        struct bb_host h;
        const char *why = bb_host_parse(t->in, strlen(t->in), t->flags, &h);
        if (why != NULL || strcmp(h.name, t->name) != 0)
            fprintf(stderr, "case '%s': %s -> '%s'\n", t->in, why ? why : "ok", h.name);
        assert_null(why);
        assert_string_equal(h.name, t->name);
        assert_int_equal(h.len, strlen(t->name));
        assert_int_equal(h.port, t->port);
        assert_int_equal(h.kind, t->kind);
    }
}

struct bad_case {
    const char *in;
    unsigned flags;
    const char *why;
};

static const struct bad_case bad_cases[] = {
    {"", 0, "empty host"},
    {"   ", 0, "empty host"},
    {".", 0, "empty host"},
    {"a..b", 0, "empty label"},
    {".a", 0, "empty label"},
    {"a.b..", 0, "empty label"},
    {"host:notaport", 0, "invalid port"},
    {"host:", 0, "empty port"},
    {"host:0", 0, "port out of range"},
    {"host:65536", 0, "port out of range"},
    {"host:+80", 0, "invalid port"},
    {"host: 80", 0, "invalid port"},
    {"bad_host", 0, "invalid character in host"},
    {"allowed.test@evil.test", 0, "invalid character in host"},
    {"a b", 0, "invalid character in host"},
    {"a\tb", 0, "invalid character in host"},
    {"%2e.com", 0, "invalid character in host"},
    {"a/b", 0, "invalid character in host"},
    {"caf\xc3\xa9.com", 0, "invalid character in host"},
    {"*.example.com", 0, "wildcard not allowed here"},
    {"*", BB_HOST_WILDCARD, "invalid character in host"},
    {"*.", BB_HOST_WILDCARD, "invalid character in host"},
    {"*..a", BB_HOST_WILDCARD, "empty label"},
    {"a.*.com", BB_HOST_WILDCARD, "invalid character in host"},
    {"*example.com", BB_HOST_WILDCARD, "invalid character in host"},
    {"*.1.2.3.4", BB_HOST_WILDCARD, "wildcard over an IP address"},
    {"127.1", 0, "invalid IPv4 address"},
    {"0x7f.0.0.1", 0, "invalid IPv4 address"},
    {"010.0.0.1", 0, "invalid IPv4 address"},
    {"1.2.3.256", 0, "invalid IPv4 address"},
    {"4294967295", 0, "invalid IPv4 address"},
    {"[::1", 0, "unterminated '['"},
    {"[::1]x", 0, "unexpected characters after ']'"},
    {"[::1]:", 0, "empty port"},
    {"[not-v6]", 0, "invalid IPv6 address"},
    {"fe80::1%eth0", 0, "invalid IPv6 address"},
    {"1:2", 0, "invalid IPv4 address"},
    {"a.com:443", BB_HOST_NO_PORT, "a port is not allowed here"},
    {"[::1]:443", BB_HOST_NO_PORT, "a port is not allowed here"},
};

static void test_refuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *t = &bad_cases[i];
        struct bb_host h;
        const char *why = bb_host_parse(t->in, strlen(t->in), t->flags, &h);
        if (why == NULL || strcmp(why, t->why) != 0)
            fprintf(stderr, "case '%s': got %s, want %s\n", t->in, why ? why : "ok", t->why);
        assert_non_null(why);
        assert_string_equal(why, t->why);
    }
}

static void test_lengths(void **state)
{
    (void)state;
    char buf[600];
    struct bb_host h;
    /* 63-byte label ok, 64 refused. */
    memset(buf, 'a', 63);
    memcpy(buf + 63, ".com", 5);
    assert_null(bb_host_parse(buf, strlen(buf), 0, &h));
    memset(buf, 'a', 64);
    memcpy(buf + 64, ".com", 5);
    assert_string_equal(bb_host_parse(buf, strlen(buf), 0, &h), "label longer than 63 bytes");
    /* 253 bytes ok (plus a trailing dot), 254 refused. */
    size_t n = 0;
    while (n < 253) {
        size_t take = 253 - n >= 50 ? 49 : 253 - n;
        memset(buf + n, 'b', take);
        n += take;
        if (n < 253)
            buf[n++] = '.';
    }
    buf[n] = '\0';
    assert_int_equal(strlen(buf), 253);
    assert_null(bb_host_parse(buf, 253, 0, &h));
    buf[253] = '.';
    assert_null(bb_host_parse(buf, 254, 0, &h));
    buf[253] = 'c';
    assert_string_equal(bb_host_parse(buf, 254, 0, &h), "host longer than 253 bytes");
    /* fuzz_host regression: a wildcard with a 252-byte suffix overflowed
     * the name buffer. "*." counts towards the 253 bytes. */
    char wild[300] = "*.";
    memcpy(wild + 2, buf, 251);
    wild[253] = '\0';
    assert_null(bb_host_parse(wild, 253, BB_HOST_WILDCARD, &h));
    assert_int_equal(h.len, 253);
    memcpy(wild + 2, buf, 253);
    wild[255] = '\0';
    assert_string_equal(bb_host_parse(wild, 255, BB_HOST_WILDCARD, &h),
                        "host longer than 253 bytes");
    assert_string_equal(bb_host_parse(wild, 254, BB_HOST_WILDCARD, &h),
                        "host longer than 253 bytes");
    /* Inputs over the hard cap are refused before any parsing. */
    char big[BB_HOST_INPUT_MAX + 2];
    memset(big, 'a', sizeof(big));
    assert_string_equal(bb_host_parse(big, sizeof(big), 0, &h), "host too long");
}

static void test_not_nul_terminated(void **state)
{
    (void)state;
    /* The parser must stop at len: "api.testXXXX" with len 8. */
    struct bb_host h;
    assert_null(bb_host_parse("api.test@evil", 8, 0, &h));
    assert_string_equal(h.name, "api.test");
}

static void test_format_authority(void **state)
{
    (void)state;
    struct bb_host h;
    char buf[300];
    assert_null(bb_host_parse("API.test:443", 12, 0, &h));
    assert_int_equal(bb_host_format_authority(&h, 443, buf, sizeof(buf)), 8);
    assert_string_equal(buf, "api.test");
    assert_null(bb_host_parse("api.test:8443", 13, 0, &h));
    bb_host_format_authority(&h, 443, buf, sizeof(buf));
    assert_string_equal(buf, "api.test:8443");
    assert_null(bb_host_parse("[fd00::1]:8443", 14, 0, &h));
    bb_host_format_authority(&h, 443, buf, sizeof(buf));
    assert_string_equal(buf, "[fd00::1]:8443");
    assert_null(bb_host_parse("fd00::1", 7, 0, &h));
    bb_host_format_authority(&h, 443, buf, sizeof(buf));
    assert_string_equal(buf, "[fd00::1]");
    assert_int_equal(bb_host_format_authority(&h, 443, buf, 5), -1);
    /* exactly the room it needs, terminator included; one byte less fails */
    assert_int_equal(bb_host_format_authority(&h, 443, buf, 10), 9);
    assert_string_equal(buf, "[fd00::1]");
    assert_int_equal(bb_host_format_authority(&h, 443, buf, 9), -1);
    assert_string_equal(buf, ""); /* nothing half-written on failure */
    assert_int_equal(bb_host_format_authority(&h, 443, buf, 0), -1);
    assert_null(bb_host_parse("api.test:65535", 14, 0, &h));
    assert_int_equal(bb_host_format_authority(&h, 80, buf, 15), 14);
    assert_string_equal(buf, "api.test:65535");
    assert_int_equal(bb_host_format_authority(&h, 80, buf, 14), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),          cmocka_unit_test(test_refuses),
        cmocka_unit_test(test_lengths),          cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_format_authority),
    };
    return cmocka_run_group_tests_name("policy/host", tests, NULL, NULL);
}
