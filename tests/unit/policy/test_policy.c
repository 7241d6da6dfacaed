/*
 * Policy engine: the original BotBox allowlist behaviours, then wildcards,
 * methods, path prefixes with ambiguous encodings, enforce: false, DNS names
 * and flow rules.
 */
#include "tests/unit/testutil.h"

#include "policy/policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

static struct bb_decision http(const struct bb_config *c, const char *authority, const char *method,
                               const char *target)
{
    struct bb_decision d;
    bb_policy_check_http(c->policy, authority, strlen(authority), method, strlen(method), target,
                         strlen(target), &d);
    return d;
}

static enum bb_verdict get(const struct bb_config *c, const char *authority)
{
    return http(c, authority, "GET", "/").verdict;
}

#define ALLOW BB_VERDICT_ALLOW
#define DENY  BB_VERDICT_DENY

static const char one_rule[] = "egress_policy:\n  rules:\n"
                               "    - host: api.openai.com\n      action: allow\n"
                               "      header_rewrites:\n        - name: Authorization\n"
                               "          value: \"Bearer {value}\"\n"
                               "          secret_ref: my-secret\n";

/* ---- BotBox allowlist behaviours ---- */

static void test_allow_known_deny_unknown(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(one_rule);
    struct bb_decision d = http(c, "api.openai.com", "GET", "/");
    assert_int_equal(d.verdict, ALLOW);
    assert_int_equal(d.reason, BB_REASON_RULE);
    assert_ptr_equal(d.rule, &c->egress.rules[0]);
    /* The rule comes back with its rewrites. */
    assert_int_equal(d.rule->nrewrites, 1);
    assert_string_equal(d.rule->rewrites[0].name, "Authorization");
    d = http(c, "evil.com", "GET", "/");
    assert_int_equal(d.verdict, DENY);
    assert_int_equal(d.reason, BB_REASON_NO_RULE);
    assert_null(d.rule);
    bb_config_free(c);
}

static void test_case_insensitive(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(one_rule);
    assert_int_equal(get(c, "API.OPENAI.COM"), ALLOW);
    assert_int_equal(get(c, "Api.OpenAI.Com"), ALLOW);
    bb_config_free(c);
}

static void test_port_443_stripping(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(one_rule);
    assert_int_equal(get(c, "api.openai.com:443"), ALLOW);
    assert_int_equal(get(c, "api.openai.com."), ALLOW); /* trailing dot */
    assert_int_equal(get(c, "api.openai.com.:443"), ALLOW);
    bb_config_free(c);
}

static void test_explicit_deny_under_default_allow(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok("egress_policy:\n  default_action: allow\n  rules:\n"
                                             "    - host: blocked.com\n      action: deny\n");
    struct bb_decision d = http(c, "blocked.com", "GET", "/");
    assert_int_equal(d.verdict, DENY);
    assert_int_equal(d.reason, BB_REASON_DENY_RULE);
    assert_ptr_equal(d.rule, &c->egress.rules[0]);
    assert_int_equal(get(c, "other.com"), ALLOW);
    bb_config_free(c);
}

static void test_default_allow_bare_rule(void **state)
{
    (void)state;
    const struct bb_config *c =
        tu_expect_ok("egress_policy:\n  default_action: allow\n  rules: []\n");
    struct bb_decision d = http(c, "any-host.com", "POST", "/x");
    assert_int_equal(d.verdict, ALLOW);
    assert_int_equal(d.reason, BB_REASON_DEFAULT_ALLOW);
    assert_non_null(d.rule);
    assert_ptr_equal(d.rule, bb_policy_default_rule());
    assert_int_equal(d.rule->nrewrites, 0);
    assert_string_equal(d.rule->host.name, "_default_allow");
    bb_config_free(c);
}

static void test_ipv6_rule(void **state)
{
    (void)state;
    const struct bb_config *c =
        tu_expect_ok("egress_policy:\n  rules:\n    - host: \"::1\"\n      action: allow\n"
                     "      allowed_ports: [443, 8080]\n");
    assert_int_equal(get(c, "[::1]:8080"), ALLOW);
    assert_int_equal(get(c, "::1"), ALLOW); /* bare IPv6: no port, so 443 */
    assert_int_equal(get(c, "[::1]"), ALLOW);
    assert_int_equal(get(c, "[0:0:0:0:0:0:0:1]:443"), ALLOW); /* canonical form */
    assert_int_equal(get(c, "[::1]:9999"), DENY);
    assert_int_equal(get(c, "[::2]:8080"), DENY);
    bb_config_free(c);
}

