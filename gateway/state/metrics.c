/*
 * Metrics shards, label interning and the text exposition (see metrics.h).
 */
#include "gateway/state/metrics.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UP_CODES 3 /* upstream error statuses counted: 502, 503, 504 */
#define UP_FIRST 502

typedef _Atomic uint64_t counter;

/* Bucket upper bounds in microseconds: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 s. */
static const uint64_t bucket_us[BB_METRICS_BUCKETS] = {
    5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};
static const char *const bucket_le[BB_METRICS_BUCKETS] = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
};
static const char *const decision_name[BB_MD_N] = {"allow", "deny", "would_deny", "error"};
static const char *const listener_name[BB_ML_N] = {"proxy"};
static const char *const refused_name[BB_MR_N] = {"max_connections", "out_of_memory",
                                                  "out_of_memory_idle", "tenant_max_connections"};
static const char *const tls_name[BB_MT_N] = {"ok",      "io_error",   "no_sni",
                                              "bad_sni", "denied_sni", "timeout"};
static const char *const proto_name[BB_MP_N] = {"tcp", "udp", "icmp", "icmpv6", "other"};

struct host_counters {
    counter requests[BB_MD_N];
    counter buckets[BB_METRICS_BUCKETS + 1]; /* per bucket, not cumulative; last = +Inf */
    counter duration_sum_us;
    counter upstream_errors[UP_CODES];
    counter rewrites;
    counter substituted, redacted, misuse; /* placeholders and redaction */
};

struct bb_metrics_shard {
    struct host_counters host[BB_METRICS_MAX_HOSTS];
    counter tls[BB_MT_N];
    counter up_tls[2]; /* [0] failure, [1] success */
    counter certs_issued[BB_MD_N];
    counter cert_cache[2]; /* [0] miss, [1] hit */
    counter host_mismatch;
    counter flows[BB_MP_N][BB_MD_N];
    counter nfq_overruns;
    counter accept_paused;
    counter refused[BB_MR_N];
    counter dns[BB_MD_N];
    counter tenant[BB_METRICS_MAX_TENANTS][BB_MK_N][BB_MD_N];
    _Atomic int64_t connections[BB_ML_N];
};

struct bb_metrics {
    struct bb_metrics_shard *shards;
    unsigned nshards;
    char *labels[BB_METRICS_MAX_HOSTS];
    unsigned nlabels;
    char *tenants[BB_METRICS_MAX_TENANTS];
    unsigned ntenants;
    uint64_t reloads[2]; /* [0] failure, [1] success; control thread only */
};

/* Only the owning worker writes a counter: a relaxed load and store is
 * enough and costs no locked instruction. */
