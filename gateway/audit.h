/*
 * Audit log: one JSON object per line, one line per decision (REFERENCE §6),
 * on audit.output (stdout, stderr or a file opened for appending).
 *
 * XXX: lines are written synchronously under a mutex for now; the
 * operations issue replaces this with a bounded queue drained by the
 * control thread, flood summaries, and reopening on SIGHUP.
 *
 * Never given a secret: the path is logged without its query (queries often
 * carry keys), injected headers by name only.
 */
#ifndef BB_AUDIT_H
#define BB_AUDIT_H

#include "common/buf.h"

#include <stddef.h>
#include <stdint.h>

#define BB_AUDIT_LINE_MAX 8192 /* bytes per line; longer fields are cut */

struct bb_config;
struct bb_diag;
struct bb_audit;

struct bb_audit_http {
    const char *decision, *reason, *rule; /* rule: the rule's host, or NULL */
    const char *src, *dst;                /* "ip:port", IPv6 bracketed */
    uint64_t request_id;
    const char *host, *method, *path;
    size_t host_len, method_len, path_len;
    int status;
    uint64_t bytes_in, bytes_out, duration_ms;
    const char *const *injected;
    size_t ninjected;
};

struct bb_audit *bb_audit_open(const struct bb_config *cfg, struct bb_diag *diag);
void bb_audit_free(struct bb_audit *a);

void bb_audit_http(struct bb_audit *a, const struct bb_audit_http *e);

/* A lifecycle or config line: {"event": event, "decision": ..., "reason": ...}. */
void bb_audit_event(struct bb_audit *a, const char *event, const char *decision,
                    const char *reason);

/* The line for e at wall-clock time ts_ms (pure; used by the writer and by
 * tests). Returns 0 or -1. */
int bb_audit_format_http(struct bb_buf *out, uint64_t ts_ms, const struct bb_audit_http *e);

#endif
