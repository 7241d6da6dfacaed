/*
 * credentials, redaction and placeholders_file (policy/config_cred.c):
 * defaults, the bound hosts taken from the rules that reference the
 * secret, and every refusal with its position.
 */
#include "tests/unit/testutil.h"

#include <string.h>

#define RULE                                                                                       \
    "egress_policy:\n  rules:\n"                                                                   \
    "    - host: api.openai.com\n      action: allow\n      header_rewrites:\n"                    \
    "        - {name: Authorization, value: \"Bearer {value}\", secret_ref: openai}\n"             \
    "    - host: \"*.github.com\"\n      action: allow\n"                                          \
    "    - host: raw.test\n      action: allow\n      tls: passthrough\n"

static void test_defaults(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(RULE "credentials:\n  - secret_ref: openai\n");
    assert_int_equal(c->credentials.n, 1);
    const struct bb_credential *cr = &c->credentials.list[0];
    assert_string_equal(cr->prefix, "");
    assert_int_equal(cr->length, BB_PLACEHOLDER_RANDOM_DEFAULT);
    assert_string_equal(cr->env, "BOTBOX_PLACEHOLDER_OPENAI");
    assert_true(cr->hosts_default); /* the rule that injects it */
    assert_int_equal(cr->nhosts, 1);
    assert_string_equal(cr->hosts[0].name, "api.openai.com");
    assert_int_equal(cr->substitute_in, BB_SUBST_IN_ALL);
    assert_true(c->redaction.enabled);
    assert_int_equal(c->redaction.compressed, BB_COMPRESSED_REFUSE);
    assert_string_equal(c->placeholders_file, "");
    assert_ptr_equal(bb_config_credential(c, "openai"), cr);
    assert_null(bb_config_credential(c, "other"));
    bb_config_free(c);
}

static void test_explicit(void **state)
{
    (void)state;
    const struct bb_config *c =
        tu_expect_ok(RULE "placeholders_file: /run/botbox-env/placeholders.env\n"
                          "redaction: {enabled: false, compressed: pass}\n"
                          "credentials:\n"
                          "  - secret_ref: gh.token\n"
                          "    placeholder: {prefix: ghp_, length: 40}\n"
                          "    env: GITHUB_TOKEN\n"
                          "    hosts: [\"*.github.com\", api.openai.com]\n"
                          "    substitute_in: [headers, query]\n");
    const struct bb_credential *cr = &c->credentials.list[0];
    assert_string_equal(cr->prefix, "ghp_");
    assert_int_equal(cr->length, 40);
    assert_string_equal(cr->env, "GITHUB_TOKEN");
    assert_false(cr->hosts_default);
    assert_int_equal(cr->nhosts, 2);
    assert_int_equal(cr->hosts[0].kind, BB_HOST_WILDCARD);
    assert_int_equal(cr->substitute_in, BB_SUBST_IN_HEADERS | BB_SUBST_IN_QUERY);
    assert_false(c->redaction.enabled);
    assert_int_equal(c->redaction.compressed, BB_COMPRESSED_PASS);
    assert_string_equal(c->placeholders_file, "/run/botbox-env/placeholders.env");
    bb_config_free(c);
    /* a BotBox config: no credentials, redaction on */
    c = tu_expect_ok(RULE);
    assert_int_equal(c->credentials.n, 0);
    assert_true(c->redaction.enabled);
    bb_config_free(c);
}

