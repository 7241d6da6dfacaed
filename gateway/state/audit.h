/*
 * Audit log: one JSON object per line, one line per decision (docs/reference.md §6),
 * on audit.output (stdout, stderr or a file opened for appending).
 *
 * Workers never write: they format a line and put it on a bounded queue
 * (a mutex held to copy the line in, or for a swap; never across I/O).
 * The control thread drains the queue and does the writing, in batches.
 * It is woken (an eventfd) by a line that finds it idle for
 * BB_AUDIT_WAKE_MIN_MS or more, or by BB_AUDIT_WAKE_LINES waiting lines,
 * and drains every BB_AUDIT_TICK_MS anyway. A quiet gateway writes each
 * line at once; a busy one wakes the writer at most every
 * BB_AUDIT_WAKE_MIN_MS instead of paying a cross-thread wake-up, an
 * eventfd read and a write() per request. Nothing is lost silently:
 *
 *  - queue full (BB_AUDIT_QUEUE_LINES lines or BB_AUDIT_QUEUE_BYTES bytes
 *    waiting): the line is counted, and the next drain writes one
 *    {"event":"lifecycle","decision":"error","reason":"audit_queue_full",
 *    "dropped":N} line;
 *  - floods: a denial identical to one written less than
 *    BB_AUDIT_FLOOD_WINDOW_MS ago (http: same reason, host and client
 *    address, ports aside; flow: same reason, protocol, uid, client address
 *    and destination address and port; dns: same reason, client address and
 *    name; tls: same reason, client address and SNI) is held back; when
 *    the window closes, the last one held is written with "repeated": N,
 *    the number of lines it stands for. So every denial is accounted for:
 *    the first line plus the repeated counts.
 *
 * A file output is reopened on SIGHUP (bb_audit_reopen), for logrotate.
 *
 * Never given a secret: the path is logged without its query (queries often
 * carry keys), injected headers by name only.
 */
#ifndef BB_AUDIT_H
#define BB_AUDIT_H

#include "common/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BB_AUDIT_LINE_MAX        8192       /* bytes per line; longer fields are cut */
#define BB_AUDIT_QUEUE_LINES     16384      /* lines waiting for the writer; more are dropped */
#define BB_AUDIT_QUEUE_BYTES     (8u << 20) /* bytes of those lines; likewise */
#define BB_AUDIT_FLOOD_WINDOW_MS 1000       /* identical denials within it are summarised */
#define BB_AUDIT_FLOOD_SLOTS     1024       /* distinct floods tracked at once */
#define BB_AUDIT_TICK_MS         100        /* the writer's periodic drain */
#define BB_AUDIT_WAKE_MIN_MS     20         /* at most one wake-up per this, below ... */
#define BB_AUDIT_WAKE_LINES      1024       /* ... this many waiting lines */

struct bb_config;
struct bb_diag;
struct bb_loop;
struct bb_audit;

struct bb_rewrite; /* policy/config.h */

struct bb_audit_http {
    const char *decision, *reason, *rule; /* rule: the rule's host, or NULL */
    const char *tenant;    /* the client's tenant (docs/configuration.md, "Tenants"), or NULL */
    const char *src, *dst; /* "ip:port", IPv6 bracketed */
    uint64_t request_id;
    const char *host, *method, *path;
    size_t host_len, method_len, path_len;
    int status;
    uint64_t bytes_in, bytes_out, duration_ms;
    /* How the exchange ended: "complete" (an answer, whatever its status,
     * delivered whole), or "client_closed", "upstream_closed",
     * "upstream_protocol", "timeout", "closed"; NULL is "complete". */
    const char *end;
    const struct bb_rewrite *injected; /* the names of the first ninjected */
    size_t ninjected;
    /* "h2" for a request that came as an HTTP/2 stream, with its stream
     * id; NULL (HTTP/1.1) writes neither, as BotBox's lines have none */
    const char *proto;
    uint32_t stream;
    /* Credentials (docs/security.md, "Placeholders and redaction"): the
     * placeholders replaced in the request, the secrets replaced in the
     * answer, the names of the credentials involved (used or misused;
     * never a value), and whether a compressed answer went unscanned.
     * Each written only when there is something to say. */
    uint32_t substituted, redacted;
    const char *const *credentials;
    size_t ncredentials;
    bool redaction_skipped;
    /* "sigv4" when botbox signed the request again (docs/security.md,
     * "AWS SigV4"), and the AWS error it was answered with that says
     * botbox's clock is off ("RequestTimeTooSkewed"); NULL: neither */
    const char *signed_as, *upstream_error;
};