static void test_non_443_denied_by_default(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(one_rule);
    struct bb_decision d = http(c, "api.openai.com:8443", "GET", "/");
    assert_int_equal(d.verdict, DENY);
    assert_int_equal(d.reason, BB_REASON_PORT);
    assert_ptr_equal(d.rule, &c->egress.rules[0]);
    assert_int_equal(get(c, "api.openai.com"), ALLOW); /* no port means 443 */
    bb_config_free(c);
}

static void test_explicit_port_allowance(void **state)
{
    (void)state;
    const struct bb_config *c =
        tu_expect_ok("egress_policy:\n  rules:\n    - host: api.openai.com\n      action: allow\n"
                     "      allowed_ports: [443, 8443]\n");
    assert_int_equal(get(c, "api.openai.com:8443"), ALLOW);
    assert_int_equal(get(c, "api.openai.com:9999"), DENY);
    assert_int_equal(get(c, "api.openai.com"), ALLOW);
    bb_config_free(c);
}

static void test_default_allow_denies_non_443(void **state)
{
    (void)state;
    const struct bb_config *c =
        tu_expect_ok("egress_policy:\n  default_action: allow\n  rules: []\n");
    struct bb_decision d = http(c, "any-host.com:8443", "GET", "/");
    assert_int_equal(d.verdict, DENY);
    assert_int_equal(d.reason, BB_REASON_PORT);
    assert_int_equal(get(c, "any-host.com:443"), ALLOW);
    bb_config_free(c);
}

static void test_bad_authority(void **state)
{
    (void)state;
    const struct bb_config *c =
        tu_expect_ok("egress_policy:\n  default_action: allow\n  rules: []\n");
    static const char *const bad[] = {"",           "allowed.test@evil.test",
                                      "a b.com",    "a.com:x",
                                      "a.com:0",    "[::1",
                                      "127.1",      "0x7f.0.0.1",
                                      "a..com",     "%2e.com",
                                      "host\t.com", "*.a.com"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct bb_decision d = http(c, bad[i], "GET", "/");
        if (d.reason != BB_REASON_BAD_HOST)
            fprintf(stderr, "not refused: '%s'\n", bad[i]);
        assert_int_equal(d.verdict, DENY);
        assert_int_equal(d.reason, BB_REASON_BAD_HOST);
    }
    bb_config_free(c);
}

/* ---- wildcards ---- */

static const char wild[] = "egress_policy:\n  rules:\n"
                           "    - host: \"*.example.com\"\n      action: allow\n"
                           "    - host: \"*.deep.example.com\"\n      action: deny\n"
                           "    - host: exact.deep.example.com\n      action: allow\n"
                           "      allowed_ports: [8443]\n";

static void test_wildcard_subdomains_only(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(wild);
    struct bb_decision d = http(c, "a.example.com", "GET", "/");
    assert_int_equal(d.verdict, ALLOW);
    assert_ptr_equal(d.rule, &c->egress.rules[0]);
    assert_int_equal(get(c, "x.y.example.com"), ALLOW);
    assert_int_equal(get(c, "example.com"), DENY); /* never the apex */
    assert_int_equal(get(c, "badexample.com"), DENY);
    assert_int_equal(get(c, "example.com.evil.test"), DENY);
    bb_config_free(c);
}

static void test_most_specific_wildcard_and_exact(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(wild);
    /* *.deep.example.com is more specific than *.example.com. */
    struct bb_decision d = http(c, "x.deep.example.com", "GET", "/");
    assert_int_equal(d.verdict, DENY);
    assert_ptr_equal(d.rule, &c->egress.rules[1]);
    assert_int_equal(d.reason, BB_REASON_DENY_RULE);
    /* The apex of the deeper wildcard falls back to the shorter one. */
    assert_int_equal(get(c, "deep.example.com"), ALLOW);
    /* Exact beats any wildcard: its own port list applies. */
    d = http(c, "exact.deep.example.com:8443", "GET", "/");
    assert_int_equal(d.verdict, ALLOW);
    assert_ptr_equal(d.rule, &c->egress.rules[2]);
    assert_int_equal(get(c, "exact.deep.example.com"), DENY); /* 443 not listed there */
    bb_config_free(c);
}

/* ---- methods and paths ---- */

static const char scoped[] = "egress_policy:\n  rules:\n"
                             "    - host: api.test\n      action: allow\n"
                             "      methods: [GET, POST]\n"
                             "      paths: [\"/v1/\", \"/health\"]\n";

