/*
 * Outbound heads: request-target rules, hop-by-hop stripping in both
 * directions (Connection-named headers included), Host, rewrite semantics
 * (every client value removed, one injected), framing, error responses.
 */
#include "tests/unit/testutil.h"

#include "gateway/http/h2_head.h"
#include "gateway/http/http_out.h"
#include "gateway/state/secrets.h"
#include "policy/policy.h"

#include <unistd.h>

static llhttp_t parser;
static struct bb_hdr lines[BB_HTTP_MAX_HEADERS];
static struct bb_http_head head = {.h = lines};
static char text[8192];

static void parse(const char *msg)
{
    const char *why;
    size_t len = strlen(msg);
    memcpy(text, msg, len + 1);
    assert_int_equal(bb_http_parse_request(&parser, text, len, &head, &why), 0);
}

static int target(const char *msg, struct bb_target *t, const char **why)
{
    parse(msg);
    return bb_http_target(&head, t, why);
}

static void test_targets(void **state)
{
    (void)state;
    struct bb_target t;
    const char *why;
    assert_int_equal(target("GET /a?b HTTP/1.1\r\nHost: api.test\r\n\r\n", &t, &why), 0);
    assert_false(t.absolute);
    assert_memory_equal(t.authority, "api.test", 8);
    assert_memory_equal(t.path, "/a?b", 4);
    assert_int_equal(target("GET http://api.test/x?y HTTP/1.1\r\nHost: api.test\r\n\r\n", &t, &why),
                     0);
    assert_true(t.absolute);
    assert_int_equal(t.authority_len, 8);
    assert_memory_equal(t.path, "/x?y", 4);
    assert_int_equal(target("GET http://API.test:80 HTTP/1.1\r\nHost: api.test\r\n\r\n", &t, &why),
                     0);
    assert_memory_equal(t.path, "/", 1);
    assert_int_equal(
        target("GET https://api.test/ HTTP/1.1\r\nHost: api.test:443\r\n\r\n", &t, &why), 0);
    assert_int_equal(target("GET http://api.test/ HTTP/1.1\r\n\r\n", &t, &why), 0);

    static const struct {
        const char *msg, *why;
    } bad[] = {
        {"GET / HTTP/1.1\r\n\r\n", "missing host"},
        {"GET / HTTP/1.1\r\nHost:\r\n\r\n", "missing host"},
        {"GET http://api.test/ HTTP/1.1\r\nHost: evil.test\r\n\r\n", "host mismatch"},
        {"GET http://api.test/ HTTP/1.1\r\nHost: api.test:8080\r\n\r\n", "host mismatch"},
        {"GET http://api.test:443/ HTTP/1.1\r\nHost: api.test\r\n\r\n", "host mismatch"},
        {"GET http://allowed.test@evil.test/ HTTP/1.1\r\nHost: evil.test\r\n\r\n", "bad request"},
        {"GET http://api.test/#frag HTTP/1.1\r\nHost: api.test\r\n\r\n", "bad request"},
        {"GET ftp://api.test/ HTTP/1.1\r\nHost: api.test\r\n\r\n", "bad request"},
        {"GET http:///x HTTP/1.1\r\nHost: api.test\r\n\r\n", "bad request"},
        {"GET http://api.test?x HTTP/1.1\r\nHost: api.test\r\n\r\n", "bad request"},
        {"OPTIONS * HTTP/1.1\r\nHost: api.test\r\n\r\n", "bad request"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = target(bad[i].msg, &t, &why);
        if (rc != 400 || strcmp(why, bad[i].why) != 0)
            fprintf(stderr, "case %zu: %d %s\n", i, rc, rc ? why : "");
        assert_int_equal(rc, 400);
        assert_string_equal(why, bad[i].why);
    }
}

static char secrets_dir[64];
static const struct bb_config *cfg;
static struct bb_secrets *secrets;

static int setup(void **state)
{
    (void)state;
    snprintf(secrets_dir, sizeof(secrets_dir), "/tmp/bb-out-XXXXXX");
    assert_non_null(mkdtemp(secrets_dir));
    char path[128], yaml[1024];
    snprintf(path, sizeof(path), "%s/key", secrets_dir);
    FILE *f = fopen(path, "w");
    fputs("sk-test-123\n", f);
    fclose(f);
    snprintf(yaml, sizeof(yaml),
             "secrets_dir: %s\negress_policy:\n  rules:\n"
             "    - host: api.test\n      action: allow\n      header_rewrites:\n"
             "        - name: Authorization\n          value: \"Bearer {value}\"\n"
             "          secret_ref: key\n"
             "        - name: X-Version\n          value: \"2023-06-01\"\n"
             "    - host: gone.test\n      action: allow\n      header_rewrites:\n"
             "        - name: X-Key\n          value: \"{value}\"\n          secret_ref: absent\n",
             secrets_dir);
    cfg = tu_expect_ok(yaml);
    struct bb_diag *d = bb_diag_new();
    secrets = bb_secrets_load(cfg, d);
    bb_diag_free(d);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bb_secrets_free(secrets);
    bb_config_free(cfg);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", secrets_dir);
    return system(cmd);
}

static char *out_text(struct bb_buf *b)
{
    static char s[8192];
    memcpy(s, bb_buf_head(b), bb_buf_size(b));
    s[bb_buf_size(b)] = '\0';
    return s;
}

static void test_request_rewrites_and_hop_by_hop(void **state)
{
    (void)state;
    parse("POST http://api.test/v1/chat HTTP/1.1\r\nHost: api.test\r\n"
          "Authorization: Bearer client-own-1\r\nauthorization: Bearer client-own-2\r\n"
          "Connection: keep-alive, X-Drop-Me\r\nX-Drop-Me: 1\r\nKeep-Alive: 5\r\n"
          "Proxy-Authorization: Basic x\r\nTE: trailers\r\nUpgrade: h2c\r\n"
          "HTTP2-Settings: AAMAAABkAAQAAP__\r\n" /* not named by Connection: dropped anyway */
          "X-Keep: yes\r\nContent-Length: 4\r\n\r\n");
    struct bb_target t;
    const char *why;
    size_t ninj;
    assert_int_equal(bb_http_target(&head, &t, &why), 0);
    struct bb_buf b;
    bb_buf_init(&b, 65536);
    struct bb_inject inj = {.rule = &cfg->egress.rules[0], .secrets = secrets};
    assert_int_equal(bb_http_write_request(&b, &head, &t, "api.test", &inj, false, &ninj), 0);
    assert_string_equal(out_text(&b), "POST /v1/chat HTTP/1.1\r\n"
                                      "Host: api.test\r\n"
                                      "X-Keep: yes\r\n"
                                      "Authorization: Bearer sk-test-123\r\n"
                                      "X-Version: 2023-06-01\r\n"
                                      "TE: trailers\r\n" /* botbox relays trailers: said again */
                                      "Content-Length: 4\r\n"
                                      "\r\n");
    assert_int_equal(ninj, 2);
    bb_buf_free(&b);
}

static void test_request_missing_secret_and_no_rule(void **state)
{
    (void)state;
    parse("GET / HTTP/1.1\r\nHost: gone.test\r\nX-Key: mine\r\n\r\n");
    struct bb_target t;
    const char *why;
    size_t ninj;
    bb_http_target(&head, &t, &why);
    struct bb_buf b;
    bb_buf_init(&b, 65536);
    struct bb_inject inj = {.rule = &cfg->egress.rules[1], .secrets = secrets};
    assert_int_equal(bb_http_write_request(&b, &head, &t, "gone.test", &inj, false, &ninj), -2);
    assert_int_equal(bb_buf_size(&b), 0); /* nothing written */
    /* Without a rule (would_deny, default allow) nothing is injected. */
    struct bb_inject none = {0};
    assert_int_equal(bb_http_write_request(&b, &head, &t, "gone.test", &none, false, &ninj), 0);
    assert_string_equal(out_text(&b), "GET / HTTP/1.1\r\nHost: gone.test\r\nX-Key: mine\r\n\r\n");
    bb_buf_free(&b);
}

static void test_request_chunked_and_websocket(void **state)
{
    (void)state;
    parse("GET /ws HTTP/1.1\r\nHost: [fd00::1]:8443\r\nConnection: Upgrade\r\n"
          "Upgrade: websocket\r\nSec-WebSocket-Key: abc\r\n\r\n");
    struct bb_target t;
    const char *why;
    size_t ninj;
    bb_http_target(&head, &t, &why);
    struct bb_buf b;
    bb_buf_init(&b, 65536);
    struct bb_inject none = {0};
    assert_int_equal(bb_http_write_request(&b, &head, &t, "[fd00::1]:8443", &none, true, &ninj), 0);
    assert_string_equal(out_text(&b), "GET /ws HTTP/1.1\r\nHost: [fd00::1]:8443\r\n"
                                      "Sec-WebSocket-Key: abc\r\n"
                                      "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    bb_buf_reset(&b);
    parse("POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n");
    bb_http_target(&head, &t, &why);
    bb_http_write_request(&b, &head, &t, "a.test", &none, false, &ninj);
    assert_string_equal(out_text(&b),
                        "POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n");
    bb_buf_free(&b);
}

static void resp(const char *msg, bool head_req)
{
    const char *why;
    size_t len = strlen(msg);
    memcpy(text, msg, len + 1);
    assert_int_equal(bb_http_parse_response(&parser, text, len, head_req, &head, &why), 0);
}

static void test_responses(void **state)
{
    (void)state;
    struct bb_buf b;
    bb_buf_init(&b, 65536);
    resp("HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: t=5\r\n"
         "Transfer-Encoding: chunked\r\nX-End: 2\r\n\r\n",
         false);
    assert_int_equal(bb_http_response_framing(&head, 1), BB_OUT_CHUNKED);
    bb_http_write_response(&b, &head, BB_OUT_CHUNKED, false, false);
    assert_string_equal(out_text(&b),
                        "HTTP/1.1 200 OK\r\nX-End: 2\r\nTransfer-Encoding: chunked\r\n\r\n");
    bb_buf_reset(&b);
    resp("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n", false);
    assert_int_equal(bb_http_response_framing(&head, 1), BB_OUT_CHUNKED); /* EOF -> chunked */
    assert_int_equal(bb_http_response_framing(&head, 0), BB_OUT_EOF);
    bb_http_write_response(&b, &head, BB_OUT_EOF, false, false);
    assert_string_equal(out_text(&b), "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                      "Connection: close\r\n\r\n");
    bb_buf_reset(&b);
    resp("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", true); /* answer to HEAD */
    bb_http_write_response(&b, &head, bb_http_response_framing(&head, 1), false, false);
    assert_string_equal(out_text(&b), "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
    bb_buf_reset(&b);
    resp("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
         "Sec-WebSocket-Accept: xyz\r\n\r\n",
         false);
    bb_http_write_response(&b, &head, BB_OUT_NONE, false, true);
    assert_string_equal(out_text(&b), "HTTP/1.1 101 Switching Protocols\r\n"
                                      "Sec-WebSocket-Accept: xyz\r\n"
                                      "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    bb_buf_free(&b);
}

/* fields: "name=value" joined by spaces, as bb_http_h2_response_fields
 * makes them. */
static const char *h2_fields(bool bodyless)
{
    static char out[1024], names[512];
    char status[3];
    struct bb_h2_field f[16];
    int n = bb_http_h2_response_fields(&head, bodyless, status, f, 16, names, sizeof(names));
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%.*s=%.*s", i ? " " : "",
                                 (int)f[i].name_len, (const char *)f[i].name, (int)f[i].value_len,
                                 (const char *)f[i].value);
    return n < 0 ? "too small" : out;
}

static void test_responses_as_h2_fields(void **state)
{
    (void)state;
    resp("HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: t=5\r\n"
         "Transfer-Encoding: chunked\r\nX-End: 2\r\nContent-Type: text/plain\r\n\r\n",
         false);
    assert_string_equal(h2_fields(false), ":status=200 x-end=2 content-type=text/plain");
    resp("HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\nProxy-Connection: x\r\nUpgrade: h2c\r\n"
         "TE: trailers\r\n\r\n",
         false);
    assert_string_equal(h2_fields(false), ":status=404 content-length=5");
    resp("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 123\r\n\r\n", false);
    assert_string_equal(h2_fields(true), ":status=304 etag=\"v1\" content-length=123");
    resp("HTTP/1.1 200 OK\r\nX-A: 1\r\nX-B: 2\r\n\r\n", false);
    char status[3], names[4];
    struct bb_h2_field f[2];
    assert_int_equal(bb_http_h2_response_fields(&head, false, status, f, 2, names, 4), -1);
    assert_int_equal(bb_http_h2_response_fields(&head, false, status, f, 3, names, 2), -1);
}

static void test_errors_and_bodies(void **state)
{
    (void)state;
    struct bb_buf b;
    bb_buf_init(&b, 65536);
    bb_http_write_error(&b, 403, "host not allowed");
    assert_string_equal(out_text(&b), "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n"
                                      "Content-Length: 16\r\nConnection: close\r\n\r\n"
                                      "host not allowed");
    bb_buf_reset(&b);
    bb_http_write_body(&b, BB_OUT_CHUNKED, "hello world!", 12);
    bb_http_write_body_end(&b, BB_OUT_CHUNKED, NULL, NULL);
    assert_string_equal(out_text(&b), "c\r\nhello world!\r\n0\r\n\r\n");
    bb_buf_reset(&b);
    bb_http_write_body(&b, BB_OUT_LENGTH, "abc", 3);
    bb_http_write_body_end(&b, BB_OUT_LENGTH, NULL, NULL);
    assert_string_equal(out_text(&b), "abc");
    bb_buf_reset(&b);
    assert_int_equal(bb_http_write_grpc_error(&b, 403, "host not allowed: 100%\n"), 0);
    assert_string_equal(out_text(&b),
                        "HTTP/1.1 200 OK\r\nContent-Type: application/grpc\r\nGrpc-Status: 7\r\n"
                        "Grpc-Message: host not allowed: 100%25%0A\r\nContent-Length: 0\r\n"
                        "Connection: close\r\n\r\n");
    assert_int_equal(bb_http_grpc_status(502), 14);
    assert_int_equal(bb_http_grpc_status(400), 13);
    assert_int_equal(bb_http_grpc_status(418), 2);
    bb_buf_free(&b);
}

/* A request's trailers lose the names its rule rewrites (delete-then-add
 * covers the trailer section), the others pass; a length-framed body
 * carries none. */
static void test_trailers_written(void **state)
{
    (void)state;
    struct bb_buf b;
    bb_buf_init(&b, 65536);
    struct bb_buf t;
    bb_buf_init(&t, 4096);
    bb_buf_append(&t, "x-version: 1999\r\ngrpc-timeout: 1S\r\n", 35);
    struct bb_inject inj = {.rule = &cfg->egress.rules[0], .secrets = secrets};
    bb_buf_reset(&b);
    assert_int_equal(bb_http_write_body_end(&b, BB_OUT_CHUNKED, &t, &inj), 0);
    assert_string_equal(out_text(&b), "0\r\ngrpc-timeout: 1S\r\n\r\n");
    bb_buf_reset(&b);
    assert_int_equal(bb_http_write_body_end(&b, BB_OUT_CHUNKED, &t, NULL), 0);
    assert_string_equal(out_text(&b), "0\r\nx-version: 1999\r\ngrpc-timeout: 1S\r\n\r\n");
    bb_buf_reset(&b);
    assert_int_equal(bb_http_write_body_end(&b, BB_OUT_LENGTH, &t, NULL), 0);
    assert_int_equal(bb_buf_size(&b), 0); /* no place for them */
    bb_buf_free(&t);
    bb_buf_free(&b);
}

/* Placeholders (gateway/cred): replaced in header values, the path and
 * the query each by its own set, Accept-Encoding asked as identity, the
 * framing given by the plan; a refusing pattern stops the head. */
static void test_request_placeholders(void **state)
{
    (void)state;
    parse("POST /v1/PH-aaaa/x?key=PH-aaaa&PH-bbbb=1 HTTP/1.1\r\nHost: a.test\r\n"
          "X-Tok: Bearer PH-aaaa\r\nAccept-Encoding: gzip, br\r\nContent-Length: 7\r\n\r\n");
    struct bb_target t;
    const char *why;
    size_t ninj;
    bb_http_target(&head, &t, &why);
    const struct bb_subst_pat hp = {.from = "PH-aaaa", .from_len = 7, .to = "s e c", .to_len = 5};
    const struct bb_subst_pat pp = {.from = "PH-aaaa", .from_len = 7, .to = "s%20e", .to_len = 5};
    const struct bb_subst_pat qp = {
        .from = "PH-bbbb", .from_len = 7, .to = "T", .to_len = 1, .tag = 3};
    struct bb_subst_set hs, ps, qs;
    assert_int_equal(bb_subst_set_init(&hs, &hp, 1), 0);
    assert_int_equal(bb_subst_set_init(&ps, &pp, 1), 0);
    assert_int_equal(bb_subst_set_init(&qs, &qp, 1), 0);
    struct bb_buf b;
    bb_buf_init(&b, 65536);
    struct bb_inject inj = {.hdr = &hs,
                            .path = &ps,
                            .query = &qs,
                            .identity = true,
                            .framing = BB_INJ_LENGTH,
                            .length = 12};
    assert_int_equal(bb_http_write_request(&b, &head, &t, "a.test", &inj, false, &ninj), 0);
    assert_string_equal(out_text(&b), "POST /v1/s%20e/x?key=PH-aaaa&T=1 HTTP/1.1\r\n"
                                      "Host: a.test\r\n"
                                      "X-Tok: Bearer s e c\r\n"
                                      "Accept-Encoding: identity\r\n"
                                      "Content-Length: 12\r\n\r\n");
    assert_int_equal(inj.hits, 3);
    assert_int_equal(inj.tags, (1u << 0) | (1u << 3));
    bb_buf_reset(&b);
    inj = (struct bb_inject){.framing = BB_INJ_CHUNKED};
    assert_int_equal(bb_http_write_request(&b, &head, &t, "a.test", &inj, false, &ninj), 0);
    assert_non_null(strstr(out_text(&b), "\r\nAccept-Encoding: gzip, br\r\n"
                                         "Transfer-Encoding: chunked\r\n\r\n"));
    bb_buf_reset(&b);
    const struct bb_subst_pat refuse = {.from = "PH-aaaa", .from_len = 7, .tag = 5, .refuse = true};
    struct bb_subst_set rs;
    assert_int_equal(bb_subst_set_init(&rs, &refuse, 1), 0);
    inj = (struct bb_inject){.hdr = &rs};
    assert_int_equal(bb_http_write_request(&b, &head, &t, "a.test", &inj, false, &ninj), -3);
    assert_int_equal(inj.refused_tag, 5);
    bb_buf_free(&b);
}

/* Redaction of an answer's head: values and the reason phrase, never the
 * names or an informative Content-Length. */
static void test_response_redacted(void **state)
{
    (void)state;
    resp("HTTP/1.1 401 bad key s3cr3t-value\r\nX-Seen: Bearer s3cr3t-value\r\n"
         "Content-Length: 5\r\n\r\n",
         false);
    const struct bb_subst_pat rp = {
        .from = "s3cr3t-value", .from_len = 12, .to = "PH", .to_len = 2, .tag = 1};
    struct bb_subst_set rs;
    assert_int_equal(bb_subst_set_init(&rs, &rp, 1), 0);
    struct bb_buf b;
    bb_buf_init(&b, 65536);
    uint32_t hits = 0;
    uint64_t tags = 0;
    assert_int_equal(
        bb_http_write_response_redacted(&b, &head, BB_OUT_CHUNKED, false, false, &rs, &hits, &tags),
        0);
    assert_string_equal(out_text(&b), "HTTP/1.1 401 bad key PH\r\nX-Seen: Bearer PH\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n");
    assert_int_equal(hits, 2);
    assert_int_equal(tags, 2);
    bb_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targets),
        cmocka_unit_test_setup_teardown(test_request_rewrites_and_hop_by_hop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_missing_secret_and_no_rule, setup, teardown),
        cmocka_unit_test(test_request_placeholders),
        cmocka_unit_test(test_response_redacted),
        cmocka_unit_test(test_request_chunked_and_websocket),
        cmocka_unit_test(test_responses),
        cmocka_unit_test(test_responses_as_h2_fields),
        cmocka_unit_test(test_errors_and_bodies),
        cmocka_unit_test_setup_teardown(test_trailers_written, setup, teardown),
    };
    return cmocka_run_group_tests_name("gateway/http_out", tests, NULL, NULL);
}