static void test_refusals(void **state)
{
    (void)state;
    tu_expect_error(RULE "credentials:\n  - secret_ref: lonely\n",
                    "t.yaml:13:5: credentials[0]: bound to no host: list hosts, or reference "
                    "'lonely' from a rule's header_rewrites");
    tu_expect_error(RULE "credentials:\n  - {secret_ref: openai, placeholder: {prefix: \"sk/\"}}\n",
                    "credentials[0].placeholder.prefix: at most 64 of the characters");
    tu_expect_error(RULE "credentials:\n  - {secret_ref: openai, placeholder: {prefix: sk-proj-, "
                         "length: 20}}\n",
                    "credentials[0].placeholder.length: must leave at least 16 random characters");
    tu_expect_error(RULE "credentials:\n  - {secret_ref: openai, placeholder: {length: 300}}\n",
                    "credentials[0].placeholder.length: must be between 16 and 256");
    tu_expect_error(RULE "credentials:\n  - {secret_ref: openai, env: 1KEY}\n",
                    "credentials[0].env: not a variable name");
    tu_expect_error(RULE "credentials:\n  - {secret_ref: ../x}\n",
                    "credentials[0].secret_ref: secret_ref must be a file name");
    tu_expect_error(RULE "credentials:\n  - {secret_ref: openai, hosts: []}\n",
                    "credentials[0].hosts: hosts cannot be empty");
    tu_expect_error(RULE "credentials:\n  - {secret_ref: openai, hosts: [\"a.test:443\"]}\n",
                    "credentials[0].hosts[0]: invalid host 'a.test:443': a bound host has no port");
    tu_expect_error(RULE "credentials:\n  - {secret_ref: openai, substitute_in: [cookies]}\n",
                    "credentials[0].substitute_in[0]: expected one of headers, path, query, body");
    tu_expect_error(RULE "credentials:\n  - {secret_ref: openai}\n  - {secret_ref: openai}\n",
                    "t.yaml:14:5: credentials[1]: the same secret_ref as credentials[0] (line 13)");
    tu_expect_error(RULE "credentials:\n  - {secret_ref: openai, env: K}\n"
                         "  - {secret_ref: b, env: K, hosts: [a.test]}\n",
                    "credentials[1]: the same env as credentials[0]");
    tu_expect_error(RULE "credentials:\n  - {secret_ref: openai, unknown: 1}\n",
                    "credentials[0].unknown: unknown key");
    tu_expect_error(RULE "placeholders_file: relative.env\n",
                    "placeholders_file: must be an absolute path");
    tu_expect_error(RULE "redaction: {compressed: maybe}\n", "redaction.compressed");
}

#define AWS "  - kind: aws_sigv4\n    hosts: [\"*.github.com\"]\n"

static void test_aws(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(
        RULE "credentials:\n" AWS "    access_key_id_ref: akid\n    secret_access_key_ref: sk\n");
    const struct bb_credential *cr = &c->credentials.list[0];
    assert_int_equal(cr->kind, BB_CRED_AWS_SIGV4);
    assert_string_equal(cr->secret_ref, "akid");
    assert_string_equal(cr->secret_key_ref, "sk");
    assert_null(cr->token_ref);
    assert_string_equal(cr->prefix, "AKIA"); /* an access key id's shape */
    assert_int_equal(cr->length, 20);
    assert_string_equal(cr->env, "AWS_ACCESS_KEY_ID");
    assert_string_equal(cr->secret_env, "AWS_SECRET_ACCESS_KEY");
    assert_string_equal(cr->region, "");
    assert_int_equal(cr->substitute_in, 0); /* signed, never substituted */
    bb_config_free(c);
    c = tu_expect_ok(RULE "credentials:\n" AWS "    access_key_id_ref: akid\n"
                          "    secret_access_key_ref: sk\n    session_token_ref: tok\n"
                          "    region: eu-west-1\n    service: s3\n    secret_env: \"\"\n");
    cr = &c->credentials.list[0];
    assert_string_equal(cr->token_ref, "tok");
    assert_string_equal(cr->region, "eu-west-1");
    assert_string_equal(cr->secret_env, "");
    bb_config_free(c);
    tu_expect_error(RULE "credentials:\n  - {kind: oauth3, secret_ref: openai}\n",
                    "credentials[0].kind: must be one of: static, aws_sigv4");
    tu_expect_error(RULE "credentials:\n" AWS "    access_key_id_ref: akid\n",
                    "t.yaml:13:5: credentials[0].secret_access_key_ref: is required");
    tu_expect_error(RULE "credentials:\n" AWS "    secret_access_key_ref: sk\n",
                    "credentials[0].access_key_id_ref: is required");
    tu_expect_error(RULE "credentials:\n" AWS "    access_key_id_ref: akid\n"
                         "    secret_access_key_ref: sk\n    secret_ref: x\n",
                    "t.yaml:17:17: credentials[0].secret_ref: kind aws_sigv4 names "
                    "access_key_id_ref and secret_access_key_ref");
    tu_expect_error(RULE "credentials:\n" AWS "    access_key_id_ref: akid\n"
                         "    secret_access_key_ref: ../sk\n",
                    "credentials[0].secret_access_key_ref: secret_ref must be a file name");
    tu_expect_error(RULE "credentials:\n" AWS "    access_key_id_ref: akid\n"
                         "    secret_access_key_ref: sk\n    region: \"eu west\"\n",
                    "credentials[0].region: at most 64 of the characters");
    tu_expect_error(RULE "credentials:\n  - {secret_ref: openai, region: us-east-1}\n",
                    "credentials[0].region: only for kind: aws_sigv4");
    tu_expect_error(RULE "credentials:\n" AWS "    access_key_id_ref: akid\n"
                         "    secret_access_key_ref: sk\n    substitute_in: [headers]\n",
                    "credentials[0].substitute_in: an AWS credential is never substituted");
}