static void test_methods(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(scoped);
    assert_int_equal(http(c, "api.test", "GET", "/v1/models").verdict, ALLOW);
    assert_int_equal(http(c, "api.test", "POST", "/v1/chat").verdict, ALLOW);
    struct bb_decision d = http(c, "api.test", "DELETE", "/v1/models");
    assert_int_equal(d.verdict, DENY);
    assert_int_equal(d.reason, BB_REASON_METHOD);
    assert_int_equal(http(c, "api.test", "PROPFIND", "/v1/").verdict, DENY);
    bb_config_free(c);
}

/* X-HTTP-Method-Override and its kin are judged as the method they name. */
static struct bb_decision overridden(const struct bb_config *c, const char *method,
                                     const char *override)
{
    struct bb_decision d = http(c, "api.test", method, "/v1/models");
    bb_policy_check_method_override(c->policy, override, strlen(override), &d);
    return d;
}

static void test_method_override(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(scoped); /* api.test: GET, POST */
    assert_int_equal(overridden(c, "POST", "GET").verdict, ALLOW);
    assert_int_equal(overridden(c, "POST", "get").verdict, ALLOW); /* tokens in any case */
    struct bb_decision d = overridden(c, "POST", "DELETE");
    assert_int_equal(d.verdict, DENY);
    assert_int_equal(d.reason, BB_REASON_METHOD);
    assert_int_equal(overridden(c, "GET", "PROPFIND").verdict, DENY); /* unknown: not listed */
    assert_int_equal(overridden(c, "DELETE", "GET").verdict, DENY); /* the real one still counts */
    assert_int_equal(overridden(c, "GET", "TRACE").reason, BB_REASON_FORBIDDEN_METHOD);
    assert_true(bb_policy_is_method_override("X-HTTP-Method-Override", 22));
    assert_true(bb_policy_is_method_override("x-http-method", 13));
    assert_true(bb_policy_is_method_override("X-Method-Override", 17));
    assert_false(bb_policy_is_method_override("X-HTTP-Method-Overrid", 21));
    bb_config_free(c);
    /* a rule without methods: any override but the forbidden ones */
    c = tu_expect_ok("egress_policy:\n  rules:\n    - host: api.test\n      action: allow\n");
    assert_int_equal(overridden(c, "POST", "DELETE").verdict, ALLOW);
    assert_int_equal(overridden(c, "GET", "TRACK").verdict, DENY);
    bb_config_free(c);
    /* enforce: false makes it would_deny, like the method itself */
    c = tu_expect_ok("egress_policy:\n  enforce: false\n  rules:\n"
                     "    - host: api.test\n      action: allow\n      methods: [GET]\n");
    assert_int_equal(overridden(c, "GET", "DELETE").verdict, BB_VERDICT_WOULD_DENY);
    bb_config_free(c);
}

static void test_forbidden_methods_always(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok("egress_policy:\n  default_action: allow\n  rules:\n"
                                             "    - host: api.test\n      action: allow\n");
    static const char *const m[] = {"CONNECT", "TRACE", "TRACK"};
    for (size_t i = 0; i < 3; i++) {
        struct bb_decision d = http(c, "api.test", m[i], "/");
        assert_int_equal(d.verdict, DENY);
        assert_int_equal(d.reason, BB_REASON_FORBIDDEN_METHOD);
    }
    /* Without a methods list other methods are fine, as in BotBox. */
    assert_int_equal(http(c, "api.test", "PROPFIND", "/").verdict, ALLOW);
    bb_config_free(c);
}

static void test_path_prefixes(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(scoped);
    assert_int_equal(http(c, "api.test", "GET", "/v1/").verdict, ALLOW);
    assert_int_equal(http(c, "api.test", "GET", "/v1/models?limit=5").verdict, ALLOW);
    assert_int_equal(http(c, "api.test", "GET", "/health").verdict, ALLOW);
    assert_int_equal(http(c, "api.test", "GET", "/health/deep").verdict, ALLOW);
    struct bb_decision d = http(c, "api.test", "GET", "/healthz");
    assert_int_equal(d.verdict, DENY); /* segment-aware: /health is not /healthz */
    assert_int_equal(d.reason, BB_REASON_PATH);
    assert_int_equal(http(c, "api.test", "GET", "/v1").verdict, DENY);
    assert_int_equal(http(c, "api.test", "GET", "/admin").verdict, DENY);
    assert_int_equal(http(c, "api.test", "GET", "/V1/models").verdict, DENY);
    /* The query never counts as path. */
    assert_int_equal(http(c, "api.test", "GET", "/admin?x=/v1/").verdict, DENY);
    /* Dot segments are resolved before matching. */
    assert_int_equal(http(c, "api.test", "GET", "/v1/../admin").verdict, DENY);
    assert_int_equal(http(c, "api.test", "GET", "/admin/../v1/x").verdict, ALLOW);
    assert_int_equal(http(c, "api.test", "GET", "/v1/./models").verdict, ALLOW);
    /* Escaped unreserved characters decode to one reading. */
    assert_int_equal(http(c, "api.test", "GET", "/%76%31/models").verdict, ALLOW);
    bb_config_free(c);
}

