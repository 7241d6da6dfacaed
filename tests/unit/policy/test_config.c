/*
 * Config loader: every validation rule of docs/reference.md §2 with its message and
 * position, defaults, the mitm alias, environment overrides, and the YAML
 * subset (duplicate keys, aliases, tags, encodings).
 */
#include "tests/unit/testutil.h"

#include <netinet/in.h>

#define POLICY_EMPTY "egress_policy:\n  rules: []\n"

/* ---- defaults and the original example ---- */

#define TLS_ON_EARLY POLICY_EMPTY "https_interception:\n  enabled: true\n"

static void test_defaults(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(POLICY_EMPTY);
    assert_int_equal(c->mode, BB_MODE_SIDECAR);
    assert_string_equal(c->listen_addr, "127.0.0.1");
    assert_int_equal(c->listen_port, 8080);
    assert_string_equal(c->metrics_addr, "127.0.0.1");
    assert_int_equal(c->metrics_port, 9090);
    assert_string_equal(c->secrets_dir, "/var/run/secrets/botbox");
    assert_int_equal(c->max_connections, 1024);
    assert_false(c->allow_non_loopback);
    assert_int_equal(c->proxy_uid, 1337);
    assert_int_equal(c->workers, 0);
    assert_int_equal(c->timeouts.connect_ms, 5000);
    assert_int_equal(c->timeouts.request_header_ms, 10000);
    assert_int_equal(c->timeouts.response_header_ms, 30000);
    assert_int_equal(c->timeouts.idle_ms, 60000);
    assert_int_equal(c->timeouts.shutdown_drain_ms, 20000);
    assert_string_equal(c->upstream.ca_file, "");
    assert_true(c->upstream.deny_private);
    assert_true(c->upstream.http2);
    assert_int_equal(c->audit.output, BB_AUDIT_STDOUT);
    assert_int_equal(c->egress.default_action, BB_ACTION_DENY);
    assert_true(c->egress.enforce);
    assert_int_equal(c->dns.listen_port, 5353);
    assert_string_equal(c->dns.upstream, "");
    assert_true(c->dns.enforce_names);
    assert_int_equal(c->dns.wildcard_label_max, BB_DNS_WILDCARD_LABEL_DEFAULT);
    assert_false(c->tls.enabled);
    assert_string_equal(c->tls.listen_addr, "127.0.0.1");
    assert_int_equal(c->tls.listen_port, 8443);
    assert_string_equal(c->tls.ca_cert_path, "/etc/botbox/https_interception/ca.crt");
    assert_string_equal(c->tls.ca_key_path, "/etc/botbox/https_interception/ca.key");
    assert_true(c->tls.enforce_sni_host_match);
    assert_false(c->tls.deny_handshake_on_disallowed_sni);
    assert_int_equal(c->tls.cert_ttl_seconds, 86400);
    assert_int_equal(c->tls.cert_cache_size, 1024);
    assert_int_equal(c->tls.cert_cache_ttl_seconds, 3600);
    assert_int_equal(c->tls.handshake_timeout_ms, 5000);
    assert_true(c->tls.http2);
    assert_true(c->enable_ipv6);
    bb_config_free(c);
}

static const char botbox_example[] = "listen_addr: \"127.0.0.1\"\n"
                                     "listen_port: 8080\n"
                                     "metrics_port: 9090\n"
                                     "secrets_dir: \"/var/run/secrets\"\n"
                                     "egress_policy:\n"
                                     "  default_action: deny\n"
                                     "  rules:\n"
                                     "    - host: api.openai.com\n"
                                     "      action: allow\n"
                                     "      header_rewrites:\n"
                                     "        - name: Authorization\n"
                                     "          value: \"Bearer {value}\"\n"
                                     "          secret_ref: openai-api-key\n"
                                     "    - host: api.anthropic.com\n"
                                     "      action: allow\n"
                                     "      header_rewrites:\n"
                                     "        - name: x-api-key\n"
                                     "          value: \"{value}\"\n"
                                     "          secret_ref: anthropic-api-key\n"
                                     "        - name: anthropic-version\n"
                                     "          value: 2023-06-01\n";

static void test_original_example(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(botbox_example);
    assert_int_equal(c->egress.nrules, 2);
    const struct bb_rule *r = &c->egress.rules[0];
    assert_string_equal(r->host.name, "api.openai.com");
    assert_int_equal(r->action, BB_ACTION_ALLOW);
    assert_int_equal(r->nports, 1);
    assert_int_equal(r->ports[0], 443);
    assert_true(r->ports_default);
    assert_int_equal(r->nrewrites, 1);
    assert_string_equal(r->rewrites[0].name, "Authorization");
    assert_string_equal(r->rewrites[0].value, "Bearer {value}");
    assert_string_equal(r->rewrites[0].secret_ref, "openai-api-key");
    r = &c->egress.rules[1];
    assert_int_equal(r->nrewrites, 2);
    assert_null(r->rewrites[1].secret_ref);
    /* An unquoted date-like value stays the string it looks like. */
    assert_string_equal(r->rewrites[1].value, "2023-06-01");
    assert_string_equal(c->secrets_dir, "/var/run/secrets");
    bb_config_free(c);
}

/* ---- rule validation kept from BotBox ---- */

static void test_empty_host(void **state)
{
    (void)state;
    tu_expect_error("egress_policy:\n  rules:\n    - host: \"\"\n      action: allow\n",
                    "t.yaml:3:13: egress_policy.rules[0].host: empty host");
}

