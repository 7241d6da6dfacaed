/*
 * The proxy's state machine driven over real loopback sockets on a real
 * loop, without root: the test thread is the client (and, through a plain
 * connection put in the pool, the upstream), the loop runs in its own
 * thread as a worker's does. Checked: each state's timer outcome (408 in
 * HEAD, a silent close of a connection that sent nothing, 502 when the
 * resolution outlasts timeouts.connect, 504 when the response head
 * outlasts timeouts.response_header, the idle connection's buffers given
 * back after BB_IDLE_RELEASE_MS and the close at timeouts.idle) and the
 * refusal order of docs/proxy.md ("A request, step by step"): a request
 * wrong in several ways gets the refusal of the earliest step.
 */
#include "tests/unit/testutil.h"

#include "gateway/io/loop.h"
#include "gateway/io/resolver.h"
#include "gateway/proxy/proxy_int.h" /* BB_IDLE_RELEASE_MS */
#include "gateway/proxy/proxy_ctx.h"
#include "gateway/proxy/upstream.h"
#include "gateway/state/audit.h"
#include "gateway/state/metrics.h"
#include "gateway/state/secrets.h"
#include "gateway/state/shared.h"
#include "gateway/state/snapshot.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define T_HEADER_MS  300 /* timeouts.request_header, .connect, .response_header */
#define T_IDLE_MS    1600
#define T_READ_MS    4000 /* the longest a test waits for an answer */
#define T_ANSWER_MAX 8192

struct rig {
    char dir[64], cfgfile[96], audit[96];
    const struct bb_config *cfg;
    struct bb_shared sh;
    struct bb_proxy_ctx x;
    pthread_t thread;
    int done[2];   /* the loop thread says a posted call ran */
    int dns;       /* a UDP socket the resolver asks; it never answers */
    int up_listen; /* the fake upstream's listener */
    int up;        /* its accepted connection */
    int client;    /* the test's end of the client connection */
    int accepted;  /* the proxy's end, until bb_proxy_accept takes it */
};

static struct rig R;

static uint16_t port_of(int fd)
{
    struct sockaddr_in sin;
    socklen_t sl = sizeof(sin);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
    return ntohs(sin.sin_port);
}

static int bound(int type)
{
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    if (type == SOCK_STREAM)
        assert_int_equal(listen(fd, 8), 0);
    return fd;
}

static int connect_to(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    return fd;
}

/* ---- calls on the loop thread ---- */

struct call {
    void (*fn)(void);
};

static void run_call(struct bb_loop *l, void *arg)
{
    (void)l;
    ((struct call *)arg)->fn();
    char c = 1;
    assert_int_equal(write(R.done[1], &c, 1), 1);
}

/* Runs fn on the loop's thread and waits for it. */
static void on_loop(void (*fn)(void))
{
    static struct call c;
    c.fn = fn;
    assert_int_equal(bb_loop_post(R.x.loop, run_call, &c), 0);
    char b;
    assert_int_equal(read(R.done[0], &b, 1), 1);
}

static void do_accept(void)
{
    struct sockaddr_storage peer;
    socklen_t pl = sizeof(peer);
    getpeername(R.accepted, (struct sockaddr *)&peer, &pl);
    fcntl(R.accepted, F_SETFL, O_NONBLOCK);
    bb_proxy_accept(&R.x, R.accepted, false, &peer);
}

/* A pooled plain connection to the fake upstream, under api.test's key:
 * the proxy takes it instead of resolving and dialling (loopback is never
 * dialled, and the rig has no TLS server). */
static void do_pool_upstream(void)
{
    uint8_t lo[4] = {127, 0, 0, 1};
    struct bb_upconn *u = bb_upstream_dial(R.x.pool, AF_INET, lo, port_of(R.up_listen), "api.test",
                                           false, "api.test:443", false, false);
    assert_non_null(u);
    struct pollfd pf = {.fd = u->conn.fd, .events = POLLOUT};
    assert_int_equal(poll(&pf, 1, 1000), 1);
    assert_int_equal(bb_upstream_progress(u), 1);
    bb_pool_put(R.x.pool, u);
}

