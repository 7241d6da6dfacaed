/*
 * OAuth2's protocol part (gateway/cred/oauth2.c): the token requests of
 * both grants and both client authentications byte for byte (RFC 6749
 * §4.4.2's example is the first), and the reading of answers: the
 * success fields, expires_in as a number and as digits, the error
 * answers of §5.2, and everything that must not be used.
 */
#include "tests/unit/testutil.h"

#include "gateway/cred/oauth2.h"
#include "policy/config.h"

#include <string.h>

static struct bb_credential cred(enum bb_oauth_grant g, enum bb_oauth_auth a)
{
    return (struct bb_credential){.kind = BB_CRED_OAUTH2,
                                  .grant = g,
                                  .client_auth = a,
                                  .token_host = "server.example.com",
                                  .token_port = 443,
                                  .token_path = "/token",
                                  .scope = "",
                                  .audience = ""};
}

static void request_is(const struct bb_credential *c, const struct bb_oauth_secrets *s,
                       const char *want)
{
    struct bb_buf b;
    bb_buf_init(&b, BB_OAUTH_REQUEST_MAX);
    assert_int_equal(bb_oauth_request(&b, c, s), 0);
    assert_int_equal(bb_buf_size(&b), strlen(want));
    assert_memory_equal(bb_buf_head(&b), want, strlen(want));
    bb_buf_free(&b);
}

#define HEAD(host, len)                                                                            \
    "POST /token HTTP/1.1\r\nHost: " host "\r\nUser-Agent: botbox\r\nAccept: application/json\r\n" \
    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " len                      \
    "\r\nConnection: close\r\n"

static void test_requests(void **state)
{
    (void)state;
    /* RFC 6749 §2.3.1 / §4.4.2: s6BhdRkqt3 : 7Fjfp0ZBr1KtDRbnfVdmIw */
    struct bb_oauth_secrets s = {.client_id = "s6BhdRkqt3",
                                 .client_id_len = 10,
                                 .client_secret = "7Fjfp0ZBr1KtDRbnfVdmIw",
                                 .client_secret_len = 22};
    struct bb_credential c = cred(BB_GRANT_CLIENT_CREDENTIALS, BB_OAUTH_AUTH_BASIC);
    request_is(&c, &s,
               HEAD("server.example.com", "29") "Authorization: Basic "
                                                "czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3\r\n"
                                                "\r\ngrant_type=client_credentials");
    /* scopes and audience, form-encoded; the secret in the form (post) */
    c = cred(BB_GRANT_CLIENT_CREDENTIALS, BB_OAUTH_AUTH_POST);
    c.scope = "read write:all";
    c.audience = "https://api.test";
    c.token_port = 8443;
    s.client_secret = "a&b=c";
    s.client_secret_len = 5;
    request_is(&c, &s,
               HEAD("server.example.com:8443", "131") "\r\ngrant_type=client_credentials"
                                                      "&scope=read%20write%3Aall"
                                                      "&audience=https%3A%2F%2Fapi.test"
                                                      "&client_id=s6BhdRkqt3"
                                                      "&client_secret=a%26b%3Dc");
    /* a public client's refresh: its id in the form, no Basic */
    c = cred(BB_GRANT_REFRESH_TOKEN, BB_OAUTH_AUTH_BASIC);
    c.token_host = "fd00::1";
    struct bb_oauth_secrets r = {.client_id = "app",
                                 .client_id_len = 3,
                                 .refresh_token = "tGzv3JOkF0XG5Qx2TlKWIA",
                                 .refresh_token_len = 22};
    request_is(&c, &r,
               HEAD("[fd00::1]", "75") "\r\ngrant_type=refresh_token"
                                       "&refresh_token=tGzv3JOkF0XG5Qx2TlKWIA&client_id=app");
    /* what a grant needs, missing: nothing is made */
    struct bb_buf b;
    bb_buf_init(&b, BB_OAUTH_REQUEST_MAX);
    struct bb_oauth_secrets none = {0};
    assert_int_equal(bb_oauth_request(&b, &c, &none), -1);
    c = cred(BB_GRANT_CLIENT_CREDENTIALS, BB_OAUTH_AUTH_BASIC);
    none.client_id = "x";
    none.client_id_len = 1;
    assert_int_equal(bb_oauth_request(&b, &c, &none), -1);
    bb_buf_free(&b);
}

