/*
 * DNS query parsing and the forwarder's own answers: what is accepted,
 * FORMERR / REFUSED / NOTIMP for the rest, names that could pass for other
 * names, and the shape of an error answer.
 */
#include "tests/unit/testutil.h"

#include "gateway/flows/dns_msg.h"

static uint8_t msg[2048];

/* A query for `labels` (NUL-separated wire labels, given as "\3api\4test"),
 * qtype, counts as given. Returns its length. */
static size_t query(const char *wire, size_t wlen, uint16_t qtype, uint16_t qd, uint16_t ar)
{
    memset(msg, 0, sizeof(msg));
    msg[0] = 0xab;
    msg[1] = 0xcd;
    msg[2] = 0x01; /* RD */
    msg[5] = (uint8_t)qd;
    msg[11] = (uint8_t)ar;
    memcpy(msg + 12, wire, wlen);
    size_t o = 12 + wlen;
    msg[o++] = (uint8_t)(qtype >> 8);
    msg[o++] = (uint8_t)qtype;
    msg[o++] = 0;
    msg[o++] = 1;
    return o;
}

#define Q(wire, qtype) query(wire, sizeof(wire), qtype, 1, 0) /* sizeof counts the root's \0 */

static void test_plain_query(void **state)
{
    (void)state;
    struct bb_dns_query q;
    size_t n = Q("\3Api\4TEST", 28);
    assert_int_equal(bb_dns_parse_query(msg, n, &q), BB_DNS_NOERROR);
    assert_int_equal(q.id, 0xabcd);
    assert_string_equal(q.name, "api.test");
    assert_int_equal(q.name_len, 8);
    assert_true(q.hostname);
    assert_int_equal(q.qtype, 28);
    assert_int_equal(q.question_end, n);
    char b[16];
    assert_string_equal(bb_dns_type_name(q.qtype, b, sizeof(b)), "AAAA");
    assert_string_equal(bb_dns_type_name(4242, b, sizeof(b)), "TYPE4242");

    /* an EDNS OPT record in the additional section is fine */
    n = query("\3api\4test", 10, 1, 1, 1);
    static const uint8_t opt[] = {0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0};
    memcpy(msg + n, opt, sizeof(opt));
    assert_int_equal(bb_dns_parse_query(msg, n + sizeof(opt), &q), BB_DNS_NOERROR);
    assert_int_equal(q.question_end, n);
}

static void test_refusals(void **state)
{
    (void)state;
    struct bb_dns_query q;
    size_t n = query("\3api\4test", 10, 1, 2, 0);
    assert_int_equal(bb_dns_parse_query(msg, n, &q), BB_DNS_REFUSED); /* two questions */
    n = query("\3api\4test", 10, 1, 0, 0);
    assert_int_equal(bb_dns_parse_query(msg, n, &q), BB_DNS_FORMERR); /* none */
    n = query("\300\014", 2, 1, 1, 0);
    assert_int_equal(bb_dns_parse_query(msg, n, &q), BB_DNS_FORMERR); /* a pointer */
    n = query("\3api\4test", 10, 1, 1, 0);
    assert_int_equal(bb_dns_parse_query(msg, n - 3, &q), BB_DNS_FORMERR); /* cut */
    msg[7] = 1; /* an answer record in a query */
    assert_int_equal(bb_dns_parse_query(msg, n, &q), BB_DNS_FORMERR);
    n = query("\3api\4test", 10, 1, 1, 0);
    msg[2] |= 0x28; /* opcode 5, UPDATE */
    assert_int_equal(bb_dns_parse_query(msg, n, &q), BB_DNS_NOTIMP);
    n = query("\3api\4test", 10, 1, 1, 0);
    assert_int_equal(bb_dns_parse_query(msg, BB_DNS_QUERY_MAX + 1, &q), BB_DNS_REFUSED);
    msg[2] |= 0x80; /* QR: a response */
    assert_int_equal(bb_dns_parse_query(msg, n, &q), -1);
    assert_int_equal(bb_dns_parse_query(msg, 11, &q), -1);
    /* a label over 63 bytes */
    char wire[80] = {64};
    memset(wire + 1, 'a', 64);
    n = query(wire, 66, 1, 1, 0);
    assert_int_equal(bb_dns_parse_query(msg, n, &q), BB_DNS_FORMERR);
}

/* "api.test" as a single label must not pass for the name api.test. */
static void test_names_that_pass_for_others(void **state)
{
    (void)state;
    struct bb_dns_query q;
    size_t n = Q("\10api.test", 1);
    assert_int_equal(bb_dns_parse_query(msg, n, &q), BB_DNS_NOERROR);
    assert_string_equal(q.name, "api.test");
    assert_false(q.hostname);
    n = Q("\4a\0bc\4test", 1);
    assert_int_equal(bb_dns_parse_query(msg, n, &q), BB_DNS_NOERROR);
    assert_false(q.hostname);
    assert_int_equal(q.name_len, 9);
    n = Q("\3a b\4test", 1);
    assert_int_equal(bb_dns_parse_query(msg, n, &q), BB_DNS_NOERROR);
    assert_false(q.hostname);
    n = Q("\10c2VjcmV0\5exfil\4test", 16);
    assert_int_equal(bb_dns_parse_query(msg, n, &q), BB_DNS_NOERROR);
    assert_true(q.hostname);
    assert_string_equal(q.name, "c2vjcmv0.exfil.test");
}

static void test_longest_label(void **state)
{
    (void)state;
    assert_int_equal(bb_dns_longest_label("", 0), 0);
    assert_int_equal(bb_dns_longest_label("a.bcd.ef", 8), 3);
    assert_int_equal(bb_dns_longest_label("abcdef.x", 8), 6);
    assert_int_equal(bb_dns_longest_label("x.abcdef", 8), 6);
    assert_int_equal(bb_dns_longest_label("x.abcdef", 4), 2); /* only the first len bytes */
}