static void do_drain_audit(void)
{
    bb_audit_drain(R.sh.audit, UINT64_MAX);
}

static void do_stop(void)
{
    bb_loop_stop(R.x.loop);
}

/* ---- set-up ---- */

static void write_config(void)
{
    FILE *f = fopen(R.cfgfile, "w");
    assert_non_null(f);
    fprintf(f,
            "workers: 1\n"
            "secrets_dir: %s\n"
            "audit:\n  output: %s\n"
            "timeouts:\n  connect: %d\n  request_header: %d\n  response_header: %d\n"
            "  idle: %d\n"
            "dns:\n  upstream: \"127.0.0.1:%u\"\n"
            "egress_policy:\n  rules:\n"
            "    - {host: api.test, action: allow}\n"
            "    - {host: slow.test, action: allow}\n"
            "    - host: keyed.test\n      action: allow\n      header_rewrites:\n"
            "        - {name: Authorization, value: \"Bearer {value}\", secret_ref: absent}\n",
            R.dir, R.audit, T_HEADER_MS, T_HEADER_MS, T_HEADER_MS, T_IDLE_MS, port_of(R.dns));
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    memset(&R, 0, sizeof(R));
    snprintf(R.dir, sizeof(R.dir), "/tmp/bb-proxy-XXXXXX");
    assert_non_null(mkdtemp(R.dir));
    snprintf(R.cfgfile, sizeof(R.cfgfile), "%s/botbox.yaml", R.dir);
    snprintf(R.audit, sizeof(R.audit), "%s/audit.jsonl", R.dir);
    R.dns = bound(SOCK_DGRAM);
    R.up_listen = bound(SOCK_STREAM);
    write_config();
    struct bb_diag *d = bb_diag_new();
    R.cfg = bb_config_load(R.cfgfile, NULL, d);
    tu_dump(d);
    assert_non_null(R.cfg);
    R.sh.boot_cfg = R.cfg;
    R.sh.audit = bb_audit_open(R.cfg, d);
    R.sh.metrics = bb_metrics_new(1);
    R.sh.client_tls = bb_upstream_tls_ctx(R.cfg);
    struct bb_secrets *sec = bb_secrets_load(R.cfg, d); /* "absent" is missing: a warning */
    bb_diag_free(d);
    assert_true(R.sh.audit && R.sh.metrics && R.sh.client_tls && sec);
    struct bb_cfgref *ref = bb_cfgref_new(R.cfg);
    R.sh.current = bb_snapshot_new(ref, sec, 1);
    bb_cfgref_unref(ref);
    R.x = (struct bb_proxy_ctx){.sh = &R.sh, .loop = bb_loop_new()};
    R.x.snap = bb_snapshot_ref(R.sh.current);
    R.x.metrics = bb_metrics_shard(R.sh.metrics, 0);
    R.x.resolver = bb_resolver_new(R.x.loop, R.cfg->dns.upstream, false);
    R.x.pool = bb_pool_new(R.x.loop, R.sh.client_tls, R.cfg->timeouts.idle_ms, NULL, NULL);
    assert_true(R.x.loop && R.x.resolver && R.x.pool);
    assert_int_equal(bb_audit_attach(R.sh.audit, R.x.loop), 0);
    assert_int_equal(pipe(R.done), 0);
    assert_int_equal(bb_loop_thread_start(R.x.loop, &R.thread), 0);
    R.up = R.client = -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (R.client >= 0)
        close(R.client);
    if (R.up >= 0)
        close(R.up);
    on_loop(do_stop);
    bb_loop_thread_join(R.x.loop, R.thread);
    bb_proxy_close_all(&R.x);
    bb_loop_run_deferred(R.x.loop);
    bb_pool_free(R.x.pool);
    bb_resolver_free(R.x.resolver);
    bb_loop_run_deferred(R.x.loop);
    bb_proxy_free_spares(&R.x);
    bb_audit_free(R.sh.audit);
    bb_loop_free(R.x.loop);
    bb_snapshot_unref(R.x.snap);
    bb_snapshot_unref(R.sh.current);
    bb_metrics_free(R.sh.metrics);
    SSL_CTX_free(R.sh.client_tls);
    close(R.dns);
    close(R.up_listen);
    close(R.done[0]);
    close(R.done[1]);
    unlink(R.cfgfile);
    unlink(R.audit);
    rmdir(R.dir);
    return 0;
}

