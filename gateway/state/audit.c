/*
 * Audit lines: formatting, the queue, floods and the writer (see audit.h).
 */
#include "gateway/state/audit.h"

#include "common/log.h"
#include "common/diag.h"
#include "common/json.h"
#include "common/macros.h"
#include "gateway/io/loop.h"
#include "policy/config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define BB_AUDIT_WRITE_BATCH (256u * 1024u) /* bytes per write() of the writer */

/* Waiting lines live in one byte buffer per side of the queue, which keeps
 * its memory: a flood of lines costs no allocation per line, and no page
 * faults from a heap that grows and shrinks at every drain. */
struct item {
    size_t off, len; /* in the queue's bytes */
    uint64_t key;    /* flood key of a denial; 0: never summarised */
};

/* One flood being summarised: lines with `key` since start_ms. */
struct flood {
    uint64_t key, start_ms, held;
    struct bb_buf last; /* the latest line held back */
};

struct bb_audit {
    int fd;
    bool owned;
    char *path; /* a file output, for reopening */
    bool write_failed;

    pthread_mutex_t lock; /* guards q, bytes, nq, dropped, signalled */
    struct item *q, *spare;
    struct bb_buf bytes, spare_bytes; /* the lines of q and of spare */
    size_t nq;
    uint64_t dropped;
    bool signalled;
    uint64_t woken_ms; /* the last wake-up, CLOCK_MONOTONIC_COARSE */

    struct bb_loop *loop; /* the control loop, once attached */
    struct bb_io io;      /* eventfd: lines are waiting */
    struct bb_timer tick;
    struct bb_buf out; /* the writer's batch */
    struct flood floods[BB_AUDIT_FLOOD_SLOTS];
};

static void summarise(struct bb_audit *a, struct flood *f);
static void write_out(struct bb_audit *a);