static void test_ambiguous_paths_denied(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(scoped);
    static const char *const bad[] = {
        "/v1/%2e%2e/admin", "/v1/%2E%2E/admin", "/v1%2fadmin", "/v1/%2F../admin", "/v1/..%5cadmin",
        "/v1\\..\\admin",   "/v1//../admin",    "/v1/%00",     "/v1/%zz",         "/v1/%4",
        "/v1/x#frag",       "v1/models",        "/v1/\x01",    "/../v1/",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct bb_decision d = http(c, "api.test", "GET", bad[i]);
        if (d.reason != BB_REASON_AMBIGUOUS_PATH)
            fprintf(stderr, "not refused as ambiguous: '%s' (%s)\n", bad[i],
                    bb_reason_name(d.reason));
        assert_int_equal(d.verdict, DENY);
        assert_int_equal(d.reason, BB_REASON_AMBIGUOUS_PATH);
        assert_ptr_equal(d.rule, &c->egress.rules[0]);
    }
    bb_config_free(c);
}

static void test_paths_unchecked_without_paths(void **state)
{
    (void)state;
    /* A rule without paths does not care what the path looks like. */
    const struct bb_config *c = tu_expect_ok(one_rule);
    assert_int_equal(http(c, "api.openai.com", "GET", "/a/%2e%2e/b").verdict, ALLOW);
    bb_config_free(c);
}

/* ---- enforce: false ---- */

static void test_audit_only(void **state)
{
    (void)state;
    const struct bb_config *c =
        tu_expect_ok("egress_policy:\n  enforce: false\n  rules:\n"
                     "    - host: api.test\n      action: allow\n      methods: [GET]\n");
    struct bb_decision d = http(c, "other.test", "GET", "/");
    assert_int_equal(d.verdict, BB_VERDICT_WOULD_DENY);
    assert_int_equal(d.reason, BB_REASON_NO_RULE);
    d = http(c, "api.test", "POST", "/");
    assert_int_equal(d.verdict, BB_VERDICT_WOULD_DENY);
    assert_int_equal(d.reason, BB_REASON_METHOD);
    assert_int_equal(http(c, "api.test", "GET", "/").verdict, ALLOW);
    assert_string_equal(bb_verdict_name(BB_VERDICT_WOULD_DENY), "would_deny");
    bb_config_free(c);
}

/* ---- DNS names ---- */

static enum bb_verdict name(const struct bb_config *c, const char *n)
{
    struct bb_decision d;
    bb_policy_check_name(c->policy, n, strlen(n), &d);
    return d.verdict;
}

static void test_names(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(wild);
    assert_int_equal(name(c, "a.example.com"), ALLOW);
    assert_int_equal(name(c, "A.Example.COM."), ALLOW);
    assert_int_equal(name(c, "example.com"), DENY);
    assert_int_equal(name(c, "x.deep.example.com"), DENY);
    assert_int_equal(name(c, "exact.deep.example.com"), ALLOW); /* ports do not matter */
    assert_int_equal(name(c, "c2VjcmV0.exfil.test"), DENY);
    assert_int_equal(name(c, "a.example.com:443"), DENY); /* names carry no port */
    bb_config_free(c);
    c = tu_expect_ok("egress_policy:\n  default_action: allow\n  rules:\n"
                     "    - host: blocked.test\n      action: deny\n");
    assert_int_equal(name(c, "anything.test"), ALLOW);
    assert_int_equal(name(c, "blocked.test"), DENY);
    bb_config_free(c);
}

/* What the policy did not write of an allowed name: the labels a wildcard
 * or a default allow matched (the forwarder limits their length). */
static size_t unwritten(const struct bb_config *c, const char *n)
{
    struct bb_decision d;
    bb_policy_check_name(c->policy, n, strlen(n), &d);
    assert_int_equal(d.verdict, ALLOW);
    return bb_policy_unwritten_len(&d, strlen(n));
}

