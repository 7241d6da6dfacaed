/*
 * Metrics shards and their exposition, and the admin endpoint's answers
 * (docs/reference.md §5). The e2e scenario 41 parses a live /metrics with a real
 * Prometheus parser; these pin the details: cumulative buckets, sums over
 * shards, bounded labels, routes and status lines.
 */
#include "tests/unit/testutil.h"

#include "gateway/serve/admin.h"
#include "gateway/state/metrics.h"

static bool has(const struct bb_buf *b, const char *line)
{
    size_t n = strlen(line);
    const char *p = bb_buf_head(b), *end = p + bb_buf_size(b);
    for (; p + n <= end; p++)
        if (memcmp(p, line, n) == 0 && (p == bb_buf_head(b) || p[-1] == '\n'))
            return true;
    return false;
}

static void render(struct bb_metrics *m, struct bb_buf *out)
{
    bb_buf_init(out, 16u << 20);
    assert_int_equal(bb_metrics_render(m, out), 0);
    assert_int_equal(bb_buf_append(out, "", 1), 0); /* for printing on failure */
}

static void test_labels_bounded(void **state)
{
    (void)state;
    struct bb_metrics *m = bb_metrics_new(1);
    uint16_t a = bb_metrics_label(m, "api.test");
    assert_int_equal(a, BB_LABEL_FIRST_RULE);
    assert_int_equal(bb_metrics_label(m, "api.test"), a); /* stable across reloads */
    char name[32];
    uint16_t last = 0;
    for (int i = 0; i < BB_METRICS_MAX_HOSTS + 10; i++) {
        snprintf(name, sizeof(name), "h%d.test", i);
        last = bb_metrics_label(m, name);
    }
    assert_int_equal(last, BB_LABEL_OTHER); /* full: the rest share "_other" */
    bb_metrics_free(m);
}

static void test_tenants(void **state)
{
    (void)state;
    struct bb_metrics *m = bb_metrics_new(2);
    struct bb_buf o;
    render(m, &o);
    assert_null(strstr(bb_buf_head(&o), "botbox_tenant_decisions_total")); /* none: not shown */
    bb_buf_free(&o);
    uint16_t a = bb_metrics_tenant(m, "team-a");
    assert_int_equal(a, BB_TLABEL_FIRST);
    assert_int_equal(bb_metrics_tenant(m, "team-a"), a); /* stable across reloads */
    bb_metrics_tenant_decision(bb_metrics_shard(m, 0), a, BB_MK_HTTP, BB_MD_ALLOW);
    bb_metrics_tenant_decision(bb_metrics_shard(m, 1), a, BB_MK_HTTP, BB_MD_ALLOW);
    bb_metrics_tenant_decision(bb_metrics_shard(m, 1), BB_TLABEL_UNMATCHED, BB_MK_DNS, BB_MD_DENY);
    char name[32];
    uint16_t last = 0;
    for (int i = 0; i < BB_METRICS_MAX_TENANTS + 10; i++) {
        snprintf(name, sizeof(name), "t%d", i);
        last = bb_metrics_tenant(m, name);
    }
    assert_int_equal(last, BB_TLABEL_OTHER); /* full: the rest share "_other" */
    bb_metrics_tenant_decision(bb_metrics_shard(m, 0), last, BB_MK_FLOW, BB_MD_DENY);
    render(m, &o);
    const char *want[] = {
        "# TYPE botbox_tenant_decisions_total counter",
        "botbox_tenant_decisions_total{tenant=\"team-a\",kind=\"http\",decision=\"allow\"} 2",
        "botbox_tenant_decisions_total{tenant=\"_unmatched\",kind=\"dns\",decision=\"deny\"} 1",
        "botbox_tenant_decisions_total{tenant=\"_other\",kind=\"flow\",decision=\"deny\"} 1",
        "botbox_connections_refused_total{reason=\"tenant_max_connections\"} 0",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!has(&o, want[i]))
            fail_msg("missing %s in\n%s", want[i], bb_buf_head(&o));
    assert_false(has(&o, "botbox_tenant_decisions_total{tenant=\"t0\"")); /* untouched */
    bb_buf_free(&o);
    bb_metrics_free(m);
}