/* ---- the client's side ---- */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A new client connection, taken over by the proxy. */
static void open_client(void)
{
    int l = bound(SOCK_STREAM);
    R.client = connect_to(port_of(l));
    R.accepted = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    close(l);
    assert_true(R.accepted >= 0);
    on_loop(do_accept);
}

static void send_all(int fd, const char *s)
{
    size_t n = strlen(s);
    assert_int_equal(write(fd, s, n), (ssize_t)n);
}

/* What arrives on fd until it closes, a complete message is in (its head,
 * and its Content-Length body if it has one), or T_READ_MS pass. */
static const char *answer(int fd)
{
    static char buf[T_ANSWER_MAX];
    size_t n = 0;
    uint64_t end = now_ms() + T_READ_MS;
    buf[0] = '\0';
    while (now_ms() < end && n + 1 < sizeof(buf)) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, (int)(end - now_ms())) <= 0)
            break;
        ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        buf[n] = '\0';
        const char *body = strstr(buf, "\r\n\r\n");
        const char *cl = strstr(buf, "Content-Length: ");
        if (body && (!cl || (size_t)(buf + n - (body + 4)) >= strtoul(cl + 16, NULL, 10)))
            break;
    }
    return buf;
}

/* Whether fd's peer closes within ms with nothing more sent. */
static bool closes_within(int fd, int ms)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    char b[64];
    return poll(&pf, 1, ms) == 1 && read(fd, b, sizeof(b)) == 0;
}

/* The audit file holds a line with both strings. */
static bool audited(const char *a, const char *b)
{
    on_loop(do_drain_audit);
    FILE *f = fopen(R.audit, "r");
    char line[4096];
    bool found = false;
    while (f && !found && fgets(line, sizeof(line), f))
        found = strstr(line, a) && strstr(line, b);
    if (f)
        fclose(f);
    return found;
}

static void expect_status(const char *got, const char *status_line, const char *body)
{
    if (strncmp(got, status_line, strlen(status_line)) != 0 ||
        strcmp(strstr(got, "\r\n\r\n") ? strstr(got, "\r\n\r\n") + 4 : "", body) != 0)
        fprintf(stderr, "got: %s\nwant: %s ... %s\n", got, status_line, body);
    assert_int_equal(strncmp(got, status_line, strlen(status_line)), 0);
    assert_non_null(strstr(got, "\r\n\r\n"));
    assert_string_equal(strstr(got, "\r\n\r\n") + 4, body);
}

/* ---- timers ---- */

static void test_head_timeout_is_408(void **state)
{
    (void)state;
    open_client();
    uint64_t t0 = now_ms();
    send_all(R.client, "GET / HTTP/1.1\r\nHost: api.te");
    expect_status(answer(R.client), "HTTP/1.1 408 ", "request timeout");
    assert_true(now_ms() - t0 >= T_HEADER_MS - 50); /* not before timeouts.request_header */
    assert_true(audited("\"reason\":\"request_timeout\"", "\"status\":408"));
}

static void test_nothing_sent_closes_silently(void **state)
{
    (void)state;
    open_client();
    assert_true(closes_within(R.client, T_READ_MS)); /* EOF, no status line */
}

static void test_resolve_timeout_is_502(void **state)
{
    (void)state;
    open_client();
    send_all(R.client, "GET /r HTTP/1.1\r\nHost: slow.test\r\n\r\n");
    expect_status(answer(R.client), "HTTP/1.1 502 ", "upstream connection failed");
    assert_true(audited("\"reason\":\"resolve_timeout\"", "\"host\":\"slow.test\""));
}