static void test_host_whitespace(void **state)
{
    (void)state;
    tu_expect_error("egress_policy:\n  rules:\n    - host: \" api.openai.com\"\n"
                    "      action: allow\n",
                    "t.yaml:3:13: egress_policy.rules[0].host: host ' api.openai.com' has "
                    "leading or trailing whitespace");
    tu_expect_error("egress_policy:\n  rules:\n    - host: \"api.openai.com\\t\"\n"
                    "      action: allow\n",
                    "egress_policy.rules[0].host: host 'api.openai.com\t' has leading");
}

static void test_duplicate_host_case(void **state)
{
    (void)state;
    tu_expect_error("egress_policy:\n  rules:\n"
                    "    - host: api.openai.com\n      action: allow\n"
                    "    - host: API.OPENAI.COM\n      action: allow\n",
                    "t.yaml:5:13: egress_policy.rules[1].host: duplicate host in egress policy "
                    "after normalization: 'API.OPENAI.COM' (same as rules[0] at line 3)");
}

static void test_duplicate_host_port_and_dot(void **state)
{
    (void)state;
    tu_expect_error("egress_policy:\n  rules:\n"
                    "    - host: example.com\n      action: allow\n"
                    "    - host: EXAMPLE.COM:443\n      action: allow\n",
                    "t.yaml:5:13: egress_policy.rules[1].host: duplicate host");
    tu_expect_error("egress_policy:\n  rules:\n"
                    "    - host: example.com\n      action: allow\n"
                    "    - host: example.com.\n      action: deny\n",
                    "egress_policy.rules[1].host: duplicate host");
    tu_expect_error("egress_policy:\n  rules:\n"
                    "    - host: \"::1\"\n      action: allow\n"
                    "    - host: \"[0:0::1]:443\"\n      action: allow\n",
                    "egress_policy.rules[1].host: duplicate host");
}

static void test_wildcard_and_apex_not_duplicates(void **state)
{
    (void)state;
    const struct bb_config *c =
        tu_expect_ok("egress_policy:\n  rules:\n"
                     "    - host: example.com\n      action: allow\n"
                     "    - host: \"*.example.com\"\n      action: allow\n");
    assert_int_equal(c->egress.rules[1].host.kind, BB_HOST_WILDCARD);
    bb_config_free(c);
}

static void test_invalid_hosts(void **state)
{
    (void)state;
    tu_expect_error("egress_policy:\n  rules:\n    - host: \"a.*.com\"\n      action: allow\n",
                    "t.yaml:3:13: egress_policy.rules[0].host: invalid host 'a.*.com': invalid "
                    "character in host");
    tu_expect_error("egress_policy:\n  rules:\n    - host: \"example.com:https\"\n"
                    "      action: allow\n",
                    "invalid host 'example.com:https': invalid port");
    tu_expect_error("egress_policy:\n  rules:\n    - host: \"*.10.0.0.1\"\n      action: allow\n",
                    "wildcard over an IP address");
    tu_expect_error("egress_policy:\n  rules:\n    - host: \"bad_host\"\n      action: allow\n",
                    "invalid character in host");
}

static void test_host_port_warning(void **state)
{
    (void)state;
    tu_expect_warning("egress_policy:\n  rules:\n    - host: example.com:8443\n"
                      "      action: allow\n",
                      "t.yaml:3:13: egress_policy.rules[0].host: the port in 'example.com:8443' "
                      "is ignored; list ports in allowed_ports");
}

static void test_empty_allowed_ports(void **state)
{
    (void)state;
    tu_expect_error("egress_policy:\n  rules:\n    - host: example.com\n      action: allow\n"
                    "      allowed_ports: []\n",
                    "t.yaml:5:22: egress_policy.rules[0].allowed_ports: allowed_ports cannot be "
                    "empty");
}

static void test_port_zero_and_range(void **state)
{
    (void)state;
    tu_expect_error("egress_policy:\n  rules:\n    - host: example.com\n      action: allow\n"
                    "      allowed_ports: [443, 0]\n",
                    "t.yaml:5:28: egress_policy.rules[0].allowed_ports[1]: must be between 1 "
                    "and 65535");
    tu_expect_error("egress_policy:\n  rules:\n    - host: example.com\n      action: allow\n"
                    "      allowed_ports: [70000]\n",
                    "allowed_ports[0]: must be between 1 and 65535");
    tu_expect_error("egress_policy:\n  rules:\n    - host: example.com\n      action: allow\n"
                    "      allowed_ports: [443, 443]\n",
                    "allowed_ports[1]: port 443 listed twice");
    tu_expect_error("listen_port: 0\n" POLICY_EMPTY, "t.yaml:1:14: listen_port: must be between");
    tu_expect_error("dns:\n  wildcard_label_max: 64\n" POLICY_EMPTY,
                    "t.yaml:2:23: dns.wildcard_label_max: must be between 1 and 63");
}

static void test_invalid_action(void **state)
{
    (void)state;
    tu_expect_error("egress_policy:\n  rules:\n    - host: example.com\n      action: maybe\n",
                    "t.yaml:4:15: egress_policy.rules[0].action: must be one of: deny, allow");
    tu_expect_error("egress_policy:\n  rules:\n    - host: example.com\n",
                    "t.yaml:3:7: egress_policy.rules[0].action: missing required key");
}