static void test_requests_summed_and_cumulative(void **state)
{
    (void)state;
    struct bb_metrics *m = bb_metrics_new(2);
    uint16_t api = bb_metrics_label(m, "api.test");
    struct bb_metrics_request r = {
        .label = api, .decision = BB_MD_ALLOW, .status = 200, .duration_us = 3000, .rewrites = 1};
    bb_metrics_request(bb_metrics_shard(m, 0), &r);
    r.duration_us = 40000;
    bb_metrics_request(bb_metrics_shard(m, 1), &r); /* another worker */
    r.duration_us = 60000000;                       /* beyond the last bucket */
    r.status = 504;
    r.upstream_error = true;
    r.decision = BB_MD_ERROR;
    r.rewrites = 0;
    bb_metrics_request(bb_metrics_shard(m, 1), &r);
    struct bb_metrics_request d = {.label = BB_LABEL_DENIED, .decision = BB_MD_DENY, .status = 403};
    bb_metrics_request(bb_metrics_shard(m, 0), &d);
    bb_metrics_upstream_tls(bb_metrics_shard(m, 0), true);
    bb_metrics_upstream_tls(bb_metrics_shard(m, 1), false);
    bb_metrics_tls(bb_metrics_shard(m, 1), BB_MT_OK);
    bb_metrics_tls(bb_metrics_shard(m, 0), BB_MT_IO_ERROR);
    bb_metrics_cert_cache(bb_metrics_shard(m, 0), false);
    bb_metrics_cert_issued(bb_metrics_shard(m, 0), BB_MD_ALLOW);
    bb_metrics_cert_cache(bb_metrics_shard(m, 1), true);
    bb_metrics_host_mismatch(bb_metrics_shard(m, 1));
    bb_metrics_accept_paused(bb_metrics_shard(m, 0));
    bb_metrics_accept_paused(bb_metrics_shard(m, 1));
    bb_metrics_refused(bb_metrics_shard(m, 0), BB_MR_OUT_OF_MEMORY);
    bb_metrics_refused(bb_metrics_shard(m, 1), BB_MR_OUT_OF_MEMORY);
    bb_metrics_refused(bb_metrics_shard(m, 1), BB_MR_MAX_CONNECTIONS);
    bb_metrics_refused(bb_metrics_shard(m, 0), BB_MR_OUT_OF_MEMORY_IDLE);
    bb_metrics_connections(bb_metrics_shard(m, 0), BB_ML_PROXY, +1);
    bb_metrics_connections(bb_metrics_shard(m, 1), BB_ML_PROXY, +1);
    bb_metrics_connections(bb_metrics_shard(m, 1), BB_ML_PROXY, -1);
    bb_metrics_reload(m, true);
    bb_metrics_reload(m, false);
    bb_metrics_reload(m, false);

    struct bb_buf o;
    render(m, &o);
    const char *want[] = {
        "# TYPE botbox_requests_total counter\n",
        "botbox_requests_total{host=\"api.test\",decision=\"allow\"} 2\n",
        "botbox_requests_total{host=\"api.test\",decision=\"error\"} 1\n",
        "botbox_requests_total{host=\"_denied\",decision=\"deny\"} 1\n",
        "# TYPE botbox_request_duration_seconds histogram\n",
        "botbox_request_duration_seconds_bucket{host=\"api.test\",le=\"0.005\"} 1\n",
        "botbox_request_duration_seconds_bucket{host=\"api.test\",le=\"0.025\"} 1\n",
        "botbox_request_duration_seconds_bucket{host=\"api.test\",le=\"0.05\"} 2\n",
        "botbox_request_duration_seconds_bucket{host=\"api.test\",le=\"10\"} 2\n",
        "botbox_request_duration_seconds_bucket{host=\"api.test\",le=\"+Inf\"} 3\n",
        "botbox_request_duration_seconds_sum{host=\"api.test\"} 60.043000\n",
        "botbox_request_duration_seconds_count{host=\"api.test\"} 3\n",
        "botbox_upstream_errors_total{host=\"api.test\",status_code=\"504\"} 1\n",
        "botbox_header_rewrites_total{host=\"api.test\"} 2\n",
        "botbox_upstream_tls_handshakes_total{result=\"success\"} 1\n",
        "botbox_upstream_tls_handshakes_total{result=\"failure\"} 1\n",
        "botbox_tls_handshakes_total{result=\"ok\"} 1\n",
        "botbox_tls_handshakes_total{result=\"io_error\"} 1\n",
        "botbox_tls_handshakes_total{result=\"timeout\"} 0\n",
        "botbox_https_interception_cert_issued_total{decision=\"allow\"} 1\n",
        "botbox_https_interception_cert_cache_total{result=\"hit\"} 1\n",
        "botbox_https_interception_cert_cache_total{result=\"miss\"} 1\n",
        "botbox_https_interception_host_mismatch_total 1\n",
        "botbox_connections_active{listener=\"proxy\"} 1\n",
        "botbox_accept_paused_total 2\n",
        "# TYPE botbox_connections_refused_total counter\n",
        "botbox_connections_refused_total{reason=\"max_connections\"} 1\n",
        "botbox_connections_refused_total{reason=\"out_of_memory\"} 2\n",
        "botbox_connections_refused_total{reason=\"out_of_memory_idle\"} 1\n",
        "botbox_config_reloads_total{result=\"success\"} 1\n",
        "botbox_config_reloads_total{result=\"failure\"} 2\n",
        "# TYPE botbox_https_interception_cert_cache_total counter\n",
        "# TYPE botbox_flows_total counter\n",
        "# TYPE botbox_dns_queries_total counter\n",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!has(&o, want[i]))
            fail_msg("missing %s in\n%s", want[i], bb_buf_head(&o));
    /* untouched series are left out: no zero rows for every host */
    assert_false(has(&o, "botbox_requests_total{host=\"_default_allow\""));
    bb_buf_free(&o);
    bb_metrics_free(m);
}

