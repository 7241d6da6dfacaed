/*
 * Metrics (docs/reference.md §5): counters kept per worker, summed when scraped.
 *
 * Each worker writes only its own shard, with relaxed atomic loads and
 * stores (no locked instructions, no sharing of cache lines between
 * workers); the control thread reads every shard when it renders
 * /metrics. A scrape may see one worker's request counted a moment before
 * its duration: Prometheus tolerates that, and nothing on the request path
 * waits for a scrape.
 *
 * Host labels come only from the configured rules, plus "_default_allow"
 * (allowed by the default policy), "_denied" (refused before or without a
 * rule) and "_other" (rules beyond BB_METRICS_MAX_HOSTS): the series count
 * is bounded whatever the workload sends. Labels are interned by the
 * control thread when it builds a snapshot (bb_metrics_label) and keep
 * their numbers across reloads, so counters survive them.
 */
#ifndef BB_METRICS_H
#define BB_METRICS_H

#include "common/buf.h"

#include <stdbool.h>
#include <stdint.h>

#define BB_METRICS_MAX_HOSTS 1024 /* host label values, the three reserved included */
#define BB_METRICS_BUCKETS   11   /* request duration buckets (+Inf apart) */
/* tenant label values, the two reserved included: more tenants share "_other" */
#define BB_METRICS_MAX_TENANTS 256

/* Reserved host labels. */
enum { BB_LABEL_DEFAULT_ALLOW, BB_LABEL_DENIED, BB_LABEL_OTHER, BB_LABEL_FIRST_RULE };

/* The reserved tenant labels: a client no tenant's (no unmatched_tenant),
 * and the tenants past BB_METRICS_MAX_TENANTS. */
enum { BB_TLABEL_UNMATCHED, BB_TLABEL_OTHER, BB_TLABEL_FIRST };
/* What a tenant's decision was about. */
enum bb_m_kind { BB_MK_HTTP, BB_MK_FLOW, BB_MK_DNS, BB_MK_N };

enum bb_m_decision { BB_MD_ALLOW, BB_MD_DENY, BB_MD_WOULD_DENY, BB_MD_ERROR, BB_MD_N };
enum bb_m_listener { BB_ML_PROXY, BB_ML_N };
/* Why a connection was refused: at accept (answered 503 and closed), or,
 * idle between requests, at its next request (closed for want of memory). */
enum bb_m_refused {
    BB_MR_MAX_CONNECTIONS,
    BB_MR_OUT_OF_MEMORY,
    BB_MR_OUT_OF_MEMORY_IDLE,
    BB_MR_TENANT_MAX_CONNECTIONS, /* a tenant's own max_connections */
    BB_MR_N
};
/* Results of client TLS handshakes on the interception listener. */
enum bb_m_tls {
    BB_MT_OK,         /* handshake completed */
    BB_MT_IO_ERROR,   /* failed: the client left, or did not accept the leaf */
    BB_MT_NO_SNI,     /* refused: no server name */
    BB_MT_BAD_SNI,    /* refused: not a valid host name */
    BB_MT_DENIED_SNI, /* refused: deny_handshake_on_disallowed_sni */
    BB_MT_TIMEOUT,    /* not done within handshake_timeout_ms */
    BB_MT_N
};
enum bb_m_proto { BB_MP_TCP, BB_MP_UDP, BB_MP_ICMP, BB_MP_ICMPV6, BB_MP_OTHER, BB_MP_N };

struct bb_metrics;
struct bb_metrics_shard;

/* Metrics for nshards workers. NULL on out-of-memory. */
struct bb_metrics *bb_metrics_new(unsigned nshards);
void bb_metrics_free(struct bb_metrics *m);
struct bb_metrics_shard *bb_metrics_shard(struct bb_metrics *m, unsigned i);

/* ---- control thread ---- */

/* The label number for a rule's host (interned; "_other" once full). */
uint16_t bb_metrics_label(struct bb_metrics *m, const char *host);
void bb_metrics_reload(struct bb_metrics *m, bool ok);
/* The label of a tenant's name (control thread, when a snapshot is built):
 * the same for a name across reloads; BB_TLABEL_OTHER past the cap. */
uint16_t bb_metrics_tenant(struct bb_metrics *m, const char *tenant);
/* Appends the Prometheus text exposition (format 0.0.4). 0 or -1. */
int bb_metrics_render(const struct bb_metrics *m, struct bb_buf *out);

/* ---- a worker, on its own shard ---- */

struct bb_metrics_request {
    uint16_t label;
    enum bb_m_decision decision;
    int status;          /* sent to the client */
    bool upstream_error; /* the status reports an upstream failure */
    uint64_t duration_us;
    unsigned rewrites;              /* headers injected */
    uint32_t substituted, redacted; /* placeholders replaced, secrets redacted */
    bool misuse;                    /* refused: credential_misuse */
};

void bb_metrics_request(struct bb_metrics_shard *s, const struct bb_metrics_request *r);
void bb_metrics_tls(struct bb_metrics_shard *s, enum bb_m_tls result);
void bb_metrics_upstream_tls(struct bb_metrics_shard *s, bool ok);
/* A leaf minted, with the policy's decision on its SNI; a cache lookup; a
 * request whose Host differed from the SNI. */
void bb_metrics_cert_issued(struct bb_metrics_shard *s, enum bb_m_decision d);
void bb_metrics_cert_cache(struct bb_metrics_shard *s, bool hit);
void bb_metrics_host_mismatch(struct bb_metrics_shard *s);
void bb_metrics_connections(struct bb_metrics_shard *s, enum bb_m_listener l, int delta);
/* A listener stopped accepting for a moment: no file descriptor left. */
void bb_metrics_accept_paused(struct bb_metrics_shard *s);
/* A connection refused at accept: max_connections reached, or no memory
 * for it. */
void bb_metrics_refused(struct bb_metrics_shard *s, enum bb_m_refused why);
/* The verdict thread: one flow decision; queue overruns (ENOBUFS: the
 * kernel had to drop packets meant for us). */
void bb_metrics_flow(struct bb_metrics_shard *s, enum bb_m_proto p, enum bb_m_decision d);
void bb_metrics_nfq_overrun(struct bb_metrics_shard *s);
/* The DNS forwarder: one query answered or refused. */
void bb_metrics_dns(struct bb_metrics_shard *s, enum bb_m_decision d);
/* botbox_tenant_decisions_total{tenant,kind,decision}: written only by
 * a gateway with tenants */
void bb_metrics_tenant_decision(struct bb_metrics_shard *s, uint16_t tenant, enum bb_m_kind k,
                                enum bb_m_decision d);

/* The proto label for an IP protocol number. */
enum bb_m_proto bb_metrics_proto(uint8_t ipproto);

/* The decision label for an audit decision string. */
enum bb_m_decision bb_metrics_decision(const char *decision);

#endif