static void test_unwritten_part(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(wild);
    assert_int_equal(unwritten(c, "exact.deep.example.com"), 0);
    assert_int_equal(unwritten(c, "abc.example.com"), 3);
    assert_int_equal(unwritten(c, "x.abc.example.com"), 5);
    bb_config_free(c);
    c = tu_expect_ok("egress_policy:\n  default_action: allow\n  rules: []\n");
    assert_int_equal(unwritten(c, "anything.test"), 13);
    bb_config_free(c);
}

/* ---- flows ---- */

static struct bb_decision flow(const struct bb_config *c, int proto, const char *ip, uint16_t port)
{
    uint8_t a[16];
    int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
    assert_int_equal(inet_pton(fam, ip, a), 1);
    struct bb_decision d;
    bb_policy_check_flow(c->policy, proto, fam, a, port, &d);
    return d;
}

static void test_flows(void **state)
{
    (void)state;
    const struct bb_config *c =
        tu_expect_ok("egress_policy:\n  rules: []\n  flows:\n"
                     "    - proto: udp\n      cidr: 10.201.0.0/16\n      ports: [123]\n"
                     "    - proto: tcp\n      cidr: \"fd00:201::/64\"\n      ports: [5432]\n"
                     "    - proto: tcp\n      cidr: 10.201.3.4\n      ports: [22]\n");
    struct bb_decision d = flow(c, IPPROTO_UDP, "10.201.9.9", 123);
    assert_int_equal(d.verdict, ALLOW);
    assert_ptr_equal(d.flow, &c->egress.flows[0]);
    assert_int_equal(flow(c, IPPROTO_UDP, "10.201.9.9", 124).verdict, DENY);
    assert_int_equal(flow(c, IPPROTO_TCP, "10.201.9.9", 123).verdict, DENY);
    assert_int_equal(flow(c, IPPROTO_UDP, "10.202.0.1", 123).verdict, DENY);
    assert_int_equal(flow(c, IPPROTO_TCP, "fd00:201::5", 5432).verdict, ALLOW);
    assert_int_equal(flow(c, IPPROTO_TCP, "fd00:201:0:1::5", 5432).verdict, DENY);
    assert_int_equal(flow(c, IPPROTO_TCP, "fd00:201::5", 5433).verdict, DENY);
    assert_int_equal(flow(c, IPPROTO_TCP, "10.201.3.4", 22).verdict, ALLOW);
    assert_int_equal(flow(c, IPPROTO_TCP, "10.201.3.5", 22).verdict, DENY);
    /* An IPv4-mapped IPv6 address is not the IPv4 address. */
    assert_int_equal(flow(c, IPPROTO_UDP, "::ffff:10.201.9.9", 123).verdict, DENY);
    d = flow(c, IPPROTO_ICMP, "10.201.9.9", 0);
    assert_int_equal(d.verdict, DENY);
    assert_int_equal(d.reason, BB_REASON_NO_FLOW);
    bb_config_free(c);
}

static void test_flows_ignore_default_allow(void **state)
{
    (void)state;
    /* default_action governs HTTP(S) hosts; other traffic needs a flow. */
    const struct bb_config *c =
        tu_expect_ok("egress_policy:\n  default_action: allow\n  enforce: false\n  rules: []\n");
    struct bb_decision d = flow(c, IPPROTO_UDP, "10.201.0.1", 53);
    assert_int_equal(d.verdict, BB_VERDICT_WOULD_DENY);
    bb_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allow_known_deny_unknown),
        cmocka_unit_test(test_case_insensitive),
        cmocka_unit_test(test_port_443_stripping),
        cmocka_unit_test(test_explicit_deny_under_default_allow),
        cmocka_unit_test(test_default_allow_bare_rule),
        cmocka_unit_test(test_ipv6_rule),
        cmocka_unit_test(test_non_443_denied_by_default),
        cmocka_unit_test(test_explicit_port_allowance),
        cmocka_unit_test(test_default_allow_denies_non_443),
        cmocka_unit_test(test_bad_authority),
        cmocka_unit_test(test_wildcard_subdomains_only),
        cmocka_unit_test(test_most_specific_wildcard_and_exact),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_method_override),
        cmocka_unit_test(test_forbidden_methods_always),
        cmocka_unit_test(test_path_prefixes),
        cmocka_unit_test(test_ambiguous_paths_denied),
        cmocka_unit_test(test_paths_unchecked_without_paths),
        cmocka_unit_test(test_audit_only),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_unwritten_part),
        cmocka_unit_test(test_flows),
        cmocka_unit_test(test_flows_ignore_default_allow),
    };
    return cmocka_run_group_tests_name("policy/policy", tests, NULL, NULL);
}
