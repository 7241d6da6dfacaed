/*
 * The DNS forwarder: the ruleset redirects every DNS query of the
 * workload (UDP and TCP port 53, whatever resolver it names) to
 * dns.listen_port, where this thread answers it:
 *
 *   - a query that does not parse: FORMERR; several questions or an
 *     oversized one: REFUSED; another opcode: NOTIMP;
 *   - with dns.enforce_names (the default), a name no allow rule covers
 *     (exact or wildcard, or default_action: allow) gets NXDOMAIN at once,
 *     and the upstream never sees it: names are how data leaves through
 *     DNS (c2VjcmV0.exfil.example);
 *   - anything else goes to dns.upstream (default: the first nameserver of
 *     /etc/resolv.conf at start), over UDP for UDP clients and TCP for TCP
 *     clients, and the answer is relayed unchanged.
 *
 * Every query is a `dns` audit line (qname, qtype) and a
 * botbox_dns_queries_total count. Listeners: 127.0.0.1 and ::1 in sidecar
 * mode (the output-hook redirect rewrites to loopback); the wildcard
 * address in gateway mode (a prerouting redirect rewrites to the incoming
 * interface's address; the ruleset admits clients only through it).
 *
 * The forwarder runs on a loop and thread of its own; it talks to the
 * upstream as proxy_uid, which the ruleset never redirects.
 */
#ifndef BB_DNSFWD_H
#define BB_DNSFWD_H

#define BB_DNS_TIMEOUT_MS  3000 /* for the upstream's answer; then SERVFAIL */
#define BB_DNS_MAX_PENDING 1024 /* queries at the upstream at once; beyond: REFUSED */
#define BB_DNS_TCP_MAX     64   /* client TCP connections at once; beyond: closed */
#define BB_DNS_TCP_IDLE_MS 5000 /* a TCP client with no query in flight */
#define BB_DNS_ANSWER_MAX  65535

struct bb_shared;
struct bb_snapshot;
struct bb_metrics_shard;
struct bb_dnsfwd;

/* Binds the listeners and finds the upstream. NULL with a message on
 * stderr when it cannot. */
struct bb_dnsfwd *bb_dnsfwd_open(struct bb_shared *sh, struct bb_metrics_shard *metrics);
int bb_dnsfwd_start(struct bb_dnsfwd *f);
/* Hands the thread a new snapshot (one reference, taken over). */
void bb_dnsfwd_install(struct bb_dnsfwd *f, struct bb_snapshot *snap);
void bb_dnsfwd_free(struct bb_dnsfwd *f);

#endif
