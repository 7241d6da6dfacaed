/*
 * The NFQUEUE verdict thread (docs/steering.md, docs/reference.md §9): every new flow the ruleset
 * does not steer or exempt (TCP to other ports, UDP, ICMP, ...) is queued to
 * BB_NFT_QUEUE_NUM, and this thread gives each packet exactly one verdict:
 * accept when a `flows` rule matches (protocol, CIDR, port), drop otherwise,
 * or accept and record `would_deny` under `enforce: false`. Every verdict is
 * a `flow` audit line (floods of identical drops summarised by the audit
 * writer) and a botbox_flows_total count.
 *
 * Fail closed by construction: the queue is bound without
 * NFQA_CFG_F_FAIL_OPEN, and the ruleset's queue rule has no bypass flag, so
 * packets the kernel cannot queue to us (queue full, no reader, botbox
 * dead) are dropped, never let through. There is deliberately no option to
 * change that: an egress firewall that opens when it is overloaded is a
 * firewall an attacker can open by overloading it.
 *
 * The thread runs its own event loop; the control thread posts it new
 * snapshots like any worker. The netlink socket is opened and bound before
 * the privilege drop; verdicts need CAP_NET_ADMIN, which the thread keeps.
 */
#ifndef BB_NFQ_H
#define BB_NFQ_H

#include <stdint.h>

#define BB_NFQ_COPY_BYTES   512        /* of each packet: headers, IPv6 extension headers */
#define BB_NFQ_QUEUE_MAXLEN 8192       /* packets the kernel holds for us; beyond: dropped */
#define BB_NFQ_RCVBUF       (8u << 20) /* socket receive buffer: bursts wait here */
#define BB_NFQ_BATCH        256        /* messages handled per readiness event */
/* After an event that emptied the socket, the thread pauses this long
 * (plus the kernel's timer slack, 50 us by default) before it waits again.
 * A flood then arrives in batches, one wake-up, one receive call and one
 * batch verdict for many packets, instead of a wake-up per packet; it
 * halved botbox's CPU per dropped flow in scenario f (docs/benchmarks.md).
 * The cost: a packet that arrives during the pause waits for it. An idle
 * queue costs nothing (the pause follows an event), and a full one none
 * (the thread only pauses once the socket is empty). */
#define BB_NFQ_COALESCE_US 100

struct bb_shared;
struct bb_snapshot;
struct bb_metrics_shard;
struct bb_nfq;

/* Opens and binds queue `num` (needs CAP_NET_ADMIN). NULL with a message
 * on stderr when it cannot. */
struct bb_nfq *bb_nfq_open(uint16_t num, struct bb_shared *sh, struct bb_metrics_shard *metrics);
/* Starts the verdict thread. 0 or -1. */
int bb_nfq_start(struct bb_nfq *q);
/* Hands the thread a new snapshot (one reference, taken over); any thread. */
void bb_nfq_install(struct bb_nfq *q, struct bb_snapshot *snap);
/* Stops the thread, unbinds, frees (packets queued from then on are
 * dropped by the kernel). NULL is fine. */
void bb_nfq_free(struct bb_nfq *q);

#endif
