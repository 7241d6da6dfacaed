/*
 * Placeholders (gateway/cred/placeholder.c) and the credential table's
 * plans (gateway/cred/creds.c): shapes and stability over reloads, the
 * env file, what a request to a bound, an unbound and a wildcard-matched
 * host may carry and becomes, the forms a secret is redacted in, the
 * mask where a secret has no placeholder, a missing secret, and an
 * aws_sigv4 credential's plan, redaction, secrets and stand-in.
 */
#include "tests/unit/testutil.h"

#include "gateway/cred/creds.h"
#include "gateway/cred/placeholder.h"
#include "policy/host.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define YAML                                                                                       \
    "egress_policy:\n  rules:\n"                                                                   \
    "    - host: api.test\n      action: allow\n      header_rewrites:\n"                          \
    "        - {name: Authorization, value: \"Bearer {value}\", secret_ref: key}\n"                \
    "    - host: plain.test\n      action: allow\n      header_rewrites:\n"                        \
    "        - {name: X-Key, value: \"k={value}\", secret_ref: nocred}\n"                          \
    "    - host: \"*.wild.test\"\n      action: allow\n"                                           \
    "    - host: other.test\n      action: allow\n"                                                \
    "credentials:\n"                                                                               \
    "  - {secret_ref: key, placeholder: {prefix: sk-, length: 40}, env: KEY}\n"                    \
    "  - {secret_ref: tok, hosts: [api.test, \"*.wild.test\"], substitute_in: [headers, body]}\n"  \
    "  - {secret_ref: gone, hosts: [api.test]}\n"

static const char *get(const void *arg, const char *name, size_t *len)
{
    (void)arg;
    static const char *const v[][2] = {
        {"key", "sk-real-secret-1"}, {"tok", "a+b/c\"d-long"}, {"nocred", "plain-secret-99"}};
    for (size_t i = 0; i < 3; i++)
        if (strcmp(name, v[i][0]) == 0) {
            *len = strlen(v[i][1]);
            return v[i][1];
        }
    return NULL;
}

static const struct bb_config *cfg;
static struct bb_creds *creds;

static int setup(void **state)
{
    (void)state;
    cfg = tu_expect_ok(YAML);
    assert_int_equal(bb_placeholders_sync(cfg), 0);
    bool oom = false;
    creds = bb_creds_new(cfg, get, NULL, &oom);
    assert_non_null(creds);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bb_creds_free(creds);
    bb_config_free(cfg);
    bb_placeholders_clear();
    return 0;
}

static const char *ph(const char *name)
{
    size_t len;
    return bb_placeholder_get(cfg, name, &len);
}

static void host(const char *name, struct bb_host *h)
{
    assert_null(bb_host_parse(name, strlen(name), 0, h));
}

/* What set makes of in (whole), or "REFUSED:tag". */
static const char *apply(const struct bb_subst_set *set, const char *in)
{
    static char out[4096];
    struct bb_buf b;
    bb_buf_init(&b, sizeof(out) - 1);
    int tag = -1;
    int rc = bb_subst_all(set, in, strlen(in), &b, NULL, NULL, &tag);
    if (rc == BB_SUBST_REFUSED)
        snprintf(out, sizeof(out), "REFUSED:%d", tag);
    else
        snprintf(out, sizeof(out), "%.*s", (int)bb_buf_size(&b), bb_buf_head(&b));
    bb_buf_free(&b);
    return out;
}