#define OAUTH                                                                                      \
    "  - kind: oauth2\n    name: api\n    hosts: [api.openai.com]\n"                               \
    "    token_url: https://auth.test/oauth/token\n"

static void test_oauth2(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(
        RULE "credentials:\n" OAUTH "    client_id_ref: cid\n    client_secret_ref: cs\n");
    const struct bb_credential *cr = &c->credentials.list[0];
    assert_int_equal(cr->kind, BB_CRED_OAUTH2);
    assert_int_equal(cr->grant, BB_GRANT_CLIENT_CREDENTIALS);
    assert_int_equal(cr->client_auth, BB_OAUTH_AUTH_BASIC);
    assert_string_equal(cr->secret_ref, "api"); /* its name */
    assert_string_equal(cr->token_host, "auth.test");
    assert_int_equal(cr->token_port, 443);
    assert_string_equal(cr->token_path, "/oauth/token");
    assert_string_equal(cr->scope, "");
    assert_int_equal(cr->refresh_before, BB_OAUTH_REFRESH_DEF);
    assert_string_equal(cr->env, "BOTBOX_PLACEHOLDER_API");
    assert_int_equal(cr->substitute_in, 0); /* Authorization is set, nothing substituted */
    bb_config_free(c);
    c = tu_expect_ok(RULE "credentials:\n  - kind: oauth2\n    name: api\n"
                          "    hosts: [api.openai.com]\n    token_url: https://[fd00::1]:8443\n"
                          "    grant: refresh_token\n    refresh_token_ref: rt\n"
                          "    scopes: [read, \"write:all\"]\n    audience: https://api\n"
                          "    client_auth: post\n    refresh_before: 0\n");
    cr = &c->credentials.list[0];
    assert_string_equal(cr->token_host, "fd00::1");
    assert_int_equal(cr->token_port, 8443);
    assert_string_equal(cr->token_path, "/");
    assert_string_equal(cr->scope, "read write:all");
    assert_string_equal(cr->audience, "https://api");
    assert_null(cr->client_id_ref); /* a refresh token alone */
    assert_int_equal(cr->refresh_before, 0);
    bb_config_free(c);
}