struct bb_audit *bb_audit_open(const struct bb_config *cfg, struct bb_diag *diag)
{
    struct bb_audit *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    pthread_mutex_init(&a->lock, NULL);
    a->io.fd = -1;
    a->fd = cfg->audit.output == BB_AUDIT_STDERR ? STDERR_FILENO : STDOUT_FILENO;
    a->q = calloc(BB_AUDIT_QUEUE_LINES, sizeof(*a->q));
    a->spare = calloc(BB_AUDIT_QUEUE_LINES, sizeof(*a->spare));
    bb_buf_init(&a->out, BB_AUDIT_WRITE_BATCH + BB_AUDIT_LINE_MAX + 64);
    bb_buf_init(&a->bytes, BB_AUDIT_QUEUE_BYTES);
    bb_buf_init(&a->spare_bytes, BB_AUDIT_QUEUE_BYTES);
    for (size_t i = 0; i < BB_AUDIT_FLOOD_SLOTS; i++)
        bb_buf_init(&a->floods[i].last, BB_AUDIT_LINE_MAX);
    if (a->q == NULL || a->spare == NULL) {
        bb_audit_free(a);
        return NULL;
    }
    if (cfg->audit.output == BB_AUDIT_FILE) {
        a->path = strdup(cfg->audit.path);
        a->fd = open(cfg->audit.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (a->fd < 0 || a->path == NULL) {
            bb_diag_add(diag, BB_DIAG_ERROR, "audit.output %s: %s", cfg->audit.path,
                        strerror(errno));
            a->fd = -1;
            bb_audit_free(a);
            return NULL;
        }
        a->owned = true;
    }
    return a;
}

void bb_audit_free(struct bb_audit *a)
{
    if (a == NULL)
        return;
    if (a->fd >= 0 && a->q != NULL) {
        bb_audit_drain(a, a->loop ? bb_loop_now(a->loop) : 0);
        for (size_t i = 0; i < BB_AUDIT_FLOOD_SLOTS; i++)
            summarise(a, &a->floods[i]); /* floods still open end here */
        write_out(a);
    }
    if (a->loop != NULL) {
        bb_loop_timer_cancel(a->loop, &a->tick);
        bb_loop_io_del(a->loop, &a->io);
    }
    if (a->io.fd >= 0)
        close(a->io.fd);
    if (a->owned)
        close(a->fd);
    for (size_t i = 0; i < BB_AUDIT_FLOOD_SLOTS; i++)
        bb_buf_free(&a->floods[i].last);
    free(a->q);
    free(a->spare);
    bb_buf_free(&a->bytes);
    bb_buf_free(&a->spare_bytes);
    free(a->path);
    bb_buf_free(&a->out);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* {"ts":"2026-11-29T06:00:00.123Z". The date and time to the second are
 * formatted once per second per thread (a line per request otherwise pays
 * gmtime_r and a printf). */
static int put_ts(struct bb_buf *b, uint64_t ms)
{
    static __thread time_t last_s = -1;
    static __thread char last[40];
    static __thread int last_len;
    time_t s = (time_t)(ms / 1000);
    if (s != last_s) {
        struct tm tm;
        gmtime_r(&s, &tm);
        last_len = snprintf(last, sizeof(last), "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.",
                            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                            tm.tm_sec);
        last_s = s;
    }
    unsigned frac = (unsigned)(ms % 1000);
    char tail[6] = {(char)('0' + frac / 100),
                    (char)('0' + frac / 10 % 10),
                    (char)('0' + frac % 10),
                    'Z',
                    '"',
                    0};
    return bb_buf_append(b, last, (size_t)last_len) | bb_buf_append(b, tail, 5);
}

/* ,"key": */
static int put_key(struct bb_buf *b, const char *key)
{
    return bb_buf_append(b, ",\"", 2) | bb_buf_append(b, key, strlen(key)) |
           bb_buf_append(b, "\":", 2);
}

static int put_str(struct bb_buf *b, const char *key, const char *v, size_t n)
{
    if (put_key(b, key) != 0)
        return -1;
    return v != NULL ? bb_json_str(b, v, n) : bb_buf_append(b, "null", 4);
}

static int put_cstr(struct bb_buf *b, const char *key, const char *v)
{
    return v == NULL ? 0 : put_str(b, key, v, strlen(v));
}

static int put_u64(struct bb_buf *b, const char *key, uint64_t v)
{
    return put_key(b, key) | bb_buf_append_u64(b, v);
}

static int put_credentials(struct bb_buf *b, const struct bb_audit_http *e)
{
    int rc = (e->substituted ? put_u64(b, "substituted", e->substituted) : 0) |
             (e->redacted ? put_u64(b, "redacted", e->redacted) : 0) |
             (e->redaction_skipped ? put_cstr(b, "redaction", "skipped_compressed") : 0) |
             put_cstr(b, "signed", e->signed_as) | put_cstr(b, "upstream_error", e->upstream_error);
    if (e->ncredentials == 0)
        return rc;
    rc |= bb_buf_append(b, ",\"credentials\":[", 16);
    for (size_t i = 0; i < e->ncredentials; i++)
        rc |= (i ? bb_buf_append(b, ",", 1) : 0) |
              bb_json_str(b, e->credentials[i], strlen(e->credentials[i]));
    return rc | bb_buf_append(b, "]", 1);
}

int bb_audit_format_http(struct bb_buf *b, uint64_t ts_ms, const struct bb_audit_http *e)
{
    const char *q = e->path ? memchr(e->path, '?', e->path_len) : NULL;
    size_t plen = q ? (size_t)(q - e->path) : e->path_len;
    int rc = put_ts(b, ts_ms) | bb_buf_append(b, ",\"event\":\"http\"", 15) |
             put_cstr(b, "decision", e->decision) | put_cstr(b, "reason", e->reason) |
             put_cstr(b, "tenant", e->tenant) | put_cstr(b, "rule", e->rule) |
             put_cstr(b, "src", e->src) | put_cstr(b, "dst", e->dst) |
             bb_buf_append(b, ",\"request_id\":\"", 15) | bb_buf_append_hex(b, e->request_id, 16) |
             bb_buf_append(b, "\"", 1) | put_str(b, "host", e->host, e->host_len) |
             put_str(b, "method", e->method, e->method_len) | put_str(b, "path", e->path, plen) |
             put_u64(b, "status", (uint64_t)e->status) | put_u64(b, "bytes_in", e->bytes_in) |
             put_u64(b, "bytes_out", e->bytes_out) | put_u64(b, "duration_ms", e->duration_ms) |
             put_cstr(b, "end", e->end ? e->end : "complete") | put_cstr(b, "proto", e->proto) |
             (e->proto != NULL ? put_u64(b, "stream", e->stream) : 0) |
             bb_buf_append(b, ",\"injected\":[", 13);
    for (size_t i = 0; i < e->ninjected; i++)
        rc |= (i ? bb_buf_append(b, ",", 1) : 0) |
              bb_json_str(b, e->injected[i].name, strlen(e->injected[i].name));
    rc |= bb_buf_append(b, "]", 1) | put_credentials(b, e) | bb_buf_append(b, "}\n", 2);
    return rc ? -1 : 0;
}

/* ,"key":v, or nothing when v is unknown (negative). */
static int put_id(struct bb_buf *b, const char *key, int64_t v)
{
    return v < 0 ? 0 : put_key(b, key) | bb_buf_append_u64(b, (uint64_t)v);
}

/* A protocol without a name of its own is told by its number. */
static bool is_other(const char *proto)
{
    return proto && strcmp(proto, "other") == 0;
}

int bb_audit_format_flow(struct bb_buf *b, uint64_t ts_ms, const struct bb_audit_flow *e)
{
    int rc = put_ts(b, ts_ms) | bb_buf_append(b, ",\"event\":\"flow\"", 15) |
             put_cstr(b, "decision", e->decision) | put_cstr(b, "reason", e->reason) |
             put_cstr(b, "tenant", e->tenant) | put_cstr(b, "src", e->src) |
             put_cstr(b, "dst", e->dst) | put_cstr(b, "proto", e->proto) |
             put_id(b, "ipproto", is_other(e->proto) ? e->ipproto : -1) | put_id(b, "uid", e->uid) |
             put_id(b, "gid", e->gid) | put_cstr(b, "iif", e->iif) |
             put_cstr(b, "error", e->error) | bb_buf_append(b, "}\n", 2);
    return rc ? -1 : 0;
}

int bb_audit_format_dns(struct bb_buf *b, uint64_t ts_ms, const struct bb_audit_dns *e)
{
    int rc = put_ts(b, ts_ms) | bb_buf_append(b, ",\"event\":\"dns\"", 14) |
             put_cstr(b, "decision", e->decision) | put_cstr(b, "reason", e->reason) |
             put_cstr(b, "tenant", e->tenant) | put_cstr(b, "src", e->src) |
             put_str(b, "qname", e->qname, e->qname_len) | put_cstr(b, "qtype", e->qtype) |
             bb_buf_append(b, "}\n", 2);
    return rc ? -1 : 0;
}

int bb_audit_format_tls(struct bb_buf *b, uint64_t ts_ms, const struct bb_audit_tls *e)
{
    int rc = put_ts(b, ts_ms) | bb_buf_append(b, ",\"event\":\"tls\"", 14) |
             put_cstr(b, "decision", e->decision) | put_cstr(b, "reason", e->reason) |
             put_cstr(b, "tenant", e->tenant) | put_cstr(b, "src", e->src) |
             put_cstr(b, "dst", e->dst) | put_cstr(b, "sni", e->sni) |
             put_cstr(b, "mode", e->mode) | bb_buf_append(b, "}\n", 2);
    return rc ? -1 : 0;
}

int bb_audit_format_token(struct bb_buf *b, uint64_t ts_ms, const struct bb_audit_token *e)
{
    int rc = put_ts(b, ts_ms) | bb_buf_append(b, ",\"event\":\"token\"", 16) |
             put_cstr(b, "decision", e->decision) | put_cstr(b, "reason", e->reason) |
             put_cstr(b, "tenant", e->tenant) | put_cstr(b, "credential", e->credential) |
             put_cstr(b, "grant", e->grant) | put_cstr(b, "trigger", e->trigger) |
             put_cstr(b, "dst", e->dst) | put_u64(b, "status", (uint64_t)e->status) |
             put_cstr(b, "endpoint_error", e->endpoint_error) |
             (e->expires_in ? put_u64(b, "expires_in", e->expires_in) : 0) |
             put_u64(b, "duration_ms", e->duration_ms) |
             put_cstr(b, "refresh_token", e->refresh_kept) | bb_buf_append(b, "}\n", 2);
    return rc ? -1 : 0;
}

/* ---- producers (any thread) ---- */

/* FNV-1a over the parts, separated so that ("ab","c") != ("a","bc"). */
static uint64_t hash_parts(const char *const *parts, const size_t *lens, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; parts[i] != NULL && j < lens[i]; j++)
            h = (h ^ (unsigned char)parts[i][j]) * 0x100000001b3ull;
        h = (h ^ 0xff) * 0x100000001b3ull;
    }
    return h ? h : 1;
}

/* The length of an audit address without its port: "10.0.0.1:5" -> 8,
 * "[fd00::1]:5" -> 9, "10.0.0.1" and "[fd00::1]" whole. */
static size_t without_port(const char *a)
{
    const char *end = a[0] == '[' ? strchr(a, ']') : NULL;
    if (end != NULL)
        return (size_t)(end + 1 - a);
    const char *colon = strrchr(a, ':');
    return colon != NULL ? (size_t)(colon - a) : strlen(a);
}

/* Formats e with `format` and queues the line under `key(e)`. The line is
 * formatted on the stack: no allocation per line (a verdict thread under a
 * flood formats one per packet), and the copy into the queue is short. */
#define PRODUCE(a, format, key, e)                                                                 \
    do {                                                                                           \
        char mem_[BB_AUDIT_LINE_MAX];                                                              \
        struct bb_buf b_;                                                                          \
        bb_buf_wrap(&b_, mem_, sizeof(mem_));                                                      \
        if (format(&b_, wall_ms(), (e)) == 0)                                                      \
            enqueue((a), &b_, key(e));                                                             \
    } while (0)

/* A denial's flood key: reason, host and the client's address without
 * its port (a client opening new connections is still the same flood). */
static uint64_t flood_key(const struct bb_audit_http *e)
{
    if (e->decision == NULL || strcmp(e->decision, "deny") != 0)
        return 0;
    const char *src = e->src ? e->src : "";
    const char *parts[] = {"http", e->reason, e->host, src};
    size_t lens[] = {4, e->reason ? strlen(e->reason) : 0, e->host_len, without_port(src)};
    return hash_parts(parts, lens, 4);
}

static uint64_t coarse_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Copies b's line into the queue. */
static void enqueue(struct bb_audit *a, const struct bb_buf *b, uint64_t key)
{
    uint64_t now = coarse_ms();
    size_t len = bb_buf_size(b);
    pthread_mutex_lock(&a->lock);
    size_t off = bb_buf_size(&a->bytes);
    if (a->nq == BB_AUDIT_QUEUE_LINES || bb_buf_append(&a->bytes, bb_buf_head(b), len) != 0) {
        a->dropped++; /* reported by the next drain */
        pthread_mutex_unlock(&a->lock);
        return;
    }
    a->q[a->nq++] = (struct item){off, len, key};
    bool wake = !a->signalled &&
                (a->nq >= BB_AUDIT_WAKE_LINES || now - a->woken_ms >= BB_AUDIT_WAKE_MIN_MS);
    if (wake) {
        a->signalled = true;
        a->woken_ms = now;
    }
    pthread_mutex_unlock(&a->lock);
    uint64_t one = 1;
    if (wake && a->io.fd >= 0 && write(a->io.fd, &one, sizeof(one)) < 0) {
        /* the counter is saturated: a wake-up is pending anyway */
    }
}

void bb_audit_http(struct bb_audit *a, const struct bb_audit_http *e)
{
    PRODUCE(a, bb_audit_format_http, flood_key, e);
}

/* A flow denial's key: everything but the client's port (a flood from
 * random source ports is still one flood). */
static uint64_t flow_key(const struct bb_audit_flow *e)
{
    if (e->decision == NULL || strcmp(e->decision, "deny") != 0)
        return 0;
    const char *src = e->src ? e->src : "";
    int64_t ids[3] = {e->uid, e->gid, e->ipproto};
    const char *parts[] = {"flow", e->reason, e->proto, src, e->dst, (const char *)ids};
    size_t lens[] = {4,
                     e->reason ? strlen(e->reason) : 0,
                     e->proto ? strlen(e->proto) : 0,
                     without_port(src),
                     e->dst ? strlen(e->dst) : 0,
                     sizeof(ids)};
    return hash_parts(parts, lens, 6);
}

void bb_audit_flow(struct bb_audit *a, const struct bb_audit_flow *e)
{
    PRODUCE(a, bb_audit_format_flow, flow_key, e);
}

/* A refused query's key: reason, client address (port aside) and name. */
static uint64_t dns_key(const struct bb_audit_dns *e)
{
    if (e->decision == NULL || strcmp(e->decision, "deny") != 0)
        return 0;
    const char *src = e->src ? e->src : "";
    const char *parts[] = {"dns", e->reason, src, e->qname, e->qtype};
    size_t lens[] = {3, e->reason ? strlen(e->reason) : 0, without_port(src), e->qname_len,
                     e->qtype ? strlen(e->qtype) : 0};
    return hash_parts(parts, lens, 5);
}

void bb_audit_dns(struct bb_audit *a, const struct bb_audit_dns *e)
{
    PRODUCE(a, bb_audit_format_dns, dns_key, e);
}

/* A refused handshake's key: reason, client address (port aside), SNI. */
static uint64_t tls_key(const struct bb_audit_tls *e)
{
    if (e->decision == NULL || strcmp(e->decision, "deny") != 0)
        return 0;
    const char *src = e->src ? e->src : "";
    const char *parts[] = {"tls", e->reason, src, e->sni};
    size_t lens[] = {3, e->reason ? strlen(e->reason) : 0, without_port(src),
                     e->sni ? strlen(e->sni) : 0};
    return hash_parts(parts, lens, 4);
}

void bb_audit_tls(struct bb_audit *a, const struct bb_audit_tls *e)
{
    PRODUCE(a, bb_audit_format_tls, tls_key, e);
}

static uint64_t no_key(const struct bb_audit_token *e)
{
    (void)e;
    return 0; /* fetches are few and each is news: never held back */
}

void bb_audit_token(struct bb_audit *a, const struct bb_audit_token *e)
{
    PRODUCE(a, bb_audit_format_token, no_key, e);
}

void bb_audit_event(struct bb_audit *a, const char *event, const char *decision, const char *reason)
{
    struct bb_buf b;
    bb_buf_init(&b, BB_AUDIT_LINE_MAX);
    int rc = put_ts(&b, wall_ms()) | put_cstr(&b, "event", event) |
             put_cstr(&b, "decision", decision) | put_cstr(&b, "reason", reason) |
             bb_buf_append(&b, "}\n", 2);
    if (rc == 0)
        enqueue(a, &b, 0);
    bb_buf_free(&b);
}

/* ---- the writer (control thread) ---- */

static void write_out(struct bb_audit *a)
{
    size_t off = 0, n = bb_buf_size(&a->out);
    while (off < n) {
        ssize_t w = write(a->fd, bb_buf_head(&a->out) + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (!a->write_failed) /* said once, not once per line */
                bb_log_warnx("audit output: %s; lines are being lost",
                             w < 0 ? strerror(errno) : "short write");
            a->write_failed = true;
            break;
        }
        off += (size_t)w;
    }
    bb_buf_reset(&a->out);
}

/* Appends a line to the batch; writes the batch when it is big enough.
 * repeated > 0 goes in as ,"repeated":N before the closing brace. */
static void put_line(struct bb_audit *a, const char *line, size_t len, uint64_t repeated)
{
    if (repeated > 0 && len >= 2) {
        bb_buf_append(&a->out, line, len - 2); /* without "}\n" */
        bb_buf_append(&a->out, ",\"repeated\":", 12);
        bb_buf_append_u64(&a->out, repeated);
        bb_buf_append(&a->out, "}\n", 2);
    } else {
        bb_buf_append(&a->out, line, len);
    }
    if (bb_buf_size(&a->out) >= BB_AUDIT_WRITE_BATCH)
        write_out(a);
}

static void summarise(struct bb_audit *a, struct flood *f)
{
    if (f->held > 0)
        put_line(a, bb_buf_head(&f->last), bb_buf_size(&f->last), f->held);
    bb_buf_reset(&f->last); /* its memory stays for the slot's next flood */
    f->held = 0;
}

/* Writes the line, or holds it back as part of a flood. */
static void take(struct bb_audit *a, const char *line, struct item it, uint64_t now)
{
    if (it.key != 0) {
        struct flood *f = &a->floods[it.key % BB_AUDIT_FLOOD_SLOTS];
        if (f->key == it.key && now - f->start_ms < BB_AUDIT_FLOOD_WINDOW_MS) {
            bb_buf_reset(&f->last);
            if (bb_buf_append(&f->last, line, it.len) == 0)
                f->held++; /* a line that cannot be kept is not counted as one */
            return;
        }
        summarise(a, f); /* whatever flood had this slot before */
        f->key = it.key;
        f->start_ms = now;
    }
    put_line(a, line, it.len, 0);
}

void bb_audit_drain(struct bb_audit *a, uint64_t now)
{
    pthread_mutex_lock(&a->lock);
    struct item *q = a->q;
    size_t n = a->nq;
    uint64_t dropped = a->dropped;
    a->q = a->spare;
    a->spare = q;
    struct bb_buf bytes = a->bytes; /* the writer's alone until the next swap */
    a->bytes = a->spare_bytes;
    a->spare_bytes = bytes;
    a->nq = 0;
    a->dropped = 0;
    a->signalled = false;
    pthread_mutex_unlock(&a->lock);
    for (size_t i = 0; i < n; i++)
        take(a, bb_buf_head(&a->spare_bytes) + q[i].off, q[i], now);
    bb_buf_reset(&a->spare_bytes);
    for (size_t i = 0; i < BB_AUDIT_FLOOD_SLOTS; i++)
        if (a->floods[i].held > 0 && now - a->floods[i].start_ms >= BB_AUDIT_FLOOD_WINDOW_MS)
            summarise(a, &a->floods[i]);
    if (dropped > 0) {
        struct bb_buf b;
        bb_buf_init(&b, BB_AUDIT_LINE_MAX);
        if ((put_ts(&b, wall_ms()) |
             bb_buf_printf(&b,
                           ",\"event\":\"lifecycle\",\"decision\":\"error\","
                           "\"reason\":\"audit_queue_full\",\"dropped\":%llu}\n",
                           (unsigned long long)dropped)) == 0)
            put_line(a, bb_buf_head(&b), bb_buf_size(&b), 0);
        bb_buf_free(&b);
    }
    if (bb_buf_size(&a->out) > 0)
        write_out(a);
}

static void on_wake(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)events;
    uint64_t v;
    if (read(io->fd, &v, sizeof(v)) < 0) {
        /* nothing to reset: the queue is what counts */
    }
    bb_audit_drain(BB_CONTAINER_OF(io, struct bb_audit, io), bb_loop_now(l));
}

static void on_tick(struct bb_loop *l, struct bb_timer *t)
{
    bb_audit_drain(BB_CONTAINER_OF(t, struct bb_audit, tick), bb_loop_now(l));
    bb_loop_timer_set(l, t, BB_AUDIT_TICK_MS, on_tick);
}

int bb_audit_attach(struct bb_audit *a, struct bb_loop *l)
{
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0 || bb_loop_io_add(l, &a->io, efd, EPOLLIN, on_wake) != 0) {
        if (efd >= 0)
            close(efd);
        return -1;
    }
    a->loop = l;
    bb_loop_timer_set(l, &a->tick, BB_AUDIT_TICK_MS, on_tick);
    bb_audit_drain(a, bb_loop_now(l)); /* what was queued before */
    return 0;
}

int bb_audit_reopen(struct bb_audit *a)
{
    if (a->path == NULL)
        return 0;
    int fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        bb_log_warnx("reopening audit.output %s: %s; still writing the old file", a->path,
                     strerror(errno));
        return -1;
    }
    /* what was meant for the old file goes there */
    bb_audit_drain(a, a->loop ? bb_loop_now(a->loop) : UINT64_MAX);
    close(a->fd);
    a->fd = fd;
    a->write_failed = false;
    return 0;
}