static void test_response_head_timeout_is_504(void **state)
{
    (void)state;
    on_loop(do_pool_upstream);
    R.up = accept4(R.up_listen, NULL, NULL, SOCK_CLOEXEC);
    open_client();
    send_all(R.client, "GET /slow HTTP/1.1\r\nHost: api.test\r\n\r\n");
    const char *req = answer(R.up); /* it reached the upstream, which says nothing */
    assert_non_null(strstr(req, "GET /slow HTTP/1.1\r\n"));
    expect_status(answer(R.client), "HTTP/1.1 504 ", "gateway timeout");
    assert_true(audited("\"reason\":\"upstream_timeout\"", "\"path\":\"/slow\""));
}

static void test_idle_gives_back_then_closes(void **state)
{
    (void)state;
    on_loop(do_pool_upstream);
    R.up = accept4(R.up_listen, NULL, NULL, SOCK_CLOEXEC);
    open_client();
    send_all(R.client, "GET /ok HTTP/1.1\r\nHost: api.test\r\n\r\n");
    assert_non_null(strstr(answer(R.up), "GET /ok "));
    send_all(R.up, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    expect_status(answer(R.client), "HTTP/1.1 200 ", "ok");
    uint64_t t0 = now_ms();
    size_t before = atomic_load(&R.sh.freed);
    /* IDLE: the connection keeps its buffers for BB_IDLE_RELEASE_MS ... */
    usleep((BB_IDLE_RELEASE_MS - 300) * 1000);
    assert_int_equal(atomic_load(&R.sh.freed), before);
    /* ... then IDLE_BARE gives them back and stays open ... */
    usleep(600 * 1000);
    assert_true(atomic_load(&R.sh.freed) > before);
    struct pollfd pf = {.fd = R.client, .events = POLLIN};
    assert_int_equal(poll(&pf, 1, 0), 0);
    /* ... until timeouts.idle, when it closes without a word. */
    assert_true(closes_within(R.client, T_READ_MS));
    assert_true(now_ms() - t0 >= T_IDLE_MS - 100);
}

/* ---- the refusal order ---- */

/* Each request is wrong at more than one step; the answer is the first
 * step's (docs/proxy.md numbers them). */
static const struct {
    const char *why, *request, *status, *body;
} order[] = {
    {"a bad head before the method: obs-fold in a CONNECT",
     "CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test:443\r\nX: a\r\n b\r\n\r\n", "HTTP/1.1 400 ",
     "bad request"},
    {"the method before the host: CONNECT without Host", "CONNECT evil.test:443 HTTP/1.1\r\n\r\n",
     "HTTP/1.1 405 ", "CONNECT method not allowed"},
    {"the method before the policy: TRACE to a denied host",
     "TRACE / HTTP/1.1\r\nHost: evil.test\r\n\r\n", "HTTP/1.1 405 ", "method not allowed"},
    {"the target before the policy: no Host, nothing to judge", "GET / HTTP/1.1\r\n\r\n",
     "HTTP/1.1 400 ", "missing host"},
    {"the target before the policy: an absolute-form authority that is not Host",
     "GET http://evil.test/ HTTP/1.1\r\nHost: api.test\r\n\r\n", "HTTP/1.1 400 ", "host mismatch"},
    {"the policy before the secret: a denied host", "GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n",
     "HTTP/1.1 403 ", "host not allowed"},
    {"the secret before the destination: keyed.test's key is absent (never resolved)",
     "GET / HTTP/1.1\r\nHost: keyed.test\r\n\r\n", "HTTP/1.1 500 ",
     "internal error: secret not available"},
};

static void test_refusal_order(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        open_client();
        send_all(R.client, order[i].request);
        const char *got = answer(R.client);
        if (strncmp(got, order[i].status, strlen(order[i].status)) != 0)
            fprintf(stderr, "refusal order: %s\n", order[i].why);
        expect_status(got, order[i].status, order[i].body);
        close(R.client);
        R.client = -1;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_head_timeout_is_408, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_sent_closes_silently, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolve_timeout_is_502, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_head_timeout_is_504, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_gives_back_then_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusal_order, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