static void test_oauth2_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *extra, *err;
    } rows[] = {
        {"    client_id_ref: cid\n", "t.yaml:13:5: credentials[0].client_secret_ref: is required"},
        {"    client_secret_ref: cs\n", "credentials[0].client_id_ref: is required"},
        {"    grant: refresh_token\n", "credentials[0].refresh_token_ref: is required"},
        {"    client_id_ref: cid\n    client_secret_ref: cs\n    refresh_token_ref: rt\n",
         "credentials[0].refresh_token_ref: only for grant: refresh_token"},
        {"    grant: refresh_token\n    refresh_token_ref: rt\n    client_secret_ref: cs\n",
         "credentials[0].client_secret_ref: needs client_id_ref"},
        {"    client_id_ref: cid\n    client_secret_ref: cs\n    secret_ref: x\n",
         "credentials[0].secret_ref: kind oauth2 has a name"},
        {"    client_id_ref: cid\n    client_secret_ref: cs\n    substitute_in: [headers]\n",
         "credentials[0].substitute_in: an oauth2 credential is never substituted"},
        {"    client_id_ref: cid\n    client_secret_ref: ../cs\n",
         "credentials[0].client_secret_ref: secret_ref must be a file name"},
        {"    client_id_ref: cid\n    client_secret_ref: cs\n    scopes: [\"a b\"]\n",
         "a scope is 1 to 1024 visible ASCII characters"},
        {"    client_id_ref: cid\n    client_secret_ref: cs\n    audience: \"a b\"\n",
         "credentials[0].audience: 1 to 1024 visible ASCII"},
        {"    client_id_ref: cid\n    client_secret_ref: cs\n    refresh_before: 3601\n",
         "credentials[0].refresh_before"},
        {"    client_id_ref: cid\n    client_secret_ref: cs\n    grant: password\n",
         "credentials[0].grant: must be one of: client_credentials, refresh_token"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char y[2048];
        snprintf(y, sizeof(y), "%scredentials:\n%s%s", RULE, OAUTH, rows[i].extra);
        tu_expect_error(y, rows[i].err);
    }
    static const struct {
        const char *url, *err;
    } urls[] = {
        {"http://auth.test/t", "token_url: must be an https:// URL"},
        {"https://user:pw@auth.test/t", "token_url: no user:password@"},
        {"https://auth.test/t#frag", "token_url: visible ASCII only, no fragment"},
        {"https://*.test/t", "credentials[0].token_url:"},
        {"https://auth.test:99999/t", "credentials[0].token_url:"},
    };
    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        char y[2048];
        snprintf(y, sizeof(y),
                 "%scredentials:\n  - kind: oauth2\n    name: api\n    hosts: [api.openai.com]\n"
                 "    token_url: \"%s\"\n    client_id_ref: cid\n    client_secret_ref: cs\n",
                 RULE, urls[i].url);
        tu_expect_error(y, urls[i].err);
    }
    tu_expect_error(RULE "credentials:\n  - kind: oauth2\n    name: api\n"
                         "    client_id_ref: cid\n    client_secret_ref: cs\n",
                    "credentials[0].token_url: is required");
    tu_expect_error(RULE "credentials:\n  - {secret_ref: x, token_url: \"https://a\"}\n",
                    "credentials[0].token_url: only for kind: oauth2");
    tu_expect_error(RULE "credentials:\n  - kind: oauth2\n    name: api\n"
                         "    token_url: https://auth.test\n    client_id_ref: cid\n"
                         "    client_secret_ref: cs\n",
                    "credentials[0]: bound to no host");
}

static void test_warnings(void **state)
{
    (void)state;
    tu_expect_warning(RULE "credentials:\n  - {secret_ref: x, hosts: [nowhere.test]}\n",
                      "credentials[0].hosts: bound host 'nowhere.test': no allow rule covers it");
    tu_expect_warning(RULE "credentials:\n  - {secret_ref: x, hosts: [raw.test]}\n",
                      "bound host 'raw.test': its rule is tls: passthrough");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_explicit),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_aws),
        cmocka_unit_test(test_oauth2),
        cmocka_unit_test(test_oauth2_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