static void test_rewrite_header_names(void **state)
{
    (void)state;
    tu_expect_error("egress_policy:\n  rules:\n    - host: example.com\n      action: allow\n"
                    "      header_rewrites:\n        - name: \"\"\n          value: x\n",
                    "t.yaml:6:17: egress_policy.rules[0].header_rewrites[0].name: empty header "
                    "name");
    tu_expect_error("egress_policy:\n  rules:\n    - host: example.com\n      action: allow\n"
                    "      header_rewrites:\n"
                    "        - name: \"invalid header name with spaces\"\n          value: x\n",
                    "header_rewrites[0].name: invalid header name");
    tu_expect_error("egress_policy:\n  rules:\n    - host: example.com\n      action: allow\n"
                    "      header_rewrites:\n        - name: \"X-Bad:\"\n          value: x\n",
                    "invalid header name");
}

static void test_rewrite_reserved_headers(void **state)
{
    (void)state;
    static const char *const reserved[] = {"Host",
                                           "Connection",
                                           "Keep-Alive",
                                           "Proxy-Connection",
                                           "Proxy-Authenticate",
                                           "Proxy-Authorization",
                                           "TE",
                                           "Trailer",
                                           "Transfer-Encoding",
                                           "Upgrade",
                                           "host"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        char yaml[512], want[256];
        snprintf(yaml, sizeof(yaml),
                 "egress_policy:\n  rules:\n    - host: example.com\n      action: allow\n"
                 "      header_rewrites:\n        - name: %s\n          value: x\n",
                 reserved[i]);
        snprintf(want, sizeof(want),
                 "t.yaml:6:17: egress_policy.rules[0].header_rewrites[0].name: header cannot be "
                 "used in rewrites (reserved or hop-by-hop): '%s'",
                 reserved[i]);
        tu_expect_error(yaml, want);
    }
}

static void test_rewrite_value_and_secret_ref(void **state)
{
    (void)state;
    struct bb_diag *d = bb_diag_new();
    /* A CR in a value would inject a header line; the value is not echoed. */
    const char *yaml = "egress_policy:\n  rules:\n    - host: example.com\n      action: allow\n"
                       "      header_rewrites:\n        - name: X-Key\n"
                       "          value: \"sk-secret\\r\\nX-Evil: 1\"\n";
    assert_null(tu_load_env(yaml, d, NULL));
    assert_true(tu_has(d, BB_DIAG_ERROR,
                       "t.yaml:7:18: egress_policy.rules[0].header_rewrites[0].value: invalid "
                       "character in header value"));
    for (size_t i = 0; i < bb_diag_count(d); i++)
        assert_null(strstr(bb_diag_text(d, i), "sk-secret"));
    bb_diag_free(d);
    tu_expect_error("egress_policy:\n  rules:\n    - host: example.com\n      action: allow\n"
                    "      header_rewrites:\n        - name: X-Key\n          value: \"{value}\"\n"
                    "          secret_ref: ../etc/passwd\n",
                    "header_rewrites[0].secret_ref: secret_ref must be a file name, not a path");
    tu_expect_error("egress_policy:\n  rules:\n    - host: example.com\n      action: allow\n"
                    "      header_rewrites:\n        - name: X-Key\n          value: \"{value}\"\n"
                    "          secret_ref: .hidden\n",
                    "secret_ref cannot start with '.'");
    tu_expect_error("egress_policy:\n  rules:\n    - host: example.com\n      action: allow\n"
                    "      header_rewrites:\n        - name: X-Key\n          value: a\n"
                    "        - name: x-key\n          value: b\n",
                    "t.yaml:8:11: egress_policy.rules[0].header_rewrites[1]: header 'x-key' is "
                    "rewritten twice");
    tu_expect_error("egress_policy:\n  rules:\n    - host: example.com\n      action: allow\n"
                    "      header_rewrites:\n        - name: X-Key\n",
                    "t.yaml:6:11: egress_policy.rules[0].header_rewrites[0].value: missing "
                    "required key");
    tu_expect_warning("egress_policy:\n  rules:\n    - host: example.com\n      action: allow\n"
                      "      header_rewrites:\n        - name: X-Key\n          value: static\n"
                      "          secret_ref: k\n",
                      "secret_ref is set but value has no {value} placeholder");
    /* a literal credential: by the header's name, or by the value's shape */
    static const char *const literal[] = {"- name: Authorization\n          value: xyz\n",
                                          "- name: X-Key\n          value: \"Bearer abc\"\n",
                                          "- name: X-Key\n          value: sk-abc\n"};
    for (size_t i = 0; i < 3; i++) {
        char y[512];
        snprintf(y, sizeof(y),
                 "egress_policy:\n  rules:\n    - host: example.com\n      action: allow\n"
                 "      header_rewrites:\n        %s",
                 literal[i]);
        tu_expect_warning(y, "looks like a credential: keep it in secrets_dir");
    }
    d = bb_diag_new(); /* a plain literal, or a secret: no such warning */
    const struct bb_config *c = tu_load_env(
        "egress_policy:\n  rules:\n    - host: example.com\n      action: allow\n"
        "      header_rewrites:\n        - name: X-Version\n          value: 2023-06-01\n"
        "        - name: Authorization\n          value: \"Bearer {value}\"\n"
        "          secret_ref: k\n",
        d, NULL);
    assert_non_null(c);
    assert_false(tu_has(d, BB_DIAG_WARNING, "looks like a credential"));
    bb_config_free(c);
    bb_diag_free(d);
}

/* ---- new rule keys ---- */