static bool ready_flag;
static bool ready(void *arg)
{
    (void)arg;
    return ready_flag;
}
static int metrics(void *arg, struct bb_buf *out)
{
    (void)arg;
    return bb_buf_printf(out, "# TYPE x counter\nx 1\n");
}
static const char *detail_text; /* NULL: no detail op */
static int detail(void *arg, struct bb_buf *out)
{
    (void)arg;
    return bb_buf_append(out, detail_text, strlen(detail_text));
}

static void respond(const char *req, struct bb_buf *out)
{
    const struct bb_admin_ops ops = {
        .ready = ready, .metrics = metrics, .detail = detail_text ? detail : NULL};
    bb_buf_init(out, 1u << 20);
    bb_admin_respond(&ops, req, strlen(req), out);
    assert_int_equal(bb_buf_append(out, "", 1), 0);
}

static void expect_response(const char *req, const char *status, const char *body)
{
    struct bb_buf o;
    respond(req, &o);
    const char *text = bb_buf_head(&o);
    if (strncmp(text, status, strlen(status)) != 0)
        fail_msg("%s: got %s", req, text);
    const char *b = strstr(text, "\r\n\r\n");
    assert_non_null(b);
    assert_string_equal(b + 4, body);
    bb_buf_free(&o);
}

static void test_admin_routes(void **state)
{
    (void)state;
    ready_flag = false;
    expect_response("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 503 ", "not ready\n");
    expect_response("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 503 ", "not ready\n");
    ready_flag = true;
    expect_response("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 ", "ok\n");
    expect_response("GET /readyz HTTP/1.0\r\n\r\n", "HTTP/1.1 200 ", "ok\n");
    expect_response("GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 ",
                    "# TYPE x counter\nx 1\n");
    expect_response("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 ", "");
    expect_response("GET /metricsx HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 ", "not found\n");
    expect_response("GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 ", "not found\n");
    expect_response("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
                    "HTTP/1.1 404 ", "not found\n");
    expect_response("GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "HTTP/1.1 400 ",
                    "bad request\n");
    /* the detail lines follow the answer (a tenant's missing secrets) */
    detail_text = "tenant team-b: 1 referenced secret(s) missing\n";
    expect_response("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 ",
                    "ok\ntenant team-b: 1 referenced secret(s) missing\n");
    ready_flag = false;
    expect_response("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 503 ",
                    "not ready\ntenant team-b: 1 referenced secret(s) missing\n");
    ready_flag = true;
    detail_text = NULL;
    struct bb_buf o;
    respond("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &o);
    assert_non_null(strstr(bb_buf_head(&o), "Content-Type: text/plain; version=0.0.4"));
    assert_non_null(strstr(bb_buf_head(&o), "Content-Length: 21\r\n"));
    assert_non_null(strstr(bb_buf_head(&o), "Connection: close\r\n"));
    bb_buf_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_bounded),
        cmocka_unit_test(test_tenants),
        cmocka_unit_test(test_requests_summed_and_cumulative),
        cmocka_unit_test(test_admin_routes),
    };
    return cmocka_run_group_tests_name("gateway/metrics", tests, NULL, NULL);
}