/* A verdict on the NFQUEUE path. */
struct bb_audit_flow {
    const char *decision, *reason;
    const char *tenant;    /* the client's tenant (docs/configuration.md, "Tenants"), or NULL */
    const char *src, *dst; /* "ip:port" (ports for TCP and UDP), IPv6 bracketed */
    const char *proto;     /* "tcp", "udp", "icmp", "icmpv6", "other" */
    int64_t ipproto;       /* the IP protocol number, written for "other"; -1 unknown */
    int64_t uid, gid;      /* the owning socket's, or -1 where the kernel gives none */
    const char *iif;       /* the interface a spoofed packet came in on, or NULL */
    const char *error;     /* why a packet could not be decoded, or NULL */
};

/* A query at the DNS forwarder. */
struct bb_audit_dns {
    const char *decision, *reason;
    const char *tenant; /* the client's tenant (docs/configuration.md, "Tenants"), or NULL */
    const char *src;    /* the client, "ip:port" */
    const char *qname;  /* may hold any bytes: escaped */
    size_t qname_len;
    const char *qtype; /* "A", "AAAA", "TYPE65534" */
};

/* A TLS connection on the interception listener: its handshake or its
 * passthrough decision. */
struct bb_audit_tls {
    const char *decision, *reason;
    const char *tenant; /* the client's tenant (docs/configuration.md, "Tenants"), or NULL */
    const char *src, *dst;
    const char *sni;  /* NULL when the client sent none */
    const char *mode; /* "intercept" or "passthrough" */
};

/* A token fetch of an oauth2 credential (gateway/cred/minter.h): never
 * the token or a secret. */
struct bb_audit_token {
    const char *decision, *reason; /* allow token_fetched, or error and why */
    const char *tenant; /* the client's tenant (docs/configuration.md, "Tenants"), or NULL */
    const char *credential, *grant, *trigger;
    const char *dst;            /* the token endpoint, "host:port" */
    int status;                 /* its HTTP status, 0: none */
    const char *endpoint_error; /* its error code, or NULL */
    uint64_t expires_in, duration_ms;
    const char *refresh_kept; /* a rotated refresh token: "written" or "memory"; NULL: none */
};

struct bb_audit *bb_audit_open(const struct bb_config *cfg, struct bb_diag *diag);
/* Writes everything still queued or held, then closes. NULL is fine. */
void bb_audit_free(struct bb_audit *a);

/* The control thread: drain on l from now on. 0 or -1. */
int bb_audit_attach(struct bb_audit *a, struct bb_loop *l);
/* Writes out the queue; floods whose window closed by now_ms (monotonic)
 * are summarised. The control thread only (tests call it directly). */
void bb_audit_drain(struct bb_audit *a, uint64_t now_ms);
/* Reopens a file output (after logrotate moved it); control thread only.
 * 0, or -1 with the old file kept. */
int bb_audit_reopen(struct bb_audit *a);

/* Queue a line; any thread. */
void bb_audit_http(struct bb_audit *a, const struct bb_audit_http *e);
void bb_audit_flow(struct bb_audit *a, const struct bb_audit_flow *e);
void bb_audit_dns(struct bb_audit *a, const struct bb_audit_dns *e);
void bb_audit_tls(struct bb_audit *a, const struct bb_audit_tls *e);
void bb_audit_token(struct bb_audit *a, const struct bb_audit_token *e);
/* A lifecycle, config or secrets line: {"event", "decision", "reason"}. */
void bb_audit_event(struct bb_audit *a, const char *event, const char *decision,
                    const char *reason);

/* The line for e at wall-clock time ts_ms (pure; used by the writer and by
 * tests). Returns 0 or -1. */
int bb_audit_format_http(struct bb_buf *out, uint64_t ts_ms, const struct bb_audit_http *e);
int bb_audit_format_flow(struct bb_buf *out, uint64_t ts_ms, const struct bb_audit_flow *e);
int bb_audit_format_dns(struct bb_buf *out, uint64_t ts_ms, const struct bb_audit_dns *e);
int bb_audit_format_tls(struct bb_buf *out, uint64_t ts_ms, const struct bb_audit_tls *e);
int bb_audit_format_token(struct bb_buf *out, uint64_t ts_ms, const struct bb_audit_token *e);

#endif