static void test_methods(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok("egress_policy:\n  rules:\n    - host: a.example\n"
                                             "      action: allow\n      methods: [get, POST]\n");
    assert_int_equal(c->egress.rules[0].methods, BB_METHOD_GET | BB_METHOD_POST);
    bb_config_free(c);
    tu_expect_error("egress_policy:\n  rules:\n    - host: a.example\n      action: allow\n"
                    "      methods: [GET, FETCH]\n",
                    "t.yaml:5:22: egress_policy.rules[0].methods[1]: unknown method");
    tu_expect_error("egress_policy:\n  rules:\n    - host: a.example\n      action: allow\n"
                    "      methods: [CONNECT]\n",
                    "methods[0]: method CONNECT is never allowed by botbox");
    tu_expect_error("egress_policy:\n  rules:\n    - host: a.example\n      action: allow\n"
                    "      methods: []\n",
                    "methods: methods cannot be empty");
}

static void test_paths(void **state)
{
    (void)state;
    const struct bb_config *c =
        tu_expect_ok("egress_policy:\n  rules:\n    - host: a.example\n      action: allow\n"
                     "      paths: [\"/v1/\", \"/a/./b/../c\", \"/%7Euser\"]\n");
    assert_int_equal(c->egress.rules[0].npaths, 3);
    assert_string_equal(c->egress.rules[0].paths[0], "/v1/");
    assert_string_equal(c->egress.rules[0].paths[1], "/a/c");
    assert_string_equal(c->egress.rules[0].paths[2], "/~user");
    bb_config_free(c);
    tu_expect_error("egress_policy:\n  rules:\n    - host: a.example\n      action: allow\n"
                    "      paths: [\"v1\"]\n",
                    "t.yaml:5:15: egress_policy.rules[0].paths[0]: path must start with '/'");
    tu_expect_error("egress_policy:\n  rules:\n    - host: a.example\n      action: allow\n"
                    "      paths: [\"/v1?x=1\"]\n",
                    "paths[0]: a path prefix cannot contain a query");
    tu_expect_error("egress_policy:\n  rules:\n    - host: a.example\n      action: allow\n"
                    "      paths: [\"/a%2fb\"]\n",
                    "paths[0]: ambiguous percent-escape in path");
}

static void test_passthrough_rules(void **state)
{
    (void)state;
    tu_expect_error("egress_policy:\n  rules:\n    - host: a.example\n      action: allow\n"
                    "      tls: passthrough\n"
                    "      header_rewrites:\n        - name: Authorization\n"
                    "          value: \"Bearer {value}\"\n          secret_ref: k\n",
                    "t.yaml:5:12: egress_policy.rules[0]: tls: passthrough cannot inject secrets");
    tu_expect_error("egress_policy:\n  rules:\n    - host: a.example\n      action: allow\n"
                    "      tls: passthrough\n      methods: [GET]\n",
                    "tls: passthrough cannot check methods or paths");
    tu_expect_error("egress_policy:\n  rules:\n    - host: a.example\n      action: allow\n"
                    "      tls: sniff\n",
                    "egress_policy.rules[0].tls: must be one of: intercept, passthrough");
    const struct bb_config *c = tu_expect_ok("egress_policy:\n  rules:\n    - host: a.example\n"
                                             "      action: allow\n      tls: passthrough\n");
    assert_int_equal(c->egress.rules[0].tls, BB_TLS_PASSTHROUGH);
    bb_config_free(c);
}

static void test_failed_list_elements(void **state)
{
    (void)state;
    /* fuzz_config regression: a rewrite that fails to decode left the rule
     * with a count and no array, and the passthrough check read it. */
    tu_expect_error("egress_policy:\n  rules:\n    - host: a.example\n      action: allow\n"
                    "      tls: passthrough\n      header_rewrites:\n        - name: [x]\n",
                    "header_rewrites[0].name: expected a string, got a list");
    tu_expect_error("egress_policy:\n  rules:\n    - host: a.example\n      action: allow\n"
                    "      tls: passthrough\n      allowed_ports: [x]\n      paths: [[1]]\n",
                    "allowed_ports[0]: expected an integer");
    tu_expect_error("egress_policy:\n  rules: []\n  flows:\n    - proto: tcp\n"
                    "      cidr: 10.0.0.0/8\n      ports: [1, x]\n",
                    "flows[0].ports[1]: expected an integer");
}

static void test_deny_rule_extras_warn(void **state)
{
    (void)state;
    tu_expect_warning("egress_policy:\n  rules:\n    - host: a.example\n      action: deny\n"
                      "      allowed_ports: [80]\n",
                      "a deny rule ignores allowed_ports");
}

/* ---- flows ---- */