/* What the forwarder sends is rebuilt from the parse: nothing a client
 * could hide beside its question reaches the resolver. */
static void test_rebuilt_query(void **state)
{
    (void)state;
    struct bb_dns_query q;
    uint8_t out[BB_DNS_QUERY_MAX];
    /* a record other than OPT in the additional section (a TXT of 430
     * bytes), and bytes after the question: FORMERR, nothing forwarded */
    size_t n = query("\3api\4test", 10, 1, 1, 1);
    static const uint8_t txt[] = {0, 0, 16, 0, 1, 0, 0, 0, 0, 1, 0xae};
    memcpy(msg + n, txt, sizeof(txt));
    memset(msg + n + sizeof(txt), 'x', 430);
    assert_int_equal(bb_dns_parse_query(msg, n + sizeof(txt) + 430, &q), BB_DNS_FORMERR);
    n = query("\3api\4test", 10, 1, 1, 0);
    memset(msg + n, 'y', 300);
    assert_int_equal(bb_dns_parse_query(msg, n + 300, &q), BB_DNS_FORMERR);
    assert_int_equal(bb_dns_parse_query(msg, n + 1, &q), BB_DNS_FORMERR);
    /* a plain query: the same bytes, but the name in lower case */
    n = Q("\3Api\4TEST", 28);
    msg[3] = 0x10; /* CD */
    assert_int_equal(bb_dns_parse_query(msg, n, &q), BB_DNS_NOERROR);
    size_t m = bb_dns_build_query(msg, &q, out, sizeof(out));
    static const uint8_t want[] = {0xab, 0xcd, 0x01, 0x10, 0,   1,   0,   0,   0, 0, 0,  0, 3,
                                   'a',  'p',  'i',  4,    't', 'e', 's', 't', 0, 0, 28, 0, 1};
    assert_int_equal(m, sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
    /* an OPT with options (an NSID request and 40 bytes of padding): the
     * options go, the size (clamped) and the DO bit stay */
    n = query("\3api\4test", 10, 1, 1, 1);
    static const uint8_t opt[] = {0,  0, 41, 0x10, 0, 0, 0,  0x80, 0, 0,
                                  48, 0, 3,  0,    0, 0, 12, 0,    40};
    memcpy(msg + n, opt, sizeof(opt));
    memset(msg + n + sizeof(opt), 0, 40);
    assert_int_equal(bb_dns_parse_query(msg, n + sizeof(opt) + 40, &q), BB_DNS_NOERROR);
    assert_true(q.edns && q.edns_do);
    assert_int_equal(q.edns_size, BB_DNS_EDNS_SIZE); /* 4096 asked */
    m = bb_dns_build_query(msg, &q, out, sizeof(out));
    static const uint8_t opt_out[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0};
    assert_int_equal(m, n + sizeof(opt_out));
    assert_memory_equal(out + n, opt_out, sizeof(opt_out));
    assert_int_equal(out[11], 1); /* ARCOUNT */
    /* an OPT whose options run past the end: FORMERR */
    assert_int_equal(bb_dns_parse_query(msg, n + sizeof(opt) + 39, &q), BB_DNS_FORMERR);
    /* a label holding a dot (not a host name: forwarded only with
     * enforce_names off) keeps its wire form */
    n = Q("\10Api.test", 1);
    assert_int_equal(bb_dns_parse_query(msg, n, &q), BB_DNS_NOERROR);
    assert_int_equal(bb_dns_build_query(msg, &q, out, sizeof(out)), n);
    assert_memory_equal(out + 12, "\10api.test", 10);
    /* the root query and a buffer too small */
    n = Q("", 2);
    assert_int_equal(bb_dns_parse_query(msg, n, &q), BB_DNS_NOERROR);
    assert_int_equal(bb_dns_build_query(msg, &q, out, sizeof(out)), n);
    assert_int_equal(bb_dns_build_query(msg, &q, out, n - 1), 0);
}

static void test_error_answer(void **state)
{
    (void)state;
    struct bb_dns_query q;
    size_t n = Q("\3api\4test", 1);
    assert_int_equal(bb_dns_parse_query(msg, n, &q), BB_DNS_NOERROR);
    uint8_t out[600];
    size_t m = bb_dns_answer_error(msg, n, &q, BB_DNS_NXDOMAIN, out, sizeof(out));
    assert_int_equal(m, n);
    assert_int_equal(out[0], 0xab);
    assert_int_equal(out[1], 0xcd);
    assert_int_equal(out[2], 0x81); /* QR, RD */
    assert_int_equal(out[3], 0x83); /* RA, NXDOMAIN */
    assert_int_equal(out[5], 1);    /* the question, echoed */
    assert_int_equal(out[7] | out[9] | out[11], 0);
    assert_memory_equal(out + 12, msg + 12, n - 12);
    /* without a parsed question: the header only */
    m = bb_dns_answer_error(msg, n, NULL, BB_DNS_FORMERR, out, sizeof(out));
    assert_int_equal(m, 12);
    assert_int_equal(out[3] & 0xf, BB_DNS_FORMERR);
    assert_int_equal(out[5], 0);
    assert_int_equal(bb_dns_answer_error(msg, n, &q, BB_DNS_NXDOMAIN, out, 13), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_query),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_names_that_pass_for_others),
        cmocka_unit_test(test_longest_label),
        cmocka_unit_test(test_rebuilt_query),
        cmocka_unit_test(test_error_answer),
    };
    return cmocka_run_group_tests_name("gateway/dns_msg", tests, NULL, NULL);
}
