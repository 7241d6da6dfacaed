/*
 * The audit log (docs/reference.md §6): line format, the queue and its overflow
 * accounting, flood summaries, reopening. The writer is driven directly
 * with bb_audit_drain and explicit times, into a real file.
 */
#include "tests/unit/testutil.h"

#include "gateway/state/audit.h"
#include "policy/config.h"

#include <stdlib.h>
#include <unistd.h>

static char dir[64], path[128];
static struct bb_audit *audit;
static const struct bb_config *cfg;

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/bb-audit-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
    char yaml[256];
    snprintf(
        yaml, sizeof(yaml),
        "audit:\n  output: %s\negress_policy:\n  rules:\n    - {host: a.test, action: allow}\n",
        path);
    cfg = tu_expect_ok(yaml);
    struct bb_diag *d = bb_diag_new();
    audit = bb_audit_open(cfg, d);
    assert_non_null(audit);
    bb_diag_free(d);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bb_audit_free(audit);
    bb_config_free(cfg);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

/* The file's content (static buffer). */
static const char *contents(const char *file)
{
    static char buf[16 << 20];
    FILE *f = fopen(file, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void deny(const char *host, const char *src)
{
    struct bb_audit_http e = {.decision = "deny",
                              .reason = "no_rule",
                              .src = src,
                              .dst = "10.0.0.1:443",
                              .host = host,
                              .host_len = strlen(host),
                              .method = "GET",
                              .method_len = 3,
                              .path = "/",
                              .path_len = 1,
                              .status = 403};
    bb_audit_http(audit, &e);
}

static void test_format(void **state)
{
    (void)state;
    const struct bb_rewrite inj[] = {{.name = "Authorization"}, {.name = "X-Not-Injected"}};
    struct bb_audit_http e = {.decision = "allow",
                              .reason = "rule",
                              .rule = "api.test",
                              .src = "[fd00::1]:5000",
                              .dst = "10.0.0.1:443",
                              .request_id = 0x0100000000000007ull,
                              .host = "api.test",
                              .host_len = 8,
                              .method = "GET",
                              .method_len = 3,
                              .path = "/v1/x?key=sk-123",
                              .path_len = 16,
                              .status = 200,
                              .bytes_in = 10,
                              .bytes_out = 20,
                              .duration_ms = 3,
                              .injected = inj,
                              .ninjected = 1};
    struct bb_buf b;
    bb_buf_init(&b, BB_AUDIT_LINE_MAX);
    assert_int_equal(bb_audit_format_http(&b, 1764396000123ull, &e), 0);
    bb_buf_append(&b, "", 1);
    assert_string_equal(
        bb_buf_head(&b),
        "{\"ts\":\"2025-11-29T06:00:00.123Z\",\"event\":\"http\",\"decision\":\"allow\","
        "\"reason\":\"rule\",\"rule\":\"api.test\",\"src\":\"[fd00::1]:5000\","
        "\"dst\":\"10.0.0.1:443\",\"request_id\":\"0100000000000007\",\"host\":\"api.test\","
        "\"method\":\"GET\",\"path\":\"/v1/x\",\"status\":200,\"bytes_in\":10,"
        "\"bytes_out\":20,\"duration_ms\":3,\"end\":\"complete\",\"injected\":[\"Authorization\"]}"
        "\n");
    /* an HTTP/2 stream's line says so, after "end"; HTTP/1.1 lines are
     * BotBox's, without either key */
    e.proto = "h2";
    e.stream = 7;
    bb_buf_reset(&b);
    assert_int_equal(bb_audit_format_http(&b, 1764396000123ull, &e), 0);
    bb_buf_append(&b, "", 1);
    assert_non_null(strstr(bb_buf_head(&b),
                           "\"end\":\"complete\",\"proto\":\"h2\",\"stream\":7,\"injected\":"));
    /* placeholders and redaction: counts and names, after "injected" */
    static const char *const names[] = {"openai", "gh"};
    e.substituted = 2;
    e.redacted = 3;
    e.credentials = names;
    e.ncredentials = 2;
    e.redaction_skipped = true;
    bb_buf_reset(&b);
    assert_int_equal(bb_audit_format_http(&b, 1764396000123ull, &e), 0);
    bb_buf_append(&b, "", 1);
    assert_non_null(
        strstr(bb_buf_head(&b),
               "\"injected\":[\"Authorization\"],\"substituted\":2,\"redacted\":3,"
               "\"redaction\":\"skipped_compressed\",\"credentials\":[\"openai\",\"gh\"]}\n"));
    bb_buf_free(&b);
}

/* A token fetch: its own event, never a token; a failure names why. */
static void test_format_token(void **state)
{
    (void)state;
    struct bb_audit_token e = {.decision = "allow",
                               .reason = "token_fetched",
                               .credential = "cc",
                               .grant = "client_credentials",
                               .trigger = "first",
                               .dst = "auth.test:443",
                               .status = 200,
                               .expires_in = 3600,
                               .duration_ms = 12,
                               .refresh_kept = "written"};
    struct bb_buf b;
    bb_buf_init(&b, BB_AUDIT_LINE_MAX);
    assert_int_equal(bb_audit_format_token(&b, 1764396000123ull, &e), 0);
    bb_buf_append(&b, "", 1);
    assert_string_equal(bb_buf_head(&b),
                        "{\"ts\":\"2025-11-29T06:00:00.123Z\",\"event\":\"token\",\"decision\":"
                        "\"allow\",\"reason\":\"token_fetched\",\"credential\":\"cc\",\"grant\":"
                        "\"client_credentials\",\"trigger\":\"first\",\"dst\":\"auth.test:443\","
                        "\"status\":200,\"expires_in\":3600,\"duration_ms\":12,"
                        "\"refresh_token\":\"written\"}\n");
    e = (struct bb_audit_token){.decision = "error",
                                .reason = "token_endpoint_status",
                                .credential = "cc",
                                .grant = "refresh_token",
                                .trigger = "expiry",
                                .dst = "[fd00::1]:8443",
                                .status = 400,
                                .endpoint_error = "invalid_grant"};
    bb_buf_reset(&b);
    assert_int_equal(bb_audit_format_token(&b, 1764396000123ull, &e), 0);
    bb_buf_append(&b, "", 1);
    assert_non_null(strstr(bb_buf_head(&b), "\"status\":400,\"endpoint_error\":\"invalid_grant\","
                                            "\"duration_ms\":0}\n"));
    bb_buf_free(&b);
}

static void test_lines_reach_the_file_in_order(void **state)
{
    (void)state;
    bb_audit_event(audit, "lifecycle", "allow", "started");
    deny("a.test", "10.0.0.2:1000");
    bb_audit_event(audit, "config", "error", "t.yaml:3:1: bad");
    assert_string_equal(contents(path), ""); /* queued, not written by the producer */
    bb_audit_drain(audit, 1000);
    const char *c = contents(path);
    assert_int_equal(count(c, "\n"), 3);
    assert_true(strstr(c, "\"reason\":\"started\"") < strstr(c, "\"host\":\"a.test\""));
    assert_true(strstr(c, "\"host\":\"a.test\"") < strstr(c, "t.yaml:3:1: bad"));
}

/* 100 identical denials in a window: one line, then one summary line
 * standing for the other 99. Nothing unaccounted for. */
static void test_flood_summarised(void **state)
{
    (void)state;
    char src[32];
    for (int i = 0; i < 100; i++) {
        snprintf(src, sizeof(src), "10.0.0.2:%d", 1000 + i); /* new connection each time */
        deny("evil.test", src);
    }
    deny("other.test", "10.0.0.2:2000"); /* another host: its own line */
    bb_audit_drain(audit, 10000);
    const char *c = contents(path);
    assert_int_equal(count(c, "\n"), 2);
    assert_int_equal(count(c, "repeated"), 0);
    bb_audit_drain(audit, 10000 + BB_AUDIT_FLOOD_WINDOW_MS - 1); /* window still open */
    assert_int_equal(count(contents(path), "\n"), 2);
    bb_audit_drain(audit, 10000 + BB_AUDIT_FLOOD_WINDOW_MS);
    c = contents(path);
    assert_int_equal(count(c, "\n"), 3);
    assert_int_equal(count(c, "\"repeated\":99}\n"), 1);
    assert_non_null(strstr(c, "\"src\":\"10.0.0.2:1099\",")); /* the last one held */
    /* after the window a new denial is written in full again */
    deny("evil.test", "10.0.0.2:3000");
    bb_audit_drain(audit, 20000);
    assert_int_equal(count(contents(path), "\n"), 4);
}

/* Another client is another flood; allowed requests are never summarised. */
static void test_flood_key(void **state)
{
    (void)state;
    deny("evil.test", "10.0.0.2:1");
    deny("evil.test", "10.0.0.3:1");
    deny("evil.test", "[fd00::2]:1");
    struct bb_audit_http ok = {.decision = "allow",
                               .reason = "rule",
                               .src = "10.0.0.2:1",
                               .host = "a.test",
                               .host_len = 6,
                               .status = 200};
    for (int i = 0; i < 5; i++)
        bb_audit_http(audit, &ok);
    bb_audit_drain(audit, 5000);
    assert_int_equal(count(contents(path), "\n"), 8);
}

/* Held floods are written at close. */
static void test_free_flushes_floods(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        deny("evil.test", "10.0.0.2:1");
    bb_audit_free(audit);
    audit = NULL;
    const char *c = contents(path);
    assert_int_equal(count(c, "\n"), 2);
    assert_int_equal(count(c, "\"repeated\":2}"), 1);
}

static void test_queue_full_counted(void **state)
{
    (void)state;
    for (int i = 0; i < BB_AUDIT_QUEUE_LINES + 5; i++)
        bb_audit_event(audit, "lifecycle", "allow", "x");
    bb_audit_drain(audit, 1000);
    const char *c = contents(path);
    assert_int_equal(count(c, "\"reason\":\"x\""), BB_AUDIT_QUEUE_LINES);
    assert_int_equal(count(c, "\"reason\":\"audit_queue_full\",\"dropped\":5}"), 1);
}

/* Long lines meet the byte bound before the line count: the rest are
 * counted as dropped, as for a full queue. */
static void test_queue_bytes_bound(void **state)
{
    (void)state;
    static char long_path[4096];
    memset(long_path, 'p', sizeof(long_path));
    long_path[0] = '/';
    struct bb_audit_http e = {.decision = "allow",
                              .reason = "rule",
                              .host = "a.test",
                              .host_len = 6,
                              .method = "GET",
                              .method_len = 3,
                              .path = long_path,
                              .path_len = sizeof(long_path),
                              .status = 200};
    const int sent = 3000; /* 3000 x 4 KiB > BB_AUDIT_QUEUE_BYTES, < BB_AUDIT_QUEUE_LINES */
    for (int i = 0; i < sent; i++)
        bb_audit_http(audit, &e);
    bb_audit_drain(audit, 1000);
    const char *c = contents(path);
    size_t written = count(c, "\"event\":\"http\"");
    assert_true(written > 0);
    assert_true(written * sizeof(long_path) <= BB_AUDIT_QUEUE_BYTES);
    char want[96];
    snprintf(want, sizeof(want), "\"reason\":\"audit_queue_full\",\"dropped\":%zu}",
             (size_t)sent - written);
    assert_int_equal(count(c, want), 1);
}

static void test_reopen(void **state)
{
    (void)state;
    bb_audit_event(audit, "lifecycle", "allow", "before");
    char moved[160];
    snprintf(moved, sizeof(moved), "%s.1", path);
    assert_int_equal(rename(path, moved), 0); /* logrotate */
    assert_int_equal(bb_audit_reopen(audit), 0);
    bb_audit_event(audit, "lifecycle", "allow", "after");
    bb_audit_drain(audit, 1000);
    assert_non_null(strstr(contents(moved), "before"));
    assert_null(strstr(contents(moved), "after"));
    assert_non_null(strstr(contents(path), "after"));
}

static void flow(const char *src, const char *dst)
{
    struct bb_audit_flow e = {.decision = "deny",
                              .reason = "no_flow_rule",
                              .src = src,
                              .dst = dst,
                              .proto = "udp",
                              .uid = 1000,
                              .gid = 1000};
    bb_audit_flow(audit, &e);
}

static void test_flow_lines(void **state)
{
    (void)state;
    struct bb_audit_flow e = {.decision = "deny",
                              .reason = "no_flow_rule",
                              .src = "[fd00::1]:5000",
                              .dst = "[fd00::2]:53",
                              .proto = "udp",
                              .uid = 1000,
                              .gid = -1};
    struct bb_buf b;
    bb_buf_init(&b, BB_AUDIT_LINE_MAX);
    assert_int_equal(bb_audit_format_flow(&b, 1764396000123ull, &e), 0);
    bb_buf_append(&b, "", 1);
    assert_string_equal(bb_buf_head(&b), "{\"ts\":\"2025-11-29T06:00:00.123Z\",\"event\":\"flow\","
                                         "\"decision\":\"deny\",\"reason\":\"no_flow_rule\","
                                         "\"src\":\"[fd00::1]:5000\",\"dst\":\"[fd00::2]:53\","
                                         "\"proto\":\"udp\",\"uid\":1000}\n");
    /* a protocol with no name of its own is told by its number */
    e = (struct bb_audit_flow){.decision = "deny",
                               .reason = "no_flow_rule",
                               .dst = "10.0.0.9",
                               .proto = "other",
                               .ipproto = 136,
                               .uid = -1,
                               .gid = -1};
    bb_buf_reset(&b);
    assert_int_equal(bb_audit_format_flow(&b, 1764396000123ull, &e), 0);
    bb_buf_append(&b, "", 1);
    assert_string_equal(bb_buf_head(&b),
                        "{\"ts\":\"2025-11-29T06:00:00.123Z\",\"event\":\"flow\","
                        "\"decision\":\"deny\",\"reason\":\"no_flow_rule\","
                        "\"dst\":\"10.0.0.9\",\"proto\":\"other\",\"ipproto\":136}\n");
    /* a gateway with tenants: the client's tenant; a forged source's interface */
    e = (struct bb_audit_flow){.decision = "deny",
                               .reason = "spoofed_source",
                               .tenant = NULL,
                               .src = "10.201.2.2:5000",
                               .dst = "10.201.3.2:123",
                               .proto = "udp",
                               .uid = -1,
                               .gid = -1,
                               .iif = "bbc1"};
    bb_buf_reset(&b);
    assert_int_equal(bb_audit_format_flow(&b, 1764396000123ull, &e), 0);
    bb_buf_append(&b, "", 1);
    assert_string_equal(bb_buf_head(&b),
                        "{\"ts\":\"2025-11-29T06:00:00.123Z\",\"event\":\"flow\","
                        "\"decision\":\"deny\",\"reason\":\"spoofed_source\","
                        "\"src\":\"10.201.2.2:5000\",\"dst\":\"10.201.3.2:123\",\"proto\":\"udp\","
                        "\"iif\":\"bbc1\"}\n");
    e.reason = "no_flow_rule";
    e.tenant = "team-b";
    e.iif = NULL;
    bb_buf_reset(&b);
    assert_int_equal(bb_audit_format_flow(&b, 1764396000123ull, &e), 0);
    bb_buf_append(&b, "", 1);
    assert_string_equal(bb_buf_head(&b),
                        "{\"ts\":\"2025-11-29T06:00:00.123Z\",\"event\":\"flow\","
                        "\"decision\":\"deny\",\"reason\":\"no_flow_rule\",\"tenant\":\"team-b\","
                        "\"src\":\"10.201.2.2:5000\",\"dst\":\"10.201.3.2:123\","
                        "\"proto\":\"udp\"}\n");
    struct bb_audit_dns q = {.decision = "deny",
                             .reason = "no_rule",
                             .tenant = "team-b",
                             .src = "10.201.4.2:3000",
                             .qname = "a.test",
                             .qname_len = 6,
                             .qtype = "A"};
    bb_buf_reset(&b);
    assert_int_equal(bb_audit_format_dns(&b, 1764396000123ull, &q), 0);
    bb_buf_append(&b, "", 1);
    assert_string_equal(bb_buf_head(&b),
                        "{\"ts\":\"2025-11-29T06:00:00.123Z\",\"event\":\"dns\","
                        "\"decision\":\"deny\",\"reason\":\"no_rule\",\"tenant\":\"team-b\","
                        "\"src\":\"10.201.4.2:3000\",\"qname\":\"a.test\",\"qtype\":\"A\"}\n");
    bb_buf_free(&b);
    /* a flood from changing source ports is one flood; another destination
     * port or client is not */
    char src[32];
    for (int i = 0; i < 50; i++) {
        snprintf(src, sizeof(src), "10.0.0.2:%d", 2000 + i);
        flow(src, "10.0.0.9:9999");
    }
    flow("[fd00::2]:1", "10.0.0.9:9999");
    flow("[fd00::2]:2", "10.0.0.9:9999");
    flow("10.0.0.2:1", "10.0.0.9:9998");
    bb_audit_drain(audit, 1000);
    bb_audit_drain(audit, 1000 + BB_AUDIT_FLOOD_WINDOW_MS);
    const char *c = contents(path);
    assert_int_equal(count(c, "\n"), 5); /* 3 floods' first lines + 2 summaries */
    assert_int_equal(count(c, "\"repeated\":49}"), 1);
    assert_int_equal(count(c, "\"repeated\":1}"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_token),
        cmocka_unit_test_setup_teardown(test_lines_reach_the_file_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flood_summarised, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flood_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_flushes_floods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_full_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_bytes_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_lines, setup, teardown),
    };
    return cmocka_run_group_tests_name("gateway/audit", tests, NULL, NULL);
}
