/*
 * Packet decoding for the verdict path: the fields a flow decision needs,
 * IPv6 extension headers, fragments, and refusal of anything truncated.
 */
#include "tests/unit/testutil.h"

#include "gateway/flows/pkt.h"

#include <arpa/inet.h>
#include <netinet/in.h>

static uint8_t buf[256];

/* An IPv4 header (20 bytes) for proto with payload plen; returns its size. */
static size_t ipv4(uint8_t proto, size_t plen, uint16_t frag)
{
    memset(buf, 0, sizeof(buf));
    buf[0] = 0x45;
    buf[2] = (uint8_t)((20 + plen) >> 8);
    buf[3] = (uint8_t)(20 + plen);
    buf[6] = (uint8_t)(frag >> 8);
    buf[7] = (uint8_t)frag;
    buf[9] = proto;
    inet_pton(AF_INET, "10.201.0.2", buf + 12);
    inet_pton(AF_INET, "10.201.1.2", buf + 16);
    return 20;
}

static size_t ipv6(uint8_t nh)
{
    memset(buf, 0, sizeof(buf));
    buf[0] = 0x60;
    buf[6] = nh;
    inet_pton(AF_INET6, "fd00:201::2", buf + 8);
    inet_pton(AF_INET6, "fd00:201:1::2", buf + 24);
    return 40;
}

static void ports(size_t off, uint16_t s, uint16_t d)
{
    buf[off] = (uint8_t)(s >> 8);
    buf[off + 1] = (uint8_t)s;
    buf[off + 2] = (uint8_t)(d >> 8);
    buf[off + 3] = (uint8_t)d;
}

static void test_ipv4(void **state)
{
    (void)state;
    struct bb_pkt k;
    const char *why;
    size_t off = ipv4(IPPROTO_TCP, 20, 0);
    ports(off, 40000, 5432);
    assert_int_equal(bb_pkt_decode(buf, off + 20, &k, &why), 0);
    assert_int_equal(k.family, AF_INET);
    assert_int_equal(k.proto, IPPROTO_TCP);
    assert_true(k.has_ports);
    assert_int_equal(k.sport, 40000);
    assert_int_equal(k.dport, 5432);
    uint8_t dst[4];
    inet_pton(AF_INET, "10.201.1.2", dst);
    assert_memory_equal(k.dst, dst, 4);
    assert_string_equal(bb_pkt_proto_name(k.proto), "tcp");

    off = ipv4(IPPROTO_ICMP, 8, 0);
    buf[off] = 8; /* echo request */
    assert_int_equal(bb_pkt_decode(buf, off + 8, &k, &why), 0);
    assert_true(k.has_icmp && !k.has_ports);
    assert_int_equal(k.icmp_type, 8);

    off = ipv4(IPPROTO_UDP, 8, 0x0010); /* offset 16*8: a later fragment */
    ports(off, 1, 2);
    assert_int_equal(bb_pkt_decode(buf, off + 8, &k, &why), 0);
    assert_true(k.later_fragment);
    assert_false(k.has_ports); /* those bytes are payload, not ports */

    off = ipv4(IPPROTO_UDP, 8, 0x2000); /* MF set, offset 0: first fragment */
    ports(off, 1, 123);
    assert_int_equal(bb_pkt_decode(buf, off + 8, &k, &why), 0);
    assert_true(k.has_ports);
    assert_int_equal(k.dport, 123);
}

static void test_ipv6_extension_headers(void **state)
{
    (void)state;
    struct bb_pkt k;
    const char *why;
    /* hop-by-hop (8) -> destination options (16) -> UDP */
    size_t off = ipv6(IPPROTO_HOPOPTS);
    buf[off] = IPPROTO_DSTOPTS;
    buf[off + 8] = IPPROTO_UDP;
    buf[off + 9] = 1; /* (1 + 1) * 8 = 16 bytes */
    ports(off + 24, 5353, 123);
    assert_int_equal(bb_pkt_decode(buf, off + 32, &k, &why), 0);
    assert_int_equal(k.family, AF_INET6);
    assert_int_equal(k.proto, IPPROTO_UDP);
    assert_int_equal(k.l4_off, 64);
    assert_int_equal(k.dport, 123);

    /* a first fragment carries the ports; a later one does not */
    off = ipv6(IPPROTO_FRAGMENT);
    buf[off] = IPPROTO_TCP;
    ports(off + 8, 40000, 22);
    assert_int_equal(bb_pkt_decode(buf, off + 28, &k, &why), 0);
    assert_true(k.has_ports);
    assert_int_equal(k.dport, 22);
    buf[off + 2] = 0x05; /* fragment offset != 0 */
    assert_int_equal(bb_pkt_decode(buf, off + 28, &k, &why), 0);
    assert_true(k.later_fragment);
    assert_false(k.has_ports);

    /* no next header: decoded, no upper layer */
    off = ipv6(59);
    assert_int_equal(bb_pkt_decode(buf, off, &k, &why), 0);
    assert_false(k.has_ports || k.has_icmp);
}

static void test_refused(void **state)
{
    (void)state;
    struct bb_pkt k;
    const char *why;
    size_t off = ipv4(IPPROTO_TCP, 20, 0);
    assert_int_equal(bb_pkt_decode(buf, 19, &k, &why), -1);
    assert_string_equal(why, "truncated IPv4 header");
    buf[0] = 0x4f; /* IHL 60 bytes in a 40-byte packet */
    assert_int_equal(bb_pkt_decode(buf, off + 20, &k, &why), -1);
    buf[0] = 0x45;
    buf[2] = 0;
    buf[3] = 10; /* total length under the header */
    assert_int_equal(bb_pkt_decode(buf, off + 20, &k, &why), -1);
    buf[0] = 0x55;
    assert_int_equal(bb_pkt_decode(buf, off + 20, &k, &why), -1);
    assert_string_equal(why, "not IPv4 or IPv6");
    assert_int_equal(bb_pkt_decode(buf, 0, &k, &why), -1);

    off = ipv6(IPPROTO_TCP);
    assert_int_equal(bb_pkt_decode(buf, 39, &k, &why), -1);
    /* an extension header claiming more bytes than there are */
    off = ipv6(IPPROTO_ROUTING);
    buf[off] = IPPROTO_UDP;
    buf[off + 1] = 20;
    assert_int_equal(bb_pkt_decode(buf, off + 16, &k, &why), -1);
    assert_string_equal(why, "truncated IPv6 extension header");
    /* a chain of BB_PKT_MAX_EXT + 1 destination options headers */
    off = ipv6(IPPROTO_DSTOPTS);
    for (int i = 0; i <= BB_PKT_MAX_EXT; i++)
        buf[off + 8 * (size_t)i] = i < BB_PKT_MAX_EXT ? IPPROTO_DSTOPTS : IPPROTO_UDP;
    assert_int_equal(bb_pkt_decode(buf, off + 8 * (BB_PKT_MAX_EXT + 1) + 8, &k, &why), -1);
    assert_string_equal(why, "too many IPv6 extension headers");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_ipv6_extension_headers),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests_name("gateway/pkt", tests, NULL, NULL);
}