static void test_flows(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok("egress_policy:\n  rules: []\n  flows:\n"
                                             "    - proto: udp\n      cidr: 10.0.0.0/8\n"
                                             "      ports: [123]\n"
                                             "    - proto: tcp\n      cidr: \"fd00:201::/64\"\n"
                                             "      ports: [5432, 5433]\n");
    assert_int_equal(c->egress.nflows, 2);
    assert_int_equal(c->egress.flows[0].proto, IPPROTO_UDP);
    assert_int_equal(c->egress.flows[0].cidr.prefix, 8);
    assert_int_equal(c->egress.flows[1].proto, IPPROTO_TCP);
    assert_int_equal(c->egress.flows[1].cidr.prefix, 64);
    assert_int_equal(c->egress.flows[1].nports, 2);
    bb_config_free(c);
    tu_expect_error("egress_policy:\n  rules: []\n  flows:\n"
                    "    - proto: udp\n      cidr: 10.0.0.0/33\n      ports: [123]\n",
                    "t.yaml:5:13: egress_policy.flows[0].cidr: invalid CIDR '10.0.0.0/33': "
                    "invalid prefix length");
    tu_expect_error("egress_policy:\n  rules: []\n  flows:\n"
                    "    - proto: udp\n      cidr: 300.0.0.0/8\n      ports: [123]\n",
                    "invalid IP address in CIDR");
    tu_expect_error("egress_policy:\n  rules: []\n  flows:\n"
                    "    - proto: udp\n      cidr: 10.0.0.1/8\n      ports: [123]\n",
                    "bits set beyond the prefix length");
    tu_expect_error("egress_policy:\n  rules: []\n  flows:\n"
                    "    - proto: icmp\n      cidr: 10.0.0.0/8\n      ports: [1]\n",
                    "egress_policy.flows[0].proto: must be one of: tcp, udp");
    tu_expect_error("egress_policy:\n  rules: []\n  flows:\n"
                    "    - proto: udp\n      cidr: 10.0.0.0/8\n      ports: [0]\n",
                    "egress_policy.flows[0].ports[0]: must be between 1 and 65535");
    tu_expect_error("egress_policy:\n  rules: []\n  flows:\n"
                    "    - proto: udp\n      cidr: 10.0.0.0/8\n",
                    "t.yaml:4:7: egress_policy.flows[0].ports: missing required key");
}

/* ---- listeners ---- */

static void test_listen_addr(void **state)
{
    (void)state;
    tu_expect_error("listen_addr: \"0.0.0.0\"\n" POLICY_EMPTY,
                    "t.yaml:1:14: listen_addr: '0.0.0.0' is not loopback; set "
                    "allow_non_loopback: true");
    tu_expect_error("listen_addr: localhost\n" POLICY_EMPTY,
                    "t.yaml:1:14: listen_addr: must be an IP literal, got 'localhost'");
    tu_expect_error("metrics_addr: \"10.1.2.3\"\n" POLICY_EMPTY,
                    "t.yaml:1:15: metrics_addr: '10.1.2.3' is not loopback");
    tu_expect_warning("listen_addr: \"0.0.0.0\"\nallow_non_loopback: true\n" POLICY_EMPTY,
                      "non-loopback listeners are permitted");
    const struct bb_config *c = tu_expect_ok("listen_addr: \"::1\"\n" POLICY_EMPTY);
    assert_string_equal(c->listen_addr, "::1");
    bb_config_free(c);
}

static void test_port_collisions(void **state)
{
    (void)state;
    tu_expect_error("listen_port: 9090\n" POLICY_EMPTY,
                    "t.yaml:1:14: listen_port: port 9090 collides with metrics_port");
    tu_expect_error("dns:\n  listen_port: 8080\n" POLICY_EMPTY,
                    "t.yaml:2:16: dns.listen_port: port 8080 collides with listen_port");
    tu_expect_error(POLICY_EMPTY "https_interception:\n  enabled: true\n  listen_port: 8080\n",
                    "t.yaml:5:16: https_interception.listen_port: port 8080 collides with "
                    "listen_port");
    tu_expect_error(POLICY_EMPTY "mitm:\n  enabled: true\n  listen_port: 9090\n",
                    "t.yaml:5:16: mitm.listen_port: port 9090 collides with metrics_port");
    /* Disabled interception does not take its port. */
    bb_config_free(tu_expect_ok(POLICY_EMPTY "https_interception:\n  listen_port: 8080\n"));
    const struct bb_config *c = tu_expect_ok(TLS_ON_EARLY "  http2: true\n");
    assert_true(c->tls.http2);
    bb_config_free(c);
    tu_expect_error(TLS_ON_EARLY "  http2: maybe\n",
                    "t.yaml:5:10: https_interception.http2: expected true or false");
}

/* ---- interception limits kept from BotBox ---- */

#define TLS_ON POLICY_EMPTY "https_interception:\n  enabled: true\n"

static void test_interception_loopback(void **state)
{
    (void)state;
    tu_expect_error(TLS_ON "  listen_addr: \"0.0.0.0\"\n",
                    "t.yaml:5:16: https_interception.listen_addr: '0.0.0.0' must be loopback");
    tu_expect_error("allow_non_loopback: true\n" TLS_ON "  listen_addr: \"10.0.0.1\"\n",
                    "https_interception.listen_addr: '10.0.0.1' must be loopback");
    tu_expect_error(TLS_ON "  listen_addr: nothere\n", "must be an IP literal, got 'nothere'");
}

