/*
 * tenants (policy/config_tenant.c): each a config of its own with the
 * base's settings, every refusal with its position (overlapping matches,
 * a tenant without a match, unknown interfaces, duplicate names, top
 * level policy beside tenants, sidecar mode, an unknown fallback), and
 * errors inside a tenant's policy named under tenants[i].
 */
#include "tests/unit/testutil.h"

#include "policy/policy.h"
#include "policy/tenant_match.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#define BASE                                                                                       \
    "mode: gateway\ngateway:\n  client_interfaces: [veth-a, veth-b]\n"                             \
    "secrets_dir: /run/secrets/base\ntimeouts: {connect: 1234}\n"

#define TENANT_A                                                                                   \
    "  - name: team-a\n"                                                                           \
    "    match: {interfaces: [veth-a], sources: [10.1.0.0/24, \"fd00:1::/64\"]}\n"                 \
    "    egress_policy:\n      rules:\n        - {host: api.a.test, action: allow}\n"

#define TENANT_B                                                                                   \
    "  - name: team-b\n"                                                                           \
    "    match: {interfaces: [veth-b], sources: [10.2.0.0/24]}\n"                                  \
    "    secrets_dir: /run/secrets/b\n    dns: {enforce_names: false}\n"                           \
    "    max_connections: 50\n"                                                                    \
    "    egress_policy:\n      default_action: allow\n      rules:\n"                              \
    "        - {host: api.b.test, action: deny}\n"                                                 \
    "    credentials:\n      - {secret_ref: bkey, hosts: [api.c.test]}\n"

static long find(const struct bb_config *c, const char *ip)
{
    uint8_t a[16];
    int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
    assert_int_equal(inet_pton(fam, ip, a), 1);
    return bb_tmatch_find(c->tmatch, 0, fam, a); /* by address: the ruleset checks interfaces */
}

static void test_tenants(void **state)
{
    (void)state;
    const struct bb_config *c =
        tu_expect_ok(BASE "unmatched_tenant: team-a\ntenants:\n" TENANT_A TENANT_B);
    assert_int_equal(c->tenants.n, 2);
    assert_string_equal(c->unmatched, "team-a");
    const struct bb_config *a = c->tenants.list[0], *b = bb_config_tenant(c, "team-b");
    assert_non_null(b);
    assert_string_equal(a->tenant_name, "team-a");
    assert_int_equal(b->tenant_index, 1);
    assert_int_equal(a->timeouts.connect_ms, 1234); /* the base's settings */
    assert_string_equal(a->secrets_dir, "/run/secrets/base");
    assert_string_equal(b->secrets_dir, "/run/secrets/b"); /* its own */
    assert_true(a->dns.enforce_names);
    assert_false(b->dns.enforce_names);
    assert_int_equal(b->max_connections, 50);
    assert_int_equal(a->egress.nrules, 1);
    assert_int_equal(a->egress.default_action, BB_ACTION_DENY);
    assert_int_equal(b->egress.default_action, BB_ACTION_ALLOW);
    assert_int_equal(a->credentials.n, 0);
    assert_int_equal(b->credentials.n, 1);
    assert_non_null(a->policy);
    assert_non_null(b->policy);
    assert_null(bb_policy_match_host(a->policy, &b->egress.rules[0].host)); /* not a's */
    assert_int_equal(find(c, "10.1.0.7"), 0);
    assert_int_equal(find(c, "10.2.0.7"), 1);
    assert_int_equal(find(c, "fd00:1::9"), 0);
    assert_int_equal(find(c, "fd00:2::9"), -1);
    assert_int_equal(find(c, "10.1.1.1"), -1);
    assert_null(bb_config_tenant(c, "team-c"));
    bb_config_free(c);
    c = tu_expect_ok(BASE "egress_policy: {rules: []}\n"); /* no tenants: the base is the one */
    assert_int_equal(c->tenants.n, 0);
    assert_null(c->tmatch);
    assert_string_equal(c->unmatched, "");
    bb_config_free(c);
}