static void parse_ok(const char *json, const char *tok, uint64_t ttl, const char *refresh)
{
    struct bb_oauth_answer a;
    const char *why = NULL;
    assert_int_equal(bb_oauth_parse(json, strlen(json), &a, &why), 0);
    assert_null(why);
    assert_string_equal(a.access_token, tok);
    assert_int_equal(a.access_len, strlen(tok));
    assert_int_equal(a.expires_in, ttl);
    if (refresh == NULL)
        assert_null(a.refresh_token);
    else
        assert_string_equal(a.refresh_token, refresh);
    bb_oauth_answer_wipe(&a);
    assert_null(a.access_token);
}

static void parse_bad(const char *json, size_t n, const char *reason, const char *error)
{
    struct bb_oauth_answer a;
    const char *why = NULL;
    assert_int_equal(bb_oauth_parse(json, n, &a, &why), -1);
    assert_string_equal(why, reason);
    assert_string_equal(a.error, error);
    assert_null(a.access_token); /* nothing of a bad answer is kept */
    assert_null(a.refresh_token);
}

static void test_answers(void **state)
{
    (void)state;
    /* RFC 6749 §5.1's example */
    parse_ok("{\"access_token\":\"2YotnFZFEjr1zCsicMWpAA\",\"token_type\":\"Bearer\","
             "\"expires_in\":3600,\"refresh_token\":\"tGzv3JOkF0XG5Qx2TlKWIA\","
             "\"example_parameter\":\"example_value\"}",
             "2YotnFZFEjr1zCsicMWpAA", 3600, "tGzv3JOkF0XG5Qx2TlKWIA");
    parse_ok(
        "{\"access_token\":\"a.b-c_d~e+f/g=\",\"token_type\":\"bearer\",\"expires_in\":\"60\"}",
        "a.b-c_d~e+f/g=", 60, NULL); /* a JWT's characters; expires_in as digits */
    parse_ok("{\"access_token\":\"t\"}", "t", BB_OAUTH_TTL_DEFAULT, NULL);
    parse_ok("{\"access_token\":\"t\",\"expires_in\":99999999999}", "t", BB_OAUTH_TTL_MAX, NULL);
    parse_ok("{\"access_token\":\"t\\/u\"}", "t/u", BB_OAUTH_TTL_DEFAULT, NULL); /* PHP's \/ */

    /* answers refused: why, and the error code kept (§5.2), nothing else */
    static const char *const bad[][3] = {
        {"{\"error\":\"invalid_client\",\"error_description\":\"Bad secret s3cr3t\"}",
         "token_endpoint_error", "invalid_client"},
        {"{\"error\":\"has space\"}", "token_endpoint_error", "unreadable"},
        {"{\"access_token\":\"t\",\"token_type\":\"mac\"}", "token_type_not_bearer", ""},
        {"{\"access_token\":\"t\",\"token_type\":7}", "token_type_not_bearer", ""},
        {"{\"access_token\":\"a b\"}", "token_answer_bad_token", ""}, /* splits a header value */
        {"{\"access_token\":\"a\\r\\nX-Injected: 1\"}", "token_answer_bad_token", ""},
        {"{\"access_token\":\"\"}", "token_answer_bad_token", ""},
        {"{\"access_token\":42}", "token_answer_bad_token", ""},
        {"{\"access_token\":\"t\",\"refresh_token\":\"r\\u0001\"}",
         "token_answer_bad_refresh_token", ""},
        {"{\"access_token\":\"t\",\"expires_in\":0}", "token_answer_bad_expiry", ""},
        {"{\"access_token\":\"t\",\"expires_in\":\"1h\"}", "token_answer_bad_expiry", ""},
        {"{\"access_token\":\"t\",\"access_token\":\"u\"}", "token_answer_not_json",
         ""}, /* which? */
        {"[\"access_token\"]", "token_answer_not_json", ""},
        {"{\"token_type\":\"Bearer\"}", "token_answer_no_token", ""},
        {"<html>502 Bad Gateway</html>", "token_answer_not_json", ""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        parse_bad(bad[i][0], strlen(bad[i][0]), bad[i][1], bad[i][2]);
    static char big[BB_OAUTH_ANSWER_MAX + 2];
    memset(big, ' ', sizeof(big));
    parse_bad(big, sizeof(big), "token_answer_too_large", "");
    char longtok[BB_OAUTH_TOKEN_MAX + 64];
    int n = snprintf(longtok, sizeof(longtok), "{\"access_token\":\"");
    memset(longtok + n, 'a', BB_OAUTH_TOKEN_MAX + 1);
    memcpy(longtok + n + BB_OAUTH_TOKEN_MAX + 1, "\"}", 2);
    parse_bad(longtok, (size_t)n + BB_OAUTH_TOKEN_MAX + 3, "token_answer_bad_token", "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