static void test_interception_ranges(void **state)
{
    (void)state;
    tu_expect_error(TLS_ON "  cert_ttl_seconds: 59\n",
                    "t.yaml:5:21: https_interception.cert_ttl_seconds: 59 must be between 60 and "
                    "604800");
    tu_expect_error(TLS_ON "  cert_ttl_seconds: 604801\n  cert_cache_ttl_seconds: 60\n",
                    "cert_ttl_seconds: 604801 must be between 60 and 604800");
    bb_config_free(tu_expect_ok(TLS_ON "  cert_ttl_seconds: 60\n  cert_cache_ttl_seconds: 60\n"));
    bb_config_free(tu_expect_ok(TLS_ON "  cert_ttl_seconds: 604800\n"));
    tu_expect_error(TLS_ON "  cert_cache_size: 0\n",
                    "t.yaml:5:20: https_interception.cert_cache_size: must be greater than 0");
    tu_expect_error(TLS_ON "  cert_ttl_seconds: 600\n  cert_cache_ttl_seconds: 601\n",
                    "t.yaml:6:27: https_interception.cert_cache_ttl_seconds: 601 must not exceed "
                    "cert_ttl_seconds (600)");
    bb_config_free(tu_expect_ok(TLS_ON "  cert_ttl_seconds: 600\n  cert_cache_ttl_seconds: 600\n"));
    tu_expect_error(TLS_ON "  handshake_timeout_ms: 99\n",
                    "https_interception.handshake_timeout_ms: 99 must be between 100 and 60000");
    tu_expect_error(TLS_ON "  handshake_timeout_ms: 60001\n",
                    "handshake_timeout_ms: 60001 must be between 100 and 60000");
    bb_config_free(tu_expect_ok(TLS_ON "  handshake_timeout_ms: 100\n"));
    bb_config_free(tu_expect_ok(TLS_ON "  handshake_timeout_ms: 60000\n"));
    tu_expect_error(TLS_ON "  ca_cert_path: \"\"\n  ca_key_path: \"\"\n",
                    "https_interception.ca_cert_path: must not be empty");
    tu_expect_error(TLS_ON "  ca_key_path: \"\"\n", "https_interception.ca_key_path: must not be "
                                                    "empty");
    /* BotBox checked these only when interception is on; so do we. */
    bb_config_free(tu_expect_ok(POLICY_EMPTY "https_interception:\n  cert_ttl_seconds: 5\n"));
}

static void test_mitm_alias(void **state)
{
    (void)state;
    tu_expect_warning(POLICY_EMPTY "mitm:\n  enabled: true\n  ca_cert_path: /x/ca.crt\n"
                                   "  ca_key_path: /x/ca.key\n",
                      "t.yaml:3:1: mitm: mitm is deprecated; rename it to https_interception");
    const struct bb_config *c =
        tu_expect_ok(POLICY_EMPTY "mitm:\n  enabled: true\n  listen_port: 9443\n");
    assert_true(c->tls.enabled);
    assert_int_equal(c->tls.listen_port, 9443);
    bb_config_free(c);
    tu_expect_error(POLICY_EMPTY "mitm:\n  enabled: true\nhttps_interception:\n  enabled: true\n",
                    "mitm: both mitm and https_interception are set");
}

/* ---- other sections ---- */

static void test_gateway_mode(void **state)
{
    (void)state;
    tu_expect_error("mode: gateway\n" POLICY_EMPTY,
                    "t.yaml:1:7: mode: gateway mode needs gateway.client_interfaces");
    const struct bb_config *c =
        tu_expect_ok("mode: gateway\ngateway:\n  client_interfaces: [veth0, br-x]\n" POLICY_EMPTY);
    assert_int_equal(c->mode, BB_MODE_GATEWAY);
    assert_int_equal(c->gateway.nclient_interfaces, 2);
    assert_string_equal(c->gateway.client_interfaces[1], "br-x");
    assert_int_equal(c->gateway.client_interface_pos[1].line, 3);
    bb_config_free(c);
    tu_expect_error(
        "mode: gateway\ngateway:\n  client_interfaces: [averyveryverylongname]\n" POLICY_EMPTY,
        "t.yaml:3:23: gateway.client_interfaces[0]: invalid interface name");
    tu_expect_error("mode: bridge\n" POLICY_EMPTY, "mode: must be one of: sidecar, gateway");
    tu_expect_warning("gateway:\n  client_interfaces: [veth0]\n" POLICY_EMPTY,
                      "gateway.client_interfaces is ignored in sidecar mode");
}

static void test_audit_dns_timeouts(void **state)
{
    (void)state;
    tu_expect_error("audit:\n  output: audit.log\n" POLICY_EMPTY,
                    "t.yaml:2:11: audit.output: must be stdout, stderr or an absolute file path");
    const struct bb_config *c = tu_expect_ok("audit:\n  output: /var/log/a.jsonl\n"
                                             "dns:\n  upstream: \"10.201.0.1:53\"\n" POLICY_EMPTY);
    assert_int_equal(c->audit.output, BB_AUDIT_FILE);
    assert_string_equal(c->audit.path, "/var/log/a.jsonl");
    bb_config_free(c);
    tu_expect_error("dns:\n  upstream: resolver.local\n" POLICY_EMPTY,
                    "t.yaml:2:13: dns.upstream: must be an IP address");
    tu_expect_error("timeouts:\n  connect: 0\n" POLICY_EMPTY,
                    "t.yaml:2:12: timeouts.connect: must be between 1 and 3600000");
    tu_expect_error("timeouts:\n  idle: 3600001\n" POLICY_EMPTY, "timeouts.idle: must be between");
    tu_expect_error("max_connections: 0\n" POLICY_EMPTY, "max_connections: must be between 1");
    tu_expect_error("workers: 1000\n" POLICY_EMPTY, "workers: must be between 0 and 256");
    tu_expect_error("secrets_dir: \"\"\n" POLICY_EMPTY, "t.yaml:1:14: secrets_dir: must not be "
                                                        "empty");
}