static void test_refusals(void **state)
{
    (void)state;
    { /* the ruleset's pairs are bounded: 513 tenants x 512 sources on one interface */
        static char y[1 << 23];
        size_t o = (size_t)snprintf(y, sizeof(y), BASE "tenants:\n");
        for (int t = 0; t < 513; t++) {
            o += (size_t)snprintf(y + o, sizeof(y) - o,
                                  "  - name: t%d\n    egress_policy: {rules: []}\n"
                                  "    match: {interfaces: [veth-a], sources: [",
                                  t);
            for (int k = 0; k < 512; k++)
                o += (size_t)snprintf(y + o, sizeof(y) - o, "%s10.%d.%d.%d/32", k ? ", " : "",
                                      t >> 8, t & 255, k & 255 ? k & 255 : 0);
            o += (size_t)snprintf(y + o, sizeof(y) - o, "]}\n");
        }
        tu_expect_error(y, "t.yaml:7:3: tenants: 262656 (interface, source) pairs in all; at "
                           "most 262144");
    }
    tu_expect_error(BASE "tenants:\n" TENANT_A "  - name: team-c\n"
                         "    match: {interfaces: [veth-b, veth-a], sources: [10.1.0.128/25]}\n"
                         "    egress_policy: {rules: []}\n",
                    "t.yaml:12:5: tenants[1].match: overlaps tenants[0] 'team-a' (line 7): "
                    "10.1.0.128/25 and 10.1.0.0/24 share addresses (an address names one "
                    "tenant, whatever the interface)");
    /* the same addresses behind two interfaces are two claims on them too */
    tu_expect_error(BASE "tenants:\n" TENANT_A "  - name: team-c\n"
                         "    match: {interfaces: [veth-b], sources: [10.1.0.0/16]}\n"
                         "    egress_policy: {rules: []}\n",
                    "t.yaml:12:5: tenants[1].match: overlaps tenants[0] 'team-a' (line 7): "
                    "10.1.0.0/16 and 10.1.0.0/24 share addresses (an address names one "
                    "tenant, whatever the interface)");
    /* a named subset of a shared secrets_dir: a ref outside it, at its place */
    tu_expect_error(BASE "tenants:\n" TENANT_A "    secrets: [openai]\n"
                         "    credentials:\n      - {secret_ref: github, hosts: [api.a.test]}\n",
                    "t.yaml:14:22: tenants[0].credentials[0].secret_ref: unknown secret ref "
                    "'github': not one of this tenant's secrets");
    tu_expect_error(
        BASE "tenants:\n  - name: x\n    match: {interfaces: [veth-a], sources: [10.0.0.0/8]}\n"
             "    secrets: [a-key]\n    egress_policy:\n      rules:\n"
             "        - host: x.test\n          action: allow\n          header_rewrites:\n"
             "            - {name: X-Key, value: \"{value}\", secret_ref: b-key}\n",
        "tenants[0].egress_policy.rules[0].header_rewrites[0].secret_ref: unknown "
        "secret ref 'b-key'");
    tu_expect_error(BASE "tenants:\n" TENANT_A "    secrets: []\n",
                    "tenants[0].secrets: at least one name");
    tu_expect_error(BASE "tenants:\n" TENANT_A "    secrets: [../x]\n",
                    "a secret's name is a file name in secrets_dir");
    { /* refs inside the subset, an oauth2 credential's name aside */
        const struct bb_config *c = tu_expect_ok(
            BASE "tenants:\n  - name: x\n    match: {interfaces: [veth-a], sources: [10.0.0.0/8]}\n"
                 "    secrets: [cid, csec, k]\n    egress_policy: {rules: []}\n    credentials:\n"
                 "      - {secret_ref: k, hosts: [k.test]}\n"
                 "      - {kind: oauth2, name: cc, token_url: \"https://auth.test/t\", "
                 "client_id_ref: cid, client_secret_ref: csec, hosts: [api.test]}\n");
        assert_int_equal(c->tenants.list[0]->nsecret_names, 3);
        bb_config_free(c);
    }
    /* a placeholders file is a tenant's own */
    tu_expect_error(BASE "placeholders_file: /run/p.env\ntenants:\n" TENANT_A,
                    "t.yaml:6:20: placeholders_file: with tenants, each tenant has its own "
                    "placeholders_file (none at the top level)");
    tu_expect_error(BASE
                    "tenants:\n" TENANT_A "    placeholders_file: /run/p.env\n"
                    "  - name: team-c\n    match: {interfaces: [veth-b], sources: [10.3.0.0/16]}\n"
                    "    placeholders_file: /run/p.env\n    egress_policy: {rules: []}\n",
                    "tenants[1]: the same placeholders_file as tenants[0] (line 7)");
    /* a refused client interface leaves a hole the tenants' names skip (the
     * fuzzer's crash: a tenant's interface compared with it) */
    tu_expect_error("mode: gateway\ngateway:\n  client_interfaces: [veth-a, \"a b\"]\n"
                    "tenants:\n" TENANT_A,
                    "invalid interface name 'a b'");
    /* interface patterns: a prefix and one star, last; no two entries overlap */
    tu_expect_error("mode: gateway\ngateway:\n  client_interfaces: [\"*\"]\n",
                    "t.yaml:3:23: gateway.client_interfaces[0]: invalid interface pattern '*'");
    tu_expect_error("mode: gateway\ngateway:\n  client_interfaces: [\"ca*li\"]\n",
                    "invalid interface pattern 'ca*li': a prefix then one '*', last");
    tu_expect_error("mode: gateway\ngateway:\n  client_interfaces: [\"cali*\", cali7]\n",
                    "t.yaml:3:32: gateway.client_interfaces[1]: 'cali7' overlaps "
                    "gateway.client_interfaces[0] 'cali*'");
    tu_expect_error("mode: gateway\ngateway:\n  client_interfaces: [\"veth*\", \"ve*\"]\n",
                    "'ve*' overlaps gateway.client_interfaces[0] 'veth*'");
    bb_config_free(
        tu_expect_ok("mode: gateway\ngateway:\n  client_interfaces: [\"cali*\", \"tap*\", eth1]\n"
                     "egress_policy: {rules: []}\n"));
    tu_expect_error(BASE "tenants:\n  - name: x\n    egress_policy: {rules: []}\n",
                    "t.yaml:7:5: tenants[0].match: missing required key");
    tu_expect_error(BASE "tenants:\n  - name: x\n    match: {interfaces: [veth-a]}\n"
                         "    egress_policy: {rules: []}\n",
                    "tenants[0].match.sources: missing required key");
    tu_expect_error(BASE
                    "tenants:\n  - name: x\n    match: {interfaces: [], sources: [10.0.0.0/8]}\n"
                    "    egress_policy: {rules: []}\n",
                    "tenants[0].match.interfaces: a tenant needs at least one interface");
    tu_expect_error(
        BASE "tenants:\n  - name: x\n    match: {interfaces: [eth9], sources: [10.0.0.0/8]}\n"
             "    egress_policy: {rules: []}\n",
        "tenants[0].match.interfaces[0]: not one of gateway.client_interfaces");
    tu_expect_error(
        BASE "tenants:\n  - name: x\n    match: {interfaces: [veth-a], sources: [10.0.0.1/8]}\n"
             "    egress_policy: {rules: []}\n",
        "tenants[0].match.sources[0]: invalid source");
    tu_expect_error(
        BASE
        "tenants:\n  - name: Team_A!\n    match: {interfaces: [veth-a], sources: [10.0.0.0/8]}\n"
        "    egress_policy: {rules: []}\n",
        "tenants[0].name: a name is 1 to 63 of a-z 0-9 - _ .");
    tu_expect_error(BASE
                    "tenants:\n" TENANT_A
                    "  - name: team-a\n    match: {interfaces: [veth-b], sources: [10.9.0.0/16]}\n"
                    "    egress_policy: {rules: []}\n",
                    "tenants[1]: the same name as tenants[0] (line 7)");
    tu_expect_error(BASE "egress_policy: {rules: []}\ntenants:\n" TENANT_A,
                    "tenants: with tenants, each tenant has its own egress_policy");
    tu_expect_error("gateway:\n  client_interfaces: [veth-a]\ntenants:\n" TENANT_A,
                    "tenants: tenants are for mode: gateway");
    tu_expect_error(BASE "unmatched_tenant: nobody\ntenants:\n" TENANT_A,
                    "unmatched_tenant: no tenant is named 'nobody'");
    tu_expect_error(BASE "unmatched_tenant: nobody\negress_policy: {rules: []}\n",
                    "unmatched_tenant: there are no tenants");
    tu_expect_error(BASE "tenants: []\n", "tenants: a list of 1 to 16384 tenants");
    tu_expect_error(BASE "\n", "egress_policy: missing required key");
    /* inside a tenant: its own key paths */
    tu_expect_error(
        BASE "tenants:\n  - name: x\n    match: {interfaces: [veth-a], sources: [10.0.0.0/8]}\n"
             "    egress_policy:\n      rules:\n        - {host: a.test, action: allow}\n"
             "        - {host: A.test, action: allow}\n",
        "tenants[0].egress_policy.rules[1].host: duplicate host");
    tu_expect_error(
        BASE "tenants:\n  - name: x\n    match: {interfaces: [veth-a], sources: [10.0.0.0/8]}\n"
             "    egress_policy: {rules: []}\n    listen_port: 99\n",
        "tenants[0].listen_port");
    tu_expect_error(
        BASE "tenants:\n  - name: x\n    match: {interfaces: [veth-a], sources: [10.0.0.0/8]}\n"
             "    egress_policy: {rules: []}\n"
             "    credentials:\n      - {secret_ref: k}\n",
        "tenants[0].credentials[0]: bound to no host");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tenants),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