static void test_placeholders(void **state)
{
    (void)state;
    const char *k = ph("key"), *t = ph("tok");
    assert_int_equal(strlen(k), 40);
    assert_memory_equal(k, "sk-", 3);
    for (const char *p = k + 3; *p; p++)
        assert_true((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9'));
    assert_int_equal(strlen(t), BB_PLACEHOLDER_RANDOM_DEFAULT);
    assert_string_not_equal(k + 3, t);
    /* a reload with the same shapes keeps them; a new shape gets a new one */
    const struct bb_config *again = tu_expect_ok(YAML);
    assert_int_equal(bb_placeholders_sync(again), 0);
    size_t len;
    assert_string_equal(bb_placeholder_get(again, "key", &len), k);
    bb_config_free(again);
    char *changed = strdup(YAML);
    char *at = strstr(changed, "length: 40");
    memcpy(at, "length: 41", 10);
    again = tu_expect_ok(changed);
    assert_int_equal(bb_placeholders_sync(again), 0);
    const char *k2 = bb_placeholder_get(again, "key", &len);
    assert_int_equal(len, 41);
    assert_string_not_equal(k2, k);
    bb_config_free(again);
    free(changed);
}

static void test_env_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/bb-ph-XXXXXX", path[64], text[1024];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/p.env", dir);
    umask(077); /* the file is 0644 whatever the umask */
    assert_int_equal(bb_placeholders_write(cfg, path), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    FILE *f = fopen(path, "r");
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    char want[256];
    snprintf(want, sizeof(want), "\nKEY=%s\nBOTBOX_PLACEHOLDER_TOK=%s\n", ph("key"), ph("tok"));
    assert_non_null(strstr(text, want));
    assert_null(strstr(text, "sk-real-secret-1"));
    unlink(path);
    rmdir(dir);
}

static void test_bound_host(void **state)
{
    (void)state;
    struct bb_host h;
    host("api.test", &h);
    bool oom = false;
    const struct bb_cred_plan *p = bb_creds_plan(creds, &cfg->egress.rules[0], &h, true, &oom);
    assert_non_null(p);
    assert_false(p->owned); /* an exact host's plan is the table's */
    assert_int_equal(p->bound, 7);
    assert_int_equal(p->unbound.n, 0);
    char in[256], want[256];
    snprintf(in, sizeof(in), "x %s y %s", ph("key"), ph("tok"));
    assert_string_equal(apply(&p->hdr, in), "x sk-real-secret-1 y a+b/c\"d-long");
    snprintf(in, sizeof(in), "/p/%s", ph("key"));
    assert_string_equal(apply(&p->path, in), "/p/sk-real-secret-1");
    snprintf(in, sizeof(in), "?t=%s", ph("tok"));
    /* tok is not to be replaced in the query: left as is */
    assert_string_equal(apply(&p->query, in), in);
    snprintf(in, sizeof(in), "{\"t\":\"%s\"}", ph("tok"));
    assert_string_equal(apply(&p->body[BB_BODY_JSON], in), "{\"t\":\"a+b/c\\\"d-long\"}");
    snprintf(in, sizeof(in), "t=%s", ph("tok"));
    assert_string_equal(apply(&p->body[BB_BODY_FORM], in), "t=a%2Bb%2Fc%22d-long");
    assert_string_equal(apply(&p->body[BB_BODY_RAW], in), "t=a+b/c\"d-long");
    /* gone's secret is missing: its placeholder refuses (tag 2) */
    snprintf(in, sizeof(in), "v %s", ph("gone"));
    assert_string_equal(apply(&p->hdr, in), "REFUSED:2");
    /* the answer: the injected value whole, and each secret in its forms */
    snprintf(want, sizeof(want), "Authorization: Bearer %s", ph("key"));
    assert_string_equal(apply(&p->resp, "Authorization: Bearer sk-real-secret-1"), want);
    /* where the length must stay: the mask, as long as what it replaces */
    assert_string_equal(apply(&p->resp_same, "Authorization: Bearer sk-real-secret-1 x"),
                        "Authorization: Bearer [REDACTED******] x");
    snprintf(want, sizeof(want), "%s|%s|%s", ph("tok"), ph("tok"), ph("tok"));
    assert_string_equal(apply(&p->resp, "a+b/c\"d-long|a%2Bb%2Fc%22d-long|a+b/c\\\"d-long"), want);
    bb_cred_plan_put(p);
}

static void test_unbound_and_mask(void **state)
{
    (void)state;
    struct bb_host h;
    host("other.test", &h);
    bool oom = false;
    const struct bb_cred_plan *p = bb_creds_plan(creds, &cfg->egress.rules[3], &h, true, &oom);
    assert_non_null(p);
    assert_int_equal(p->bound, 0);
    char in[256];
    snprintf(in, sizeof(in), "q=%s", ph("tok"));
    assert_true(bb_subst_find(&p->unbound, in, strlen(in), NULL));
    assert_string_equal(apply(&p->body[BB_BODY_RAW], in), "REFUSED:1");
    assert_int_equal(p->resp.n, 0); /* given nothing: nothing to redact */
    bb_cred_plan_put(p);
    /* a rule whose secret has no credential: redacted with the mask */
    host("plain.test", &h);
    p = bb_creds_plan(creds, &cfg->egress.rules[1], &h, true, &oom);
    assert_non_null(p);
    assert_string_equal(apply(&p->resp, "got X-Key: k=plain-secret-99 and plain-secret-99"),
                        "got X-Key: k=[REDACTED] and [REDACTED]");
    bb_cred_plan_put(p);
}

static void test_wildcard_per_request(void **state)
{
    (void)state;
    struct bb_host h;
    host("a.wild.test", &h);
    bool oom = false;
    const struct bb_cred_plan *p = bb_creds_plan(creds, &cfg->egress.rules[2], &h, true, &oom);
    assert_non_null(p);
    assert_true(p->owned);
    assert_int_equal(p->bound, 2); /* tok only */
    char in[256];
    snprintf(in, sizeof(in), "%s", ph("tok"));
    assert_string_equal(apply(&p->hdr, in), "a+b/c\"d-long");
    snprintf(in, sizeof(in), "%s", ph("key"));
    assert_true(bb_subst_find(&p->unbound, in, strlen(in), NULL));
    bb_cred_plan_put(p);
    /* would_deny: nothing is given, so nothing is replaced */
    p = bb_creds_plan(creds, &cfg->egress.rules[2], &h, false, &oom);
    assert_non_null(p);
    assert_int_equal(p->hdr.n + p->resp.n + p->body[0].n, 0);
    bb_cred_plan_put(p);
}

#define AWS_YAML                                                                                   \
    "egress_policy:\n  rules:\n"                                                                   \
    "    - host: \"*.amazonaws.com\"\n      action: allow\n"                                       \
    "    - host: other.test\n      action: allow\n"                                                \
    "credentials:\n"                                                                               \
    "  - {kind: aws_sigv4, access_key_id_ref: akid, secret_access_key_ref: sk,\n"                  \
    "     session_token_ref: st, hosts: [\"*.amazonaws.com\"]}\n"

static const char *aws_get(const void *arg, const char *name, size_t *len)
{
    (void)arg;
    static const char *const v[][2] = {
        {"akid", "AKIAREAL000000000000"}, {"sk", "secret-access-key"}, {"st", "session-token-1"}};
    for (size_t i = 0; i < 3; i++)
        if (strcmp(name, v[i][0]) == 0) {
            *len = strlen(v[i][1]);
            return v[i][1];
        }
    return NULL;
}

/* An aws_sigv4 credential: the plan of a bound host names it and
 * substitutes nothing, its answer redacts the key id (to the placeholder)
 * and the session token; another host refuses the placeholder; the
 * secrets come out whole; the env file has the stand-in secret. */
static void test_aws(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(AWS_YAML);
    assert_int_equal(bb_placeholders_sync(c), 0);
    bool oom = false;
    struct bb_creds *t = bb_creds_new(c, aws_get, NULL, &oom);
    assert_non_null(t);
    size_t len;
    const char *akid_ph = bb_placeholder_get(c, "akid", &len);
    assert_int_equal(len, 20);
    struct bb_host h;
    host("bucket.s3.amazonaws.com", &h);
    const struct bb_cred_plan *p = bb_creds_plan(t, &c->egress.rules[0], &h, true, &oom);
    assert_non_null(p);
    assert_int_equal(p->aws, 0);
    char in[256], want[256];
    snprintf(in, sizeof(in), "Credential=%s/20250101/us-east-1/s3/aws4_request", akid_ph);
    assert_string_equal(apply(&p->hdr, in), in); /* signed again, never substituted */
    snprintf(want, sizeof(want), "<AWSAccessKeyId>%s</AWSAccessKeyId>[REDACTED]", akid_ph);
    assert_string_equal(apply(&p->resp, "<AWSAccessKeyId>AKIAREAL000000000000</AWSAccessKeyId>"
                                        "session-token-1"),
                        want);
    struct bb_cred_aws k;
    assert_int_equal(bb_creds_aws(t, p->aws, &k), 0);
    assert_memory_equal(k.key, "secret-access-key", k.key_len);
    assert_memory_equal(k.token, "session-token-1", k.token_len);
    assert_memory_equal(k.ph, akid_ph, 20);
    bb_cred_plan_put(p);
    host("other.test", &h);
    p = bb_creds_plan(t, &c->egress.rules[1], &h, true, &oom);
    assert_non_null(p);
    assert_int_equal(p->aws, -1);
    assert_string_equal(apply(&p->unbound, in), "REFUSED:0"); /* misuse there */
    bb_cred_plan_put(p);
    char dir[] = "/tmp/bb-ph-XXXXXX", path[64], text[1024], stand_in[BB_STAND_IN_LEN + 1];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/p.env", dir);
    assert_int_equal(bb_placeholders_write(c, path), 0);
    FILE *f = fopen(path, "r");
    text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
    fclose(f);
    bb_placeholder_stand_in(akid_ph, 20, stand_in);
    snprintf(want, sizeof(want), "\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n", akid_ph,
             stand_in);
    assert_non_null(strstr(text, want));
    assert_null(strstr(text, "secret-access-key"));
    unlink(path);
    rmdir(dir);
    bb_creds_free(t);
    bb_config_free(c);
    bb_placeholders_clear();
}

static void test_body_kind(void **state)
{
    (void)state;
    assert_int_equal(bb_cred_body_kind("application/json; charset=utf-8", 31), BB_BODY_JSON);
    assert_int_equal(bb_cred_body_kind("application/vnd.api+json", 24), BB_BODY_JSON);
    assert_int_equal(bb_cred_body_kind("application/x-www-form-urlencoded", 33), BB_BODY_FORM);
    assert_int_equal(bb_cred_body_kind("text/plain", 10), BB_BODY_RAW);
    assert_int_equal(bb_cred_body_kind("multipart/form-data; boundary=x", 31), BB_BODY_RAW);
}

static void test_nothing_to_do(void **state)
{
    (void)state;
    const struct bb_config *c =
        tu_expect_ok("egress_policy:\n  rules:\n    - {host: a.test, action: allow}\n");
    bool oom = false;
    assert_null(bb_creds_new(c, get, NULL, &oom));
    assert_false(oom);
    bb_config_free(c);
}

#define OAUTH_YAML                                                                                 \
    "egress_policy:\n  rules:\n"                                                                   \
    "    - host: api.test\n      action: allow\n"                                                  \
    "    - host: other.test\n      action: allow\n"                                                \
    "credentials:\n"                                                                               \
    "  - {kind: oauth2, name: cc, token_url: \"https://auth.test/t\", client_id_ref: akid,\n"      \
    "     client_secret_ref: sk, hosts: [api.test]}\n"

/* An oauth2 credential: the plan of its host names it and substitutes
 * nothing (botbox sets Authorization); another host refuses its
 * placeholder; its grant's secrets come out whole. */
static void test_oauth2(void **state)
{
    (void)state;
    const struct bb_config *c = tu_expect_ok(OAUTH_YAML);
    assert_int_equal(bb_placeholders_sync(c), 0);
    bool oom = false;
    struct bb_creds *t = bb_creds_new(c, aws_get, NULL, &oom);
    assert_non_null(t);
    size_t len;
    const char *ph = bb_placeholder_get(c, "cc", &len);
    assert_non_null(ph);
    struct bb_host h;
    host("api.test", &h);
    const struct bb_cred_plan *p = bb_creds_plan(t, &c->egress.rules[0], &h, true, &oom);
    assert_non_null(p);
    assert_int_equal(p->oauth, 0);
    assert_int_equal(p->aws, -1);
    char in[128];
    snprintf(in, sizeof(in), "Bearer %.*s", (int)len, ph);
    assert_string_equal(apply(&p->hdr, in), in);
    struct bb_cred_oauth k;
    assert_int_equal(bb_creds_oauth(t, p->oauth, &k), 0);
    assert_memory_equal(k.sec.client_id, "AKIAREAL000000000000", k.sec.client_id_len);
    assert_memory_equal(k.sec.client_secret, "secret-access-key", k.sec.client_secret_len);
    assert_null(k.sec.refresh_token);
    assert_memory_equal(k.ph, ph, len);
    bb_cred_plan_put(p);
    host("other.test", &h);
    p = bb_creds_plan(t, &c->egress.rules[1], &h, true, &oom);
    assert_non_null(p);
    assert_int_equal(p->oauth, -1);
    assert_string_equal(apply(&p->unbound, in), "REFUSED:0");
    bb_cred_plan_put(p);
    bb_creds_free(t);
    bb_config_free(c);
}

/* Tenants bring many credentials: 100 tenants of 30 each get 3 000
 * placeholders, the same ones on a second sync (a reload), found by name
 * (the list before held 1 024 and made serve refuse to start). */
static void test_many_placeholders(void **state)
{
    (void)state;
    enum { TENANTS = 100, EACH = 30 };
    static char y[TENANTS * (EACH * 80 + 160) + 256];
    size_t o = (size_t)snprintf(y, sizeof(y),
                                "mode: gateway\ngateway: {client_interfaces: [bbc0]}\ntenants:\n");
    for (int t = 0; t < TENANTS; t++) {
        o += (size_t)snprintf(
            y + o, sizeof(y) - o,
            "  - name: t%d\n    match: {interfaces: [bbc0], sources: [10.0.%d.0/24]}\n"
            "    egress_policy: {rules: []}\n    credentials:\n",
            t, t);
        for (int i = 0; i < EACH; i++)
            o += (size_t)snprintf(y + o, sizeof(y) - o,
                                  "      - {secret_ref: k%d-%d, hosts: [h.test], "
                                  "placeholder: {length: 40}}\n",
                                  t, i);
    }
    const struct bb_config *c = tu_expect_ok(y);
    for (size_t t = 0; t < c->tenants.n; t++)
        assert_int_equal(bb_placeholders_sync(c->tenants.list[t]), 0);
    size_t len = 0;
    const struct bb_config *t0 = c->tenants.list[0], *t99 = c->tenants.list[TENANTS - 1];
    const char *first = bb_placeholder_get(t0, "k0-0", &len);
    const char *last = bb_placeholder_get(t99, "k99-29", &len);
    assert_non_null(first);
    assert_non_null(last);
    assert_int_equal(len, 40);
    assert_string_not_equal(first, last);
    assert_int_equal(bb_placeholders_sync(t0), 0);
    assert_ptr_equal(bb_placeholder_get(t0, "k0-0", &len), first); /* kept */
    bb_config_free(c);
    bb_placeholders_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_placeholders, setup, teardown),
        cmocka_unit_test(test_many_placeholders),
        cmocka_unit_test_setup_teardown(test_env_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bound_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unbound_and_mask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wildcard_per_request, setup, teardown),
        cmocka_unit_test(test_body_kind),
        cmocka_unit_test(test_aws),
        cmocka_unit_test(test_oauth2),
        cmocka_unit_test(test_nothing_to_do),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