static void test_types(void **state)
{
    (void)state;
    tu_expect_error("listen_port: \"8080\"\n" POLICY_EMPTY,
                    "t.yaml:1:14: listen_port: expected an integer");
    tu_expect_error("listen_port: 0x1f90\n" POLICY_EMPTY, "listen_port: expected an integer");
    tu_expect_error("listen_port: -1\n" POLICY_EMPTY, "listen_port: must be between 1 and 65535");
    tu_expect_error("allow_non_loopback: yes\n" POLICY_EMPTY,
                    "t.yaml:1:21: allow_non_loopback: expected true or false");
    tu_expect_error("listen_addr: [1]\n" POLICY_EMPTY,
                    "t.yaml:1:14: listen_addr: expected a string, got a list");
    tu_expect_error("timeouts: 5\n" POLICY_EMPTY,
                    "t.yaml:1:11: timeouts: expected a mapping, got a scalar");
    tu_expect_error("egress_policy:\n  rules: {}\n",
                    "t.yaml:2:10: egress_policy.rules: expected a list, got a mapping");
    tu_expect_error("egress_policy:\n  rules:\n    - api.example\n",
                    "t.yaml:3:7: egress_policy.rules[0]: expected a rule mapping, got a scalar");
}

static void test_unknown_keys(void **state)
{
    (void)state;
    tu_expect_error("egres_policy:\n  rules: []\n", "t.yaml:1:1: egres_policy: unknown key");
    tu_expect_error("egress_policy:\n  rules:\n    - host: api.example\n      action: allow\n"
                    "      alowed_ports: [443]\n",
                    "t.yaml:5:7: egress_policy.rules[0].alowed_ports: unknown key");
    tu_expect_error(POLICY_EMPTY "https_interception:\n  enabeld: true\n",
                    "t.yaml:4:3: https_interception.enabeld: unknown key");
    tu_expect_error("listen_port: 8080\n", "t.yaml:1:1: egress_policy: missing required key");
}

/* ---- environment overrides ---- */

static void test_env_overrides(void **state)
{
    (void)state;
    static const char *const env[] = {"BOTBOX_UID=2000",
                                      "BOTBOX_PROXY_PORT=18080",
                                      "BOTBOX_ENABLE_HTTPS_INTERCEPTION=1",
                                      "BOTBOX_HTTPS_INTERCEPTION_PORT=18443",
                                      "BOTBOX_ENABLE_IPV6=0",
                                      NULL};
    /* Env wins over the file, the file over defaults. */
    const struct bb_config *c =
        tu_expect_ok_env("proxy_uid: 1500\nlisten_port: 8081\n" POLICY_EMPTY, env);
    assert_int_equal(c->proxy_uid, 2000);
    assert_int_equal(c->listen_port, 18080);
    assert_true(c->tls.enabled);
    assert_int_equal(c->tls.listen_port, 18443);
    assert_false(c->enable_ipv6);
    bb_config_free(c);
}

static void test_env_invalid(void **state)
{
    (void)state;
    static const char *const bad_uid[] = {"BOTBOX_UID=root", NULL};
    tu_expect_error_env(POLICY_EMPTY,
                        "BOTBOX_UID=root: proxy_uid: invalid value: expected a uid between 0 and "
                        "4294967294",
                        bad_uid);
    static const char *const bad_port[] = {"BOTBOX_PROXY_PORT=65536", NULL};
    tu_expect_error_env(POLICY_EMPTY, "BOTBOX_PROXY_PORT=65536: listen_port: invalid value",
                        bad_port);
    static const char *const empty[] = {"BOTBOX_ENABLE_IPV6=", NULL};
    tu_expect_error_env(POLICY_EMPTY, "BOTBOX_ENABLE_IPV6=: ipv6: invalid value: expected 0 or 1",
                        empty);
    static const char *const yes[] = {"BOTBOX_ENABLE_HTTPS_INTERCEPTION=yes", NULL};
    tu_expect_error_env(POLICY_EMPTY, "BOTBOX_ENABLE_HTTPS_INTERCEPTION=yes", yes);
    /* A collision caused by the environment is attributed to it. */
    static const char *const clash[] = {"BOTBOX_PROXY_PORT=9090", NULL};
    tu_expect_error_env(POLICY_EMPTY,
                        "BOTBOX_PROXY_PORT=9090: listen_port: port 9090 collides with "
                        "metrics_port",
                        clash);
    /* Interception enabled from the environment gets the same checks. */
    static const char *const tls[] = {"BOTBOX_ENABLE_HTTPS_INTERCEPTION=1", NULL};
    tu_expect_error_env(POLICY_EMPTY "https_interception:\n  cert_ttl_seconds: 5\n",
                        "https_interception.cert_ttl_seconds: 5 must be between 60 and 604800",
                        tls);
}

/* ---- the YAML subset ---- */

static void test_yaml_refusals(void **state)
{
    (void)state;
    tu_expect_error("listen_port: 8080\nlisten_port: 8081\n" POLICY_EMPTY,
                    "t.yaml:2:1: duplicate key 'listen_port' (first at line 1)");
    tu_expect_error("a: &x [1]\n", "t.yaml:1:4: YAML anchors and aliases are not supported");
    tu_expect_error("egress_policy:\n  rules: &r []\n  flows: *r\n", "anchors and aliases");
    tu_expect_error("listen_port: !!int 8080\n" POLICY_EMPTY, "t.yaml:1:14: YAML tags are not "
                                                              "supported");
    tu_expect_error(POLICY_EMPTY "---\n" POLICY_EMPTY, "only one YAML document is allowed");
    tu_expect_error("", "t.yaml:1:1: the configuration is empty");
    tu_expect_error("# just a comment\n", "the configuration is empty");
    tu_expect_error("- a\n- b\n", "t.yaml:1:1: the configuration must be a mapping");
    tu_expect_error("egress_policy:\n  rules: [\n", "YAML syntax error");
    tu_expect_error("{[a]: 1}\n", "mapping keys must be scalars");
}

