/*
 * Snapshots with tenants (gateway/state/snapshot.c): a client gets its
 * tenant's part (by address: the ruleset checks the interface), the unmatched tenant's, or
 * nothing; a part's references keep the whole snapshot alive (run under
 * ASan: a use after free or a leak fails it); without tenants a client
 * gets the snapshot itself.
 */
#include "tests/unit/testutil.h"

#include "gateway/state/secrets.h"
#include "gateway/state/snapshot.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#define YAML                                                                                       \
    "mode: gateway\ngateway:\n  client_interfaces: [veth-a, veth-b]\n"                             \
    "secrets_dir: /nonexistent/base\n%s"                                                           \
    "tenants:\n"                                                                                   \
    "  - name: a\n    match: {interfaces: [veth-a], sources: [10.1.0.0/24]}\n"                     \
    "    egress_policy: {rules: [{host: a.test, action: allow}]}\n"                                \
    "  - name: b\n    match: {interfaces: [veth-b], sources: [10.2.0.0/24]}\n"                     \
    "    secrets_dir: /nonexistent/b\n"                                                            \
    "    egress_policy: {rules: [{host: b.test, action: allow}]}\n"

static struct bb_snapshot *make(const char *extra)
{
    char y[2048];
    snprintf(y, sizeof(y), YAML, extra);
    const struct bb_config *c = tu_expect_ok(y);
    struct bb_cfgref *ref = bb_cfgref_new(c);
    struct bb_diag *d = bb_diag_new();
    struct bb_snapshot *s = bb_snapshot_new(ref, bb_secrets_load(c, d), 1);
    struct bb_secrets *sec[2] = {bb_secrets_load(c->tenants.list[0], d),
                                 bb_secrets_load(c->tenants.list[1], d)};
    assert_int_equal(bb_snapshot_add_tenants(s, sec, 2), 0);
    bb_cfgref_unref(ref); /* the snapshot holds it */
    bb_diag_free(d);
    return s;
}

static struct bb_snapshot *client(struct bb_snapshot *s, const char *ip)
{
    uint8_t a[16];
    int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
    assert_int_equal(inet_pton(fam, ip, a), 1);
    return bb_snapshot_for(s, fam, a);
}

static void test_parts(void **state)
{
    (void)state;
    struct bb_snapshot *s = make("");
    assert_int_equal(s->ntenants, 2);
    struct bb_snapshot *a = client(s, "10.1.0.5"), *b = client(s, "10.2.0.5");
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a->cfg->tenant_name, "a");
    assert_string_equal(b->cfg->tenant_name, "b");
    assert_string_equal(b->cfg->secrets_dir, "/nonexistent/b");
    assert_int_equal(b->cfg->egress.nrules, 1);
    assert_string_equal(b->cfg->egress.rules[0].host.name, "b.test");
    assert_null(client(s, "10.9.0.1")); /* no tenant, no fallback: refused */
    /* a socket's peer: an IPv4-mapped IPv6 address is the IPv4 one */
    struct sockaddr_storage ss = {0};
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, "::ffff:10.2.0.9", &s6->sin6_addr), 1);
    assert_ptr_equal(bb_snapshot_for_peer(s, &ss), b);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, "10.1.0.9", &s4->sin_addr), 1);
    assert_ptr_equal(bb_snapshot_for_peer(s, &ss), a);
    ss.ss_family = AF_UNIX;
    assert_null(bb_snapshot_for_peer(s, &ss));
    assert_null(client(s, "fd00::1"));
    /* a request pins its tenant's part: the whole stays until it lets go */
    bb_snapshot_ref(b);
    bb_snapshot_unref(s);
    assert_string_equal(b->cfg->tenant_name, "b");
    assert_string_equal(b->owner->cfg->tenant_name, "");
    bb_snapshot_unref(b); /* the last reference: everything goes */
}

static void test_fallback_and_none(void **state)
{
    (void)state;
    struct bb_snapshot *s = make("unmatched_tenant: b\n");
    struct bb_snapshot *x = client(s, "192.168.1.1");
    assert_non_null(x);
    assert_string_equal(x->cfg->tenant_name, "b");
    bb_snapshot_unref(s);
    const struct bb_config *c = tu_expect_ok("egress_policy: {rules: []}\n");
    struct bb_cfgref *ref = bb_cfgref_new(c);
    struct bb_diag *d = bb_diag_new();
    s = bb_snapshot_new(ref, bb_secrets_load(c, d), 1);
    bb_cfgref_unref(ref);
    bb_diag_free(d);
    assert_ptr_equal(client(s, "10.1.0.5"), s); /* no tenants: the snapshot itself */
    bb_snapshot_unref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_fallback_and_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