static inline void bump(counter *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static inline uint64_t get(const counter *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

struct bb_metrics *bb_metrics_new(unsigned nshards)
{
    struct bb_metrics *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->shards = calloc(nshards, sizeof(*m->shards));
    m->nshards = nshards;
    static const char *const reserved[] = {"_default_allow", "_denied", "_other"};
    for (unsigned i = 0; i < BB_LABEL_FIRST_RULE; i++)
        m->labels[i] = strdup(reserved[i]);
    m->nlabels = BB_LABEL_FIRST_RULE;
    static const char *const treserved[] = {"_unmatched", "_other"};
    for (unsigned i = 0; i < BB_TLABEL_FIRST; i++)
        m->tenants[i] = strdup(treserved[i]);
    m->ntenants = BB_TLABEL_FIRST;
    for (unsigned i = 0; i < BB_LABEL_FIRST_RULE; i++)
        if (m->labels[i] == NULL)
            m->shards = (free(m->shards), NULL);
    for (unsigned i = 0; i < BB_TLABEL_FIRST; i++)
        if (m->tenants[i] == NULL)
            m->shards = (free(m->shards), NULL);
    if (m->shards == NULL) {
        bb_metrics_free(m);
        return NULL;
    }
    return m;
}

void bb_metrics_free(struct bb_metrics *m)
{
    if (m == NULL)
        return;
    for (unsigned i = 0; i < m->nlabels; i++)
        free(m->labels[i]);
    for (unsigned i = 0; i < m->ntenants; i++)
        free(m->tenants[i]);
    free(m->shards);
    free(m);
}

struct bb_metrics_shard *bb_metrics_shard(struct bb_metrics *m, unsigned i)
{
    return &m->shards[i];
}

/* The label of name in a table of label values (first: where names
 * begin, after the reserved ones): its own, made on first use, or
 * `other` once the table holds max. Linear, on the control thread at
 * reload time only: at most max comparisons per rule or tenant. */
static uint16_t intern(char **table, unsigned *n, unsigned first, unsigned max, uint16_t other,
                       const char *name)
{
    for (unsigned i = first; i < *n; i++)
        if (strcmp(table[i], name) == 0)
            return (uint16_t)i;
    if (*n == max)
        return other;
    char *copy = strdup(name);
    if (copy == NULL)
        return other;
    table[*n] = copy;
    return (uint16_t)(*n)++;
}

uint16_t bb_metrics_label(struct bb_metrics *m, const char *host)
{
    return intern(m->labels, &m->nlabels, BB_LABEL_FIRST_RULE, BB_METRICS_MAX_HOSTS, BB_LABEL_OTHER,
                  host);
}

uint16_t bb_metrics_tenant(struct bb_metrics *m, const char *tenant)
{
    return intern(m->tenants, &m->ntenants, BB_TLABEL_FIRST, BB_METRICS_MAX_TENANTS,
                  BB_TLABEL_OTHER, tenant);
}

void bb_metrics_tenant_decision(struct bb_metrics_shard *s, uint16_t tenant, enum bb_m_kind k,
                                enum bb_m_decision d)
{
    if (tenant < BB_METRICS_MAX_TENANTS)
        bump(&s->tenant[tenant][k][d], 1);
}

void bb_metrics_reload(struct bb_metrics *m, bool ok)
{
    m->reloads[ok]++;
}

enum bb_m_decision bb_metrics_decision(const char *decision)
{
    if (decision != NULL && strcmp(decision, "allow") == 0)
        return BB_MD_ALLOW;
    if (decision != NULL && strcmp(decision, "deny") == 0)
        return BB_MD_DENY;
    if (decision != NULL && strcmp(decision, "would_deny") == 0)
        return BB_MD_WOULD_DENY;
    return BB_MD_ERROR;
}

void bb_metrics_request(struct bb_metrics_shard *s, const struct bb_metrics_request *r)
{
    struct host_counters *h = &s->host[r->label < BB_METRICS_MAX_HOSTS ? r->label : BB_LABEL_OTHER];
    bump(&h->requests[r->decision], 1);
    unsigned b = 0;
    while (b < BB_METRICS_BUCKETS && r->duration_us > bucket_us[b])
        b++;
    bump(&h->buckets[b], 1);
    bump(&h->duration_sum_us, r->duration_us);
    if (r->upstream_error && r->status >= UP_FIRST && r->status < UP_FIRST + UP_CODES)
        bump(&h->upstream_errors[r->status - UP_FIRST], 1);
    if (r->rewrites > 0)
        bump(&h->rewrites, r->rewrites);
    if (r->substituted > 0)
        bump(&h->substituted, r->substituted);
    if (r->redacted > 0)
        bump(&h->redacted, r->redacted);
    if (r->misuse)
        bump(&h->misuse, 1);
}

enum bb_m_proto bb_metrics_proto(uint8_t ipproto)
{
    switch (ipproto) {
    case 6:
        return BB_MP_TCP;
    case 17:
        return BB_MP_UDP;
    case 1:
        return BB_MP_ICMP;
    case 58:
        return BB_MP_ICMPV6;
    default:
        return BB_MP_OTHER;
    }
}

void bb_metrics_flow(struct bb_metrics_shard *s, enum bb_m_proto p, enum bb_m_decision d)
{
    bump(&s->flows[p][d], 1);
}

void bb_metrics_dns(struct bb_metrics_shard *s, enum bb_m_decision d)
{
    bump(&s->dns[d], 1);
}

void bb_metrics_nfq_overrun(struct bb_metrics_shard *s)
{
    bump(&s->nfq_overruns, 1);
}

void bb_metrics_tls(struct bb_metrics_shard *s, enum bb_m_tls result)
{
    bump(&s->tls[result], 1);
}

void bb_metrics_upstream_tls(struct bb_metrics_shard *s, bool ok)
{
    bump(&s->up_tls[ok], 1);
}

void bb_metrics_cert_issued(struct bb_metrics_shard *s, enum bb_m_decision d)
{
    bump(&s->certs_issued[d], 1);
}

void bb_metrics_cert_cache(struct bb_metrics_shard *s, bool hit)
{
    bump(&s->cert_cache[hit], 1);
}

void bb_metrics_accept_paused(struct bb_metrics_shard *s)
{
    bump(&s->accept_paused, 1);
}

void bb_metrics_refused(struct bb_metrics_shard *s, enum bb_m_refused why)
{
    bump(&s->refused[why], 1);
}

void bb_metrics_host_mismatch(struct bb_metrics_shard *s)
{
    bump(&s->host_mismatch, 1);
}

void bb_metrics_connections(struct bb_metrics_shard *s, enum bb_m_listener l, int delta)
{
    atomic_store_explicit(&s->connections[l],
                          atomic_load_explicit(&s->connections[l], memory_order_relaxed) + delta,
                          memory_order_relaxed);
}

/* ---- rendering ---- */

/* One host's counters summed over the shards. */
struct host_sum {
    uint64_t requests[BB_MD_N], buckets[BB_METRICS_BUCKETS + 1], sum_us, total;
    uint64_t upstream_errors[UP_CODES], rewrites;
    uint64_t substituted, redacted, misuse;
};

static void sum_host(const struct bb_metrics *m, unsigned label, struct host_sum *out)
{
    memset(out, 0, sizeof(*out));
    for (unsigned s = 0; s < m->nshards; s++) {
        const struct host_counters *h = &m->shards[s].host[label];
        for (unsigned d = 0; d < BB_MD_N; d++)
            out->requests[d] += get(&h->requests[d]);
        for (unsigned b = 0; b <= BB_METRICS_BUCKETS; b++)
            out->buckets[b] += get(&h->buckets[b]);
        out->sum_us += get(&h->duration_sum_us);
        for (unsigned c = 0; c < UP_CODES; c++)
            out->upstream_errors[c] += get(&h->upstream_errors[c]);
        out->rewrites += get(&h->rewrites);
        out->substituted += get(&h->substituted);
        out->redacted += get(&h->redacted);
        out->misuse += get(&h->misuse);
    }
    for (unsigned b = 0; b <= BB_METRICS_BUCKETS; b++)
        out->total += out->buckets[b];
}

/* The counter at offset `off` in every shard, summed: SUM(m, tls[1]). */
static uint64_t sum_at(const struct bb_metrics *m, size_t off)
{
    uint64_t n = 0;
    for (unsigned s = 0; s < m->nshards; s++)
        n += get((const counter *)(const void *)((const char *)&m->shards[s] + off));
    return n;
}
#define SUM(m, field) sum_at((m), offsetof(struct bb_metrics_shard, field))

static int64_t sum_connections(const struct bb_metrics *m, unsigned l)
{
    int64_t n = 0;
    for (unsigned s = 0; s < m->nshards; s++)
        n += atomic_load_explicit(&m->shards[s].connections[l], memory_order_relaxed);
    return n;
}

static int family(struct bb_buf *o, const char *name, const char *type, const char *help)
{
    return bb_buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the text format wants (\\, \", \n). */
static int label_value(struct bb_buf *o, const char *v)
{
    int rc = 0;
    for (; *v != '\0' && rc == 0; v++) {
        if (*v == '\\' || *v == '"')
            rc = bb_buf_printf(o, "\\%c", *v);
        else if (*v == '\n')
            rc = bb_buf_append(o, "\\n", 2);
        else
            rc = bb_buf_append(o, v, 1);
    }
    return rc;
}

/* name{host="..."<rest>} value */
static int host_sample(struct bb_buf *o, const char *name, const char *host, const char *rest,
                       uint64_t v)
{
    return bb_buf_printf(o, "%s{host=\"", name) | label_value(o, host) |
           bb_buf_printf(o, "\"%s} %llu\n", rest, (unsigned long long)v);
}

static int render_requests(const struct bb_metrics *m, struct bb_buf *o,
                           const struct host_sum *sums)
{
    int rc = family(o, "botbox_requests_total", "counter", "HTTP requests by host and decision.");
    for (unsigned l = 0; l < m->nlabels; l++)
        for (unsigned d = 0; d < BB_MD_N; d++) {
            char rest[32];
            snprintf(rest, sizeof(rest), ",decision=\"%s\"", decision_name[d]);
            if (sums[l].requests[d] > 0)
                rc |= host_sample(o, "botbox_requests_total", m->labels[l], rest,
                                  sums[l].requests[d]);
        }
    return rc;
}

static int render_durations(const struct bb_metrics *m, struct bb_buf *o,
                            const struct host_sum *sums)
{
    const char *name = "botbox_request_duration_seconds";
    int rc = family(o, name, "histogram", "Time from request head to the end of the response.");
    for (unsigned l = 0; l < m->nlabels; l++) {
        const struct host_sum *s = &sums[l];
        if (s->total == 0)
            continue;
        uint64_t cum = 0;
        for (unsigned b = 0; b <= BB_METRICS_BUCKETS; b++) {
            char rest[32];
            cum += s->buckets[b];
            snprintf(rest, sizeof(rest), ",le=\"%s\"",
                     b < BB_METRICS_BUCKETS ? bucket_le[b] : "+Inf");
            rc |= host_sample(o, "botbox_request_duration_seconds_bucket", m->labels[l], rest, cum);
        }
        rc |= bb_buf_printf(o, "%s_sum{host=\"", name) | label_value(o, m->labels[l]) |
              bb_buf_printf(o, "\"} %llu.%06llu\n", (unsigned long long)(s->sum_us / 1000000),
                            (unsigned long long)(s->sum_us % 1000000));
        rc |= host_sample(o, "botbox_request_duration_seconds_count", m->labels[l], "", s->total);
    }
    return rc;
}

/* Placeholders replaced, secrets redacted, placeholders refused, by host. */
static uint64_t cred_count(const struct host_sum *h, int family)
{
    return family == 0 ? h->substituted : family == 1 ? h->redacted : h->misuse;
}

static int cred_families(const struct bb_metrics *m, const struct host_sum *sums, struct bb_buf *o)
{
    static const char *const fam[][2] = {
        {"botbox_credential_substitutions_total",
         "Placeholders replaced by their secret in requests."},
        {"botbox_redactions_total", "Secrets replaced in answers before the workload saw them."},
        {"botbox_credential_misuse_total",
         "Requests refused for a placeholder sent where its credential is not bound."},
    };
    int rc = 0;
    for (int f = 0; f < 3; f++) {
        rc |= family(o, fam[f][0], "counter", fam[f][1]);
        for (unsigned l = 0; l < m->nlabels; l++)
            if (cred_count(&sums[l], f) > 0)
                rc |= host_sample(o, fam[f][0], m->labels[l], "", cred_count(&sums[l], f));
    }
    return rc;
}

static int render_per_host(const struct bb_metrics *m, struct bb_buf *o,
                           const struct host_sum *sums)
{
    int rc = family(o, "botbox_upstream_errors_total", "counter",
                    "Requests answered 502/503/504 because the upstream failed.");
    for (unsigned l = 0; l < m->nlabels; l++)
        for (unsigned c = 0; c < UP_CODES; c++) {
            char rest[32];
            snprintf(rest, sizeof(rest), ",status_code=\"%u\"", UP_FIRST + c);
            if (sums[l].upstream_errors[c] > 0)
                rc |= host_sample(o, "botbox_upstream_errors_total", m->labels[l], rest,
                                  sums[l].upstream_errors[c]);
        }
    rc |= family(o, "botbox_header_rewrites_total", "counter",
                 "Headers injected into allowed requests.");
    for (unsigned l = 0; l < m->nlabels; l++)
        if (sums[l].rewrites > 0)
            rc |=
                host_sample(o, "botbox_header_rewrites_total", m->labels[l], "", sums[l].rewrites);
    rc |= cred_families(m, sums, o);
    return rc;
}

/* name{<prefix>decision="..."} for each decision, counters at off (an
 * array of BB_MD_N): allow and deny always when `usual`, the rest once
 * they moved. */
static int decision_rows(const struct bb_metrics *m, struct bb_buf *o, const char *name,
                         const char *prefix, size_t off, bool usual)
{
    int rc = 0;
    for (unsigned d = 0; d < BB_MD_N; d++) {
        uint64_t n = sum_at(m, off + d * sizeof(counter));
        if (n > 0 || (usual && d <= BB_MD_DENY))
            rc |= bb_buf_printf(o, "%s{%sdecision=\"%s\"} %llu\n", name, prefix, decision_name[d],
                                (unsigned long long)n);
    }
    return rc;
}

/* name{label="value"} for a pair of counters [0] and [1]. */
static int pair_rows(const struct bb_metrics *m, struct bb_buf *o, const char *name,
                     const char *label, const char *v1, const char *v0, size_t off)
{
    return bb_buf_printf(o, "%s{%s=\"%s\"} %llu\n", name, label, v1,
                         (unsigned long long)sum_at(m, off + sizeof(counter))) |
           bb_buf_printf(o, "%s{%s=\"%s\"} %llu\n", name, label, v0,
                         (unsigned long long)sum_at(m, off));
}

#define OFF(field) offsetof(struct bb_metrics_shard, field)

static int render_tls(const struct bb_metrics *m, struct bb_buf *o)
{
    int rc = family(o, "botbox_tls_handshakes_total", "counter",
                    "Client TLS handshakes on the interception listener.");
    for (unsigned r = 0; r < BB_MT_N; r++)
        rc |= bb_buf_printf(o, "botbox_tls_handshakes_total{result=\"%s\"} %llu\n", tls_name[r],
                            (unsigned long long)SUM(m, tls[r]));
    rc |= family(o, "botbox_upstream_tls_handshakes_total", "counter",
                 "TLS handshakes with upstreams (resumed ones included).") |
          pair_rows(m, o, "botbox_upstream_tls_handshakes_total", "result", "success", "failure",
                    OFF(up_tls));
    rc |= family(o, "botbox_https_interception_cert_issued_total", "counter",
                 "Leaf certificates minted, by the policy's decision on the SNI.") |
          decision_rows(m, o, "botbox_https_interception_cert_issued_total", "", OFF(certs_issued),
                        true);
    rc |= family(o, "botbox_https_interception_cert_cache_total", "counter",
                 "Leaf certificate cache lookups.") |
          pair_rows(m, o, "botbox_https_interception_cert_cache_total", "result", "hit", "miss",
                    OFF(cert_cache));
    rc |= family(o, "botbox_https_interception_host_mismatch_total", "counter",
                 "Intercepted requests whose Host differed from the SNI.") |
          bb_buf_printf(o, "botbox_https_interception_host_mismatch_total %llu\n",
                        (unsigned long long)SUM(m, host_mismatch));
    return rc;
}

static int render_flows_dns(const struct bb_metrics *m, struct bb_buf *o)
{
    int rc = family(o, "botbox_flows_total", "counter", "Flows judged on the NFQUEUE path.");
    for (unsigned p = 0; p < BB_MP_N; p++) {
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "proto=\"%s\",", proto_name[p]);
        rc |= decision_rows(m, o, "botbox_flows_total", prefix, OFF(flows[p]), p <= BB_MP_UDP);
    }
    rc |= family(o, "botbox_nfq_overruns_total", "counter",
                 "Times the kernel reported queued packets lost for lack of buffer (dropped).") |
          bb_buf_printf(o, "botbox_nfq_overruns_total %llu\n",
                        (unsigned long long)SUM(m, nfq_overruns));
    rc |= family(o, "botbox_dns_queries_total", "counter", "DNS queries answered or refused.") |
          decision_rows(m, o, "botbox_dns_queries_total", "", OFF(dns), true);
    return rc;
}

/* Only once a config with tenants named one: BotBox's families otherwise. */
static int render_tenants(const struct bb_metrics *m, struct bb_buf *o)
{
    static const char *const kind_name[BB_MK_N] = {"http", "flow", "dns"};
    if (m->ntenants == BB_TLABEL_FIRST)
        return 0;
    int rc = family(o, "botbox_tenant_decisions_total", "counter",
                    "Decisions per tenant: requests, flows and DNS queries.");
    for (unsigned t = 0; t < m->ntenants; t++)
        for (unsigned k = 0; k < BB_MK_N; k++)
            for (unsigned d = 0; d < BB_MD_N; d++) {
                uint64_t n = SUM(m, tenant[t][k][d]);
                if (n > 0)
                    rc |= bb_buf_printf(o,
                                        "botbox_tenant_decisions_total{tenant=\"%s\",kind=\"%s\","
                                        "decision=\"%s\"} %llu\n",
                                        m->tenants[t], kind_name[k], decision_name[d],
                                        (unsigned long long)n);
            }
    return rc;
}

static int render_process(const struct bb_metrics *m, struct bb_buf *o)
{
    int rc = family(o, "botbox_connections_active", "gauge", "Open client connections.");
    for (unsigned l = 0; l < BB_ML_N; l++)
        rc |= bb_buf_printf(o, "botbox_connections_active{listener=\"%s\"} %lld\n",
                            listener_name[l], (long long)sum_connections(m, l));
    rc |= family(o, "botbox_accept_paused_total", "counter",
                 "Times a listener paused accepting because file descriptors ran out.") |
          bb_buf_printf(o, "botbox_accept_paused_total %llu\n",
                        (unsigned long long)SUM(m, accept_paused));
    rc |= family(o, "botbox_connections_refused_total", "counter",
                 "Connections refused, by reason: at accept (503 or TLS alert), or idle at the "
                 "next request.");
    for (unsigned r = 0; r < BB_MR_N; r++)
        rc |= bb_buf_printf(o, "botbox_connections_refused_total{reason=\"%s\"} %llu\n",
                            refused_name[r], (unsigned long long)SUM(m, refused[r]));
    rc |= family(o, "botbox_config_reloads_total", "counter", "Config reloads.") |
          bb_buf_printf(o, "botbox_config_reloads_total{result=\"success\"} %llu\n",
                        (unsigned long long)m->reloads[1]) |
          bb_buf_printf(o, "botbox_config_reloads_total{result=\"failure\"} %llu\n",
                        (unsigned long long)m->reloads[0]);
    return rc;
}

int bb_metrics_render(const struct bb_metrics *m, struct bb_buf *out)
{
    struct host_sum *sums = calloc(m->nlabels, sizeof(*sums));
    if (sums == NULL)
        return -1;
    for (unsigned l = 0; l < m->nlabels; l++)
        sum_host(m, l, &sums[l]);
    int rc = render_requests(m, out, sums) | render_durations(m, out, sums) |
             render_per_host(m, out, sums) | render_tls(m, out) | render_flows_dns(m, out) |
             render_tenants(m, out) | render_process(m, out);
    free(sums);
    return rc ? -1 : 0;
}