static void test_yaml_encoding(void **state)
{
    (void)state;
    static const char latin1[] = "listen_addr: \"caf\xe9\"\n";
    tu_expect_error(latin1, "t.yaml:1:18: invalid UTF-8");
    static const char overlong[] = "a: \"\xc0\xaf\"\n";
    tu_expect_error(overlong, "invalid UTF-8");
    struct bb_diag *d = bb_diag_new();
    static const char nul[] = "listen_port: 80\0\n";
    assert_null(bb_config_parse("t.yaml", nul, sizeof(nul) - 1, NULL, d));
    assert_true(tu_has(d, BB_DIAG_ERROR, "t.yaml:1:16: NUL byte in configuration"));
    bb_diag_free(d);
    /* UTF-8 in a place that allows it is fine (a literal header value is
     * ASCII-only, a secrets_dir path is not). */
    const struct bb_config *c = tu_expect_ok("secrets_dir: \"/run/s\xc3\xa9\"\n" POLICY_EMPTY);
    bb_config_free(c);
}

static void test_yaml_depth_bomb(void **state)
{
    (void)state;
    char buf[1024];
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        buf[n++] = '[';
    buf[n++] = '\n';
    buf[n] = '\0';
    tu_expect_error(buf, "nesting deeper than 64 levels");
}

static void test_null_sections(void **state)
{
    (void)state;
    /* "key:" with nothing after it means "absent" (defaults), as in BotBox. */
    const struct bb_config *c =
        tu_expect_ok("timeouts:\nhttps_interception:\negress_policy:\n  rules:\n");
    assert_int_equal(c->egress.nrules, 0);
    assert_int_equal(c->timeouts.connect_ms, 5000);
    bb_config_free(c);
    tu_expect_error("egress_policy:\n", "t.yaml:1:15: egress_policy.rules: missing required key");
}

static void test_enforce_false_warns(void **state)
{
    (void)state;
    tu_expect_warning("egress_policy:\n  enforce: false\n  rules: []\n",
                      "audit-only mode: denials are logged as would_deny");
    tu_expect_warning("egress_policy:\n  default_action: allow\n  rules: []\n",
                      "default_action allow lets any host through");
}

static void test_origins_kept(void **state)
{
    (void)state;
    static const char *const env[] = {"BOTBOX_UID=2000", NULL};
    const struct bb_config *c = tu_expect_ok_env("listen_port: 8081\n" POLICY_EMPTY, env);
    char buf[256];
    assert_string_equal(bb_config_where(c, &c->listen_port, "listen_port", buf, sizeof(buf)),
                        "t.yaml:1:14: listen_port");
    assert_string_equal(bb_config_where(c, &c->proxy_uid, "proxy_uid", buf, sizeof(buf)),
                        "BOTBOX_UID=2000: proxy_uid");
    assert_string_equal(bb_config_where(c, &c->metrics_port, "metrics_port", buf, sizeof(buf)),
                        "t.yaml: metrics_port");
    assert_null(bb_config_origin_of(c, &c->metrics_port));
    bb_config_free(c);
}

static void test_all_errors_reported(void **state)
{
    (void)state;
    struct bb_diag *d = bb_diag_new();
    const char *yaml = "listen_port: x\n"
                       "metrics_port: y\n"
                       "egress_policy:\n  rules:\n    - host: \"\"\n      action: allow\n";
    assert_null(tu_load_env(yaml, d, NULL));
    assert_int_equal(bb_diag_errors(d), 3);
    bb_diag_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_original_example),
        cmocka_unit_test(test_empty_host),
        cmocka_unit_test(test_host_whitespace),
        cmocka_unit_test(test_duplicate_host_case),
        cmocka_unit_test(test_duplicate_host_port_and_dot),
        cmocka_unit_test(test_wildcard_and_apex_not_duplicates),
        cmocka_unit_test(test_invalid_hosts),
        cmocka_unit_test(test_host_port_warning),
        cmocka_unit_test(test_empty_allowed_ports),
        cmocka_unit_test(test_port_zero_and_range),
        cmocka_unit_test(test_invalid_action),
        cmocka_unit_test(test_rewrite_header_names),
        cmocka_unit_test(test_rewrite_reserved_headers),
        cmocka_unit_test(test_rewrite_value_and_secret_ref),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_passthrough_rules),
        cmocka_unit_test(test_failed_list_elements),
        cmocka_unit_test(test_deny_rule_extras_warn),
        cmocka_unit_test(test_flows),
        cmocka_unit_test(test_listen_addr),
        cmocka_unit_test(test_port_collisions),
        cmocka_unit_test(test_interception_loopback),
        cmocka_unit_test(test_interception_ranges),
        cmocka_unit_test(test_mitm_alias),
        cmocka_unit_test(test_gateway_mode),
        cmocka_unit_test(test_audit_dns_timeouts),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_env_overrides),
        cmocka_unit_test(test_env_invalid),
        cmocka_unit_test(test_yaml_refusals),
        cmocka_unit_test(test_yaml_encoding),
        cmocka_unit_test(test_yaml_depth_bomb),
        cmocka_unit_test(test_null_sections),
        cmocka_unit_test(test_enforce_false_warns),
        cmocka_unit_test(test_origins_kept),
        cmocka_unit_test(test_all_errors_reported),
    };
    return cmocka_run_group_tests_name("policy/config", tests, NULL, NULL);
}
