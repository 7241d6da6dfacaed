/*
 * Address classification: a table of addresses and their class, the
 * IPv4-embedding IPv6 forms included.
 */
#include "tests/unit/testutil.h"

#include "policy/addrclass.h"

#include <arpa/inet.h>

static enum bb_addr_class cls(const char *ip)
{
    uint8_t a[16];
    int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
    assert_int_equal(inet_pton(fam, ip, a), 1);
    return bb_addr_classify(fam, a);
}

static void test_table(void **state)
{
    (void)state;
    static const struct {
        const char *ip;
        enum bb_addr_class c;
    } t[] = {
        {"8.8.8.8", BB_ADDR_PUBLIC},
        {"1.1.1.1", BB_ADDR_PUBLIC},
        {"2001:4860:4860::8888", BB_ADDR_PUBLIC},
        {"127.0.0.1", BB_ADDR_FORBIDDEN},
        {"127.255.255.254", BB_ADDR_FORBIDDEN},
        {"169.254.169.254", BB_ADDR_FORBIDDEN},
        {"0.0.0.0", BB_ADDR_FORBIDDEN},
        {"0.1.2.3", BB_ADDR_FORBIDDEN},
        {"224.0.0.1", BB_ADDR_FORBIDDEN},
        {"239.255.255.250", BB_ADDR_FORBIDDEN},
        {"255.255.255.255", BB_ADDR_FORBIDDEN},
        {"240.0.0.1", BB_ADDR_FORBIDDEN},
        {"10.0.0.1", BB_ADDR_PRIVATE},
        {"10.201.3.2", BB_ADDR_PRIVATE},
        {"172.16.0.1", BB_ADDR_PRIVATE},
        {"172.31.255.255", BB_ADDR_PRIVATE},
        {"172.32.0.1", BB_ADDR_PUBLIC},
        {"192.168.1.1", BB_ADDR_PRIVATE},
        {"100.64.0.1", BB_ADDR_PRIVATE},
        {"100.127.255.255", BB_ADDR_PRIVATE},
        {"100.128.0.1", BB_ADDR_PUBLIC},
        {"::", BB_ADDR_FORBIDDEN},
        {"::1", BB_ADDR_FORBIDDEN},
        {"fe80::1", BB_ADDR_FORBIDDEN},
        {"febf::1", BB_ADDR_FORBIDDEN},
        {"ff02::1", BB_ADDR_FORBIDDEN},
        {"fc00::1", BB_ADDR_PRIVATE},
        {"fd00:201::2", BB_ADDR_PRIVATE},
        {"fec0::1", BB_ADDR_PRIVATE},
        /* IPv4 inside IPv6 */
        {"::ffff:127.0.0.1", BB_ADDR_FORBIDDEN},
        {"::ffff:169.254.169.254", BB_ADDR_FORBIDDEN},
        {"::ffff:10.0.0.1", BB_ADDR_PRIVATE},
        {"::ffff:8.8.8.8", BB_ADDR_PUBLIC},
        {"::127.0.0.1", BB_ADDR_FORBIDDEN},
        {"::10.1.2.3", BB_ADDR_PRIVATE},
        {"64:ff9b::127.0.0.1", BB_ADDR_FORBIDDEN},
        {"64:ff9b::a9fe:a9fe", BB_ADDR_FORBIDDEN},
        {"64:ff9b::8.8.8.8", BB_ADDR_PUBLIC},
        {"2002:7f00:1::", BB_ADDR_FORBIDDEN},
        {"2002:a00:1::", BB_ADDR_PRIVATE},
        {"2002:808:808::", BB_ADDR_PUBLIC},
        /* SIIT's IPv4-translated form, local-use NAT64, Teredo */
        {"::ffff:0:a9fe:a9fe", BB_ADDR_FORBIDDEN},
        {"::ffff:0:127.0.0.1", BB_ADDR_FORBIDDEN},
        {"::ffff:0:10.0.0.1", BB_ADDR_PRIVATE},
        {"::ffff:0:8.8.8.8", BB_ADDR_PUBLIC},
        {"64:ff9b:1::a9fe:a9fe", BB_ADDR_FORBIDDEN},
        {"64:ff9b:1::808:808", BB_ADDR_FORBIDDEN}, /* its embedding cannot be known */
        {"64:ff9b:1:a9:fea9:fe00::", BB_ADDR_FORBIDDEN},
        {"2001:0:4136:e378:8000:63bf:3fff:fdd2",
         BB_ADDR_FORBIDDEN}, /* RFC 4380's: client 192.0.2.45 */
        {"2001:0:4136:e378:8000:63bf:f7f7:f7f7", BB_ADDR_PUBLIC},    /* client 8.8.8.8 */
        {"2001:0:4136:e378:8000:63bf:80ff:fffe", BB_ADDR_FORBIDDEN}, /* client ~ = 127.0.0.1 */
        {"2001:0:4136:e378:8000:63bf:5601:5646", BB_ADDR_FORBIDDEN}, /* client = 169.254.169.185 */
        {"2001:0:4136:e378:8000:63bf:f5ff:fffe", BB_ADDR_PRIVATE},   /* client = 10.0.0.1 */
        {"2001:0:7f00:1:8000:63bf:f7f7:f7f7", BB_ADDR_FORBIDDEN},    /* server 127.0.0.1 */
        /* metadata endpoints: forbidden even inside private space */
        {"fd00:ec2::254", BB_ADDR_FORBIDDEN},
        {"fd00:ec2::253", BB_ADDR_PRIVATE},
        {"fd20:ce::254", BB_ADDR_FORBIDDEN},
        {"100.100.100.200", BB_ADDR_FORBIDDEN},
        {"100.100.100.201", BB_ADDR_PRIVATE},
        {"168.63.129.16", BB_ADDR_FORBIDDEN},
        {"168.63.129.17", BB_ADDR_PUBLIC},
        {"169.254.170.2", BB_ADDR_FORBIDDEN}, /* ECS task metadata */
        {"::ffff:100.100.100.200", BB_ADDR_FORBIDDEN},
        {"64:ff9b::6464:64c8", BB_ADDR_FORBIDDEN},
        /* the rest of the IPv4 special-purpose registry */
        {"192.0.0.192", BB_ADDR_FORBIDDEN}, /* OCI metadata */
        {"192.0.0.8", BB_ADDR_FORBIDDEN},
        {"192.0.2.1", BB_ADDR_FORBIDDEN},
        {"192.31.196.1", BB_ADDR_PUBLIC}, /* AS112: globally reachable */
        {"192.52.193.1", BB_ADDR_PUBLIC}, /* AMT */
        {"192.88.99.1", BB_ADDR_FORBIDDEN},
        {"198.18.0.1", BB_ADDR_PRIVATE},
        {"198.19.255.254", BB_ADDR_PRIVATE},
        {"198.20.0.1", BB_ADDR_PUBLIC},
        {"198.51.100.7", BB_ADDR_FORBIDDEN},
        {"203.0.113.9", BB_ADDR_FORBIDDEN},
        {"203.0.114.1", BB_ADDR_PUBLIC},
        /* the rest of the IPv6 one */
        {"100::1", BB_ADDR_FORBIDDEN},
        {"100:0:0:1::1", BB_ADDR_PUBLIC},
        {"2001:2::1", BB_ADDR_PRIVATE},
        {"2001:10::1", BB_ADDR_FORBIDDEN},
        {"2001:20::1", BB_ADDR_PUBLIC}, /* ORCHIDv2 */
        {"2001:db8::1", BB_ADDR_FORBIDDEN},
        {"3fff::1", BB_ADDR_FORBIDDEN},
        {"3fff:fff::1", BB_ADDR_FORBIDDEN},
        {"3fff:1000::1", BB_ADDR_PUBLIC},
        {"5f00::1", BB_ADDR_FORBIDDEN},
        {"2606:4700::1111", BB_ADDR_PUBLIC},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        enum bb_addr_class c = cls(t[i].ip);
        if (c != t[i].c)
            fprintf(stderr, "%s: %s, want %s\n", t[i].ip, bb_addr_class_name(c),
                    bb_addr_class_name(t[i].c));
        assert_int_equal(c, t[i].c);
    }
}

static void test_dialable(void **state)
{
    (void)state;
    uint8_t a[16];
    inet_pton(AF_INET, "10.1.2.3", a);
    assert_false(bb_addr_dialable(AF_INET, a, false));
    assert_true(bb_addr_dialable(AF_INET, a, true));
    inet_pton(AF_INET, "127.0.0.1", a);
    assert_false(bb_addr_dialable(AF_INET, a, true)); /* never, even when allowed */
    inet_pton(AF_INET, "169.254.169.254", a);
    assert_false(bb_addr_dialable(AF_INET, a, true));
    inet_pton(AF_INET6, "::ffff:127.0.0.1", a);
    assert_false(bb_addr_dialable(AF_INET6, a, true));
    inet_pton(AF_INET, "93.184.216.34", a);
    assert_true(bb_addr_dialable(AF_INET, a, false));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_dialable),
    };
    return cmocka_run_group_tests_name("policy/addrclass", tests, NULL, NULL);
}
