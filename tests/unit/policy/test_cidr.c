/*
 * CIDR parsing, membership and printing.
 */
#include "tests/unit/testutil.h"

#include "policy/cidr.h"

#include <arpa/inet.h>

static struct bb_cidr parse_ok(const char *s)
{
    struct bb_cidr c;
    const char *why = bb_cidr_parse(s, strlen(s), &c);
    if (why != NULL)
        fprintf(stderr, "'%s': %s\n", s, why);
    assert_null(why);
    return c;
}

static bool has(const struct bb_cidr *c, const char *ip)
{
    uint8_t a[16];
    int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
    assert_int_equal(inet_pton(fam, ip, a), 1);
    return bb_cidr_contains(c, fam, a);
}

static void test_parse_and_contains(void **state)
{
    (void)state;
    struct bb_cidr c = parse_ok("10.0.0.0/8");
    assert_int_equal(c.family, AF_INET);
    assert_true(has(&c, "10.255.1.2"));
    assert_false(has(&c, "11.0.0.0"));
    assert_false(has(&c, "::ffff:10.0.0.1"));
    c = parse_ok("10.201.3.128/25");
    assert_true(has(&c, "10.201.3.200"));
    assert_false(has(&c, "10.201.3.127"));
    c = parse_ok("192.0.2.7");
    assert_int_equal(c.prefix, 32);
    assert_true(has(&c, "192.0.2.7"));
    assert_false(has(&c, "192.0.2.8"));
    c = parse_ok("0.0.0.0/0");
    assert_true(has(&c, "203.0.113.9"));
    c = parse_ok("fd00:201::/64");
    assert_true(has(&c, "fd00:201::1"));
    assert_false(has(&c, "fd00:202::1"));
    assert_false(has(&c, "10.0.0.1"));
    c = parse_ok("2001:db8::/33");
    assert_true(has(&c, "2001:db8:7fff::1"));
    assert_false(has(&c, "2001:db8:8000::1"));
    c = parse_ok("::/0");
    assert_true(has(&c, "2001:db8::1"));
}

static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *in, *why;
    } bad[] = {
        {"", "empty CIDR"},
        {"10.0.0.0/", "invalid prefix length"},
        {"10.0.0.0/33", "invalid prefix length"},
        {"10.0.0.0/08", "invalid prefix length"},
        {"10.0.0.0/-1", "invalid prefix length"},
        {"10.0.0.0/8/8", "invalid prefix length"},
        {"fd00::/129", "invalid prefix length"},
        {"10.0.0.1/8", "address has bits set beyond the prefix length"},
        {"fd00::1/64", "address has bits set beyond the prefix length"},
        {"10.0.0/8", "invalid IP address in CIDR"},
        {"example.com/8", "invalid IP address in CIDR"},
        {"0123456789012345678901234567890123456789012345678901234567890123456789", "CIDR too long"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct bb_cidr c;
        const char *why = bb_cidr_parse(bad[i].in, strlen(bad[i].in), &c);
        if (why == NULL || strcmp(why, bad[i].why) != 0)
            fprintf(stderr, "'%s': got %s\n", bad[i].in, why ? why : "ok");
        assert_non_null(why);
        assert_string_equal(why, bad[i].why);
    }
}

static void test_format(void **state)
{
    (void)state;
    char buf[64];
    struct bb_cidr c = parse_ok("FD00:0201:0::/48");
    assert_true(bb_cidr_format(&c, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "fd00:201::/48");
    c = parse_ok("10.1.0.0/16");
    bb_cidr_format(&c, buf, sizeof(buf));
    assert_string_equal(buf, "10.1.0.0/16");
    assert_int_equal(bb_cidr_format(&c, buf, 4), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_contains),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests_name("policy/cidr", tests, NULL, NULL);
}
