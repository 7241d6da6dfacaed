/*
 * The tenant matcher (policy/tenant_match.c): the same addresses behind
 * two interfaces are two tenants, IPv4 and IPv6, "any interface",
 * range edges, every kind of overlap refused with the pair named, and
 * random matchers checked against a walk of every tenant.
 */
#include "tests/unit/testutil.h"

#include "policy/tenant_match.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static struct bb_cidr cidr(const char *s)
{
    struct bb_cidr c;
    assert_null(bb_cidr_parse(s, strlen(s), &c));
    return c;
}

static long find(const struct bb_tmatch *m, uint16_t iface, const char *ip)
{
    uint8_t a[16];
    int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
    assert_int_equal(inet_pton(fam, ip, a), 1);
    return bb_tmatch_find(m, iface, fam, a);
}

static void test_interfaces_and_families(void **state)
{
    (void)state;
    const uint16_t if0[] = {0}, if1[] = {1}, any[] = {BB_TMATCH_ANY_IFACE};
    const struct bb_cidr a[] = {cidr("10.1.0.0/24"), cidr("fd00:1::/64")};
    const struct bb_cidr b[] = {cidr("10.1.0.0/24")}; /* A's addresses, behind another interface */
    const struct bb_cidr c[] = {cidr("192.168.7.7"), cidr("fd00:ffff::1")};
    const struct bb_tmatch_spec specs[] = {{if0, 1, a, 2}, {if1, 1, b, 1}, {any, 1, c, 2}};
    struct bb_tmatch_err err;
    struct bb_tmatch *m = bb_tmatch_build(specs, 3, 3, &err);
    assert_non_null(m);
    assert_int_equal(find(m, 0, "10.1.0.0"), 0);
    assert_int_equal(find(m, 0, "10.1.0.255"), 0);
    assert_int_equal(find(m, 0, "10.1.1.0"), -1);
    assert_int_equal(find(m, 0, "10.0.255.255"), -1);
    assert_int_equal(find(m, 1, "10.1.0.9"), 1); /* same address, the other interface */
    assert_int_equal(find(m, 2, "10.1.0.9"), -1);
    assert_int_equal(find(m, 0, "fd00:1::abcd"), 0);
    assert_int_equal(find(m, 1, "fd00:1::abcd"), -1);
    assert_int_equal(find(m, 0, "fd00:1:0:1::"), -1);
    for (uint16_t i = 0; i < 3; i++) { /* any interface */
        assert_int_equal(find(m, i, "192.168.7.7"), 2);
        assert_int_equal(find(m, i, "fd00:ffff::1"), 2);
        assert_int_equal(find(m, i, "192.168.7.8"), -1);
    }
    assert_int_equal(find(m, 3, "10.1.0.1"), -1); /* no such interface */
    uint8_t v4[4] = {10, 1, 0, 1};
    assert_int_equal(bb_tmatch_find(m, 0, AF_UNIX, v4), -1);
    assert_true(bb_tmatch_bytes(m) > 0);
    bb_tmatch_free(m);
    const struct bb_cidr all[] = {cidr("0.0.0.0/0"), cidr("::/0")};
    const struct bb_tmatch_spec whole = {if0, 1, all, 2};
    m = bb_tmatch_build(&whole, 1, 1, &err);
    assert_int_equal(find(m, 0, "255.255.255.255"), 0);
    assert_int_equal(find(m, 0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 0);
    assert_int_equal(find(m, 0, "::"), 0);
    bb_tmatch_free(m);
    assert_int_equal(bb_tmatch_find(NULL, 0, AF_INET, v4), -1);
}

static void overlap(const struct bb_tmatch_spec *specs, size_t n, size_t ta, size_t tb,
                    uint16_t iface)
{
    struct bb_tmatch_err err;
    assert_null(bb_tmatch_build(specs, n, 2, &err));
    assert_true(err.overlap);
    assert_int_equal(err.iface, iface);
    size_t lo = ta < tb ? ta : tb, hi = ta < tb ? tb : ta;
    assert_int_equal(err.tenant_a < err.tenant_b ? err.tenant_a : err.tenant_b, lo);
    assert_int_equal(err.tenant_a < err.tenant_b ? err.tenant_b : err.tenant_a, hi);
}

static void test_overlaps(void **state)
{
    (void)state;
    const uint16_t if0[] = {0}, if1[] = {1}, any[] = {BB_TMATCH_ANY_IFACE};
    const struct bb_cidr wide[] = {cidr("10.0.0.0/8")}, inner[] = {cidr("10.9.9.0/24")};
    const struct bb_cidr v6[] = {cidr("fd00::/16")}, v6in[] = {cidr("fd00:1::1")};
    const struct bb_cidr twice[] = {cidr("10.2.0.0/16"), cidr("10.2.3.0/24")};
    const struct bb_tmatch_spec nested[] = {{if0, 1, wide, 1}, {if0, 1, inner, 1}};
    overlap(nested, 2, 0, 1, 0);
    const struct bb_tmatch_spec six[] = {{if1, 1, v6in, 1}, {if1, 1, v6, 1}};
    overlap(six, 2, 0, 1, 1);
    const struct bb_tmatch_spec anyone[] = {{any, 1, inner, 1}, {if1, 1, wide, 1}};
    overlap(anyone, 2, 0, 1, 1); /* "any" includes interface 1 */
    const struct bb_tmatch_spec self = {if0, 1, twice, 2};
    overlap(&self, 1, 0, 0, 0);
    const struct bb_tmatch_spec apart[] = {{if0, 1, wide, 1}, {if1, 1, inner, 1}};
    struct bb_tmatch_err err;
    struct bb_tmatch *m = bb_tmatch_build(apart, 2, 2, &err); /* other interfaces: fine */
    assert_non_null(m);
    bb_tmatch_free(m);
    const uint16_t if5[] = {5};
    const struct bb_tmatch_spec bad = {if5, 1, wide, 1};
    assert_null(bb_tmatch_build(&bad, 1, 2, &err)); /* no such interface */
    assert_false(err.overlap);
    assert_null(bb_tmatch_build(&apart[0], 1, 0, &err));
}

/* Random disjoint tenants (each a few /24s and /120s from its own slots),
 * looked up at random: the matcher agrees with a walk of every tenant. */
static void test_random_against_walk(void **state)
{
    (void)state;
    enum { TENANTS = 500, PER = 3, PROBES = 20000, IFACES = 4 };
    static struct bb_cidr cidrs[TENANTS][PER];
    static uint16_t ifs[TENANTS];
    static struct bb_tmatch_spec specs[TENANTS];
    srand(7);
    for (size_t t = 0; t < TENANTS; t++) {
        ifs[t] = (uint16_t)(rand() % IFACES);
        for (size_t k = 0; k < PER; k++) {
            unsigned slot = (unsigned)(t * PER + k);
            struct bb_cidr *c = &cidrs[t][k];
            memset(c, 0, sizeof(*c));
            if (k % 2 == 0) {
                c->family = AF_INET;
                c->addr[0] = 10;
                c->addr[1] = (uint8_t)(slot >> 8);
                c->addr[2] = (uint8_t)slot;
                c->prefix = 24;
            } else {
                c->family = AF_INET6;
                c->addr[0] = 0xfd;
                c->addr[13] = (uint8_t)(slot >> 8);
                c->addr[14] = (uint8_t)slot;
                c->prefix = 120;
            }
        }
        specs[t] = (struct bb_tmatch_spec){&ifs[t], 1, cidrs[t], PER};
    }
    struct bb_tmatch_err err;
    struct bb_tmatch *m = bb_tmatch_build(specs, TENANTS, IFACES, &err);
    assert_non_null(m);
    for (int i = 0; i < PROBES; i++) {
        uint16_t iface = (uint16_t)(rand() % IFACES);
        int fam = rand() % 2 ? AF_INET : AF_INET6;
        uint8_t a[16] = {0};
        unsigned slot = (unsigned)(rand() % (TENANTS * PER + 50));
        if (fam == AF_INET) {
            a[0] = 10;
            a[1] = (uint8_t)(slot >> 8);
            a[2] = (uint8_t)slot;
            a[3] = (uint8_t)rand();
        } else {
            a[0] = 0xfd;
            a[13] = (uint8_t)(slot >> 8);
            a[14] = (uint8_t)slot;
            a[15] = (uint8_t)rand();
        }
        long want = -1;
        for (size_t t = 0; t < TENANTS && want < 0; t++)
            for (size_t k = 0; k < PER; k++)
                if (ifs[t] == iface && bb_cidr_contains(&cidrs[t][k], fam, a))
                    want = (long)t;
        assert_int_equal(bb_tmatch_find(m, iface, fam, a), want);
    }
    bb_tmatch_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interfaces_and_families),
        cmocka_unit_test(test_overlaps),
        cmocka_unit_test(test_random_against_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
