/*
 * Audit lines (see audit.h).
 */
#include "gateway/audit.h"

#include "common/diag.h"
#include "common/json.h"
#include "policy/config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct bb_audit {
    int fd;
    bool owned;
    pthread_mutex_t lock;
};

struct bb_audit *bb_audit_open(const struct bb_config *cfg, struct bb_diag *diag)
{
    struct bb_audit *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    pthread_mutex_init(&a->lock, NULL);
    a->fd = cfg->audit.output == BB_AUDIT_STDERR ? STDERR_FILENO : STDOUT_FILENO;
    if (cfg->audit.output == BB_AUDIT_FILE) {
        a->fd = open(cfg->audit.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (a->fd < 0) {
            bb_diag_add(diag, BB_DIAG_ERROR, "audit.output %s: %s", cfg->audit.path,
                        strerror(errno));
            free(a);
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
    if (a->owned)
        close(a->fd);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* {"ts":"2026-11-29T06:00:00.123Z" */
static int put_ts(struct bb_buf *b, uint64_t ms)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    return bb_buf_printf(b, "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03uZ\"", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                         (unsigned)(ms % 1000));
}

static int put_str(struct bb_buf *b, const char *key, const char *v, size_t n)
{
    if (bb_buf_printf(b, ",\"%s\":", key) != 0)
        return -1;
    return v != NULL ? bb_json_str(b, v, n) : bb_buf_append(b, "null", 4);
}

static int put_cstr(struct bb_buf *b, const char *key, const char *v)
{
    return v == NULL ? 0 : put_str(b, key, v, strlen(v));
}

static int put_u64(struct bb_buf *b, const char *key, uint64_t v)
{
    return bb_buf_printf(b, ",\"%s\":%llu", key, (unsigned long long)v);
}

int bb_audit_format_http(struct bb_buf *b, uint64_t ts_ms, const struct bb_audit_http *e)
{
    const char *q = e->path ? memchr(e->path, '?', e->path_len) : NULL;
    size_t plen = q ? (size_t)(q - e->path) : e->path_len;
    int rc =
        put_ts(b, ts_ms) | bb_buf_append(b, ",\"event\":\"http\"", 15) |
        put_cstr(b, "decision", e->decision) | put_cstr(b, "reason", e->reason) |
        put_cstr(b, "rule", e->rule) | put_cstr(b, "src", e->src) | put_cstr(b, "dst", e->dst) |
        bb_buf_printf(b, ",\"request_id\":\"%016llx\"", (unsigned long long)e->request_id) |
        put_str(b, "host", e->host, e->host_len) | put_str(b, "method", e->method, e->method_len) |
        put_str(b, "path", e->path, plen) | put_u64(b, "status", (uint64_t)e->status) |
        put_u64(b, "bytes_in", e->bytes_in) | put_u64(b, "bytes_out", e->bytes_out) |
        put_u64(b, "duration_ms", e->duration_ms) | bb_buf_append(b, ",\"injected\":[", 13);
    for (size_t i = 0; i < e->ninjected; i++)
        rc |= (i ? bb_buf_append(b, ",", 1) : 0) |
              bb_json_str(b, e->injected[i], strlen(e->injected[i]));
    rc |= bb_buf_append(b, "]}\n", 3);
    return rc ? -1 : 0;
}

static void emit(struct bb_audit *a, struct bb_buf *b)
{
    pthread_mutex_lock(&a->lock);
    size_t off = 0, n = bb_buf_size(b);
    while (off < n) {
        ssize_t w = write(a->fd, bb_buf_head(b) + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* XXX: counted and summarised once the queue exists */
        off += (size_t)w;
    }
    pthread_mutex_unlock(&a->lock);
}

void bb_audit_http(struct bb_audit *a, const struct bb_audit_http *e)
{
    struct bb_buf b;
    bb_buf_init(&b, BB_AUDIT_LINE_MAX);
    if (bb_audit_format_http(&b, wall_ms(), e) == 0)
        emit(a, &b);
    bb_buf_free(&b);
}

void bb_audit_event(struct bb_audit *a, const char *event, const char *decision, const char *reason)
{
    struct bb_buf b;
    bb_buf_init(&b, BB_AUDIT_LINE_MAX);
    int rc = put_ts(&b, wall_ms()) | put_cstr(&b, "event", event) |
             put_cstr(&b, "decision", decision) | put_cstr(&b, "reason", reason) |
             bb_buf_append(&b, "}\n", 2);
    if (rc == 0)
        emit(a, &b);
    bb_buf_free(&b);
}
