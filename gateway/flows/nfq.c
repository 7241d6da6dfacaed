/*
 * The NFQUEUE verdict thread (see nfq.h): libnetfilter_queue's message
 * helpers over a libmnl socket, on an event loop of its own.
 */
#include "gateway/flows/nfq.h"

#include "common/log.h"
#include "common/macros.h"
#include "common/netaddr.h"
#include "gateway/state/audit.h"
#include "gateway/io/loop.h"
#include "gateway/state/metrics.h"
#include "gateway/flows/pkt.h"
#include "gateway/state/snapshot.h"
#include "gateway/flows/vbatch.h"
#include "gateway/state/shared.h"
#include "nft/ruleset.h"
#include "policy/policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One recvmmsg takes up to NFQ_MSGS queued-packet messages (each its own
 * netlink datagram), each into a slot of NFQ_SLOT bytes: one system call
 * per NFQ_MSGS packets instead of one per packet. A message holds at most
 * BB_NFQ_COPY_BYTES of the packet plus a few small attributes (under 200
 * bytes). Were one ever cut short, its packet would get no verdict of its
 * own and stay queued until a later batch drop or the socket's close
 * drops it: fail closed. */
#define NFQ_MSGS 32
#define NFQ_SLOT 2048u
_Static_assert(BB_NFQ_COPY_BYTES + 512 <= NFQ_SLOT, "a queued packet's message fits its slot");

struct bb_nfq {
    uint16_t num;
    struct mnl_socket *nl;
    unsigned portid;
    struct bb_loop *loop;
    struct bb_io io;
    struct bb_shared *sh;
    struct bb_metrics_shard *metrics;
    struct bb_snapshot *snap;
    pthread_t thread;
    bool started;
    struct bb_vbatch verdicts; /* drops of the current readiness event */
    struct mmsghdr msgs[NFQ_MSGS];
    struct iovec iov[NFQ_MSGS];
    char slots[NFQ_MSGS][NFQ_SLOT];
};

/* ---- configuration (before the privilege drop) ---- */

static int send_config(struct bb_nfq *q, struct nlmsghdr *nlh)
{
    if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
        return -1;
    /* Config messages ask for an ack: a refusal (EPERM, EBUSY: another
     * process has the queue) must stop the start, not pass unseen. */
    /* The ack (the config message at most, echoed in an error) fits a
     * packet's slot, unused before the thread starts. */
    ssize_t n = mnl_socket_recvfrom(q->nl, q->slots[0], NFQ_SLOT);
    if (n < 0)
        return -1;
    return mnl_cb_run(q->slots[0], (size_t)n, nlh->nlmsg_seq, q->portid, NULL, NULL) < 0 ? -1 : 0;
}

static int configure(struct bb_nfq *q)
{
    /* Zeroed: libnetfilter_queue leaves the pad bytes of its structs as
     * they were, and they would go to the kernel (valgrind saw it). */
    char buf[1024] = {0};
    struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);
    nlh->nlmsg_flags |= NLM_F_ACK;
    nlh->nlmsg_seq = 1;
    nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
    if (send_config(q, nlh) != 0)
        return -1;
    memset(buf, 0, sizeof(buf));
    nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);
    nlh->nlmsg_flags |= NLM_F_ACK;
    nlh->nlmsg_seq = 2;
    nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, BB_NFQ_COPY_BYTES);
    mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl(BB_NFQ_QUEUE_MAXLEN));
    /* UID_GID: the owner of locally generated packets, for the audit line.
     * Not FAIL_OPEN: see nfq.h. */
    mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_UID_GID));
    mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_UID_GID | NFQA_CFG_F_FAIL_OPEN));
    return send_config(q, nlh);
}

/* ---- one packet ---- */

struct verdict {
    enum bb_verdict v;
    const char *reason;
    const char *error;  /* a packet that did not decode */
    const char *tenant; /* the client's tenant, or NULL */
    int tlabel;         /* its metrics label; -1: no tenants in this config */
};

/* The mark the ruleset queued the packet with, or 0. */
static uint32_t queued_mark(const struct nlattr *const *attr)
{
    return attr[NFQA_MARK] ? ntohl(mnl_attr_get_u32(attr[NFQA_MARK])) : 0;
}

static struct verdict judge(const struct bb_nfq *q, const struct bb_pkt *k, bool decoded,
                            const char *why, const struct nlattr *const *attr)
{
    struct bb_decision d = {.verdict = BB_VERDICT_DENY, .reason = BB_REASON_NO_FLOW};
    if (!decoded)
        return (struct verdict){BB_VERDICT_DENY, "malformed", why, NULL, -1};
    uint32_t mark = queued_mark(attr);
    if (mark == BB_NFT_MARK_INVALID) /* dropped before botbox read it, as it was: always */
        return (struct verdict){BB_VERDICT_DENY, "conntrack_invalid", NULL, NULL, -1};
    if (mark == BB_NFT_MARK_SPOOF) /* a tenant's address from another interface */
        return (struct verdict){BB_VERDICT_DENY, "spoofed_source", NULL, NULL, -1};
    const struct bb_snapshot *t = bb_snapshot_for(q->snap, k->family, k->src);
    if (t == NULL) /* no tenant's, and no unmatched_tenant: nothing */
        return (struct verdict){BB_VERDICT_DENY, "unmatched_tenant", NULL, NULL,
                                BB_TLABEL_UNMATCHED};
    const char *tenant = bb_snapshot_tenant(t);
    if (k->has_ports)
        bb_policy_check_flow(t->cfg->policy, k->proto, k->family, k->dst, k->dport, &d);
    else if (!t->cfg->egress.enforce)
        d.verdict = BB_VERDICT_WOULD_DENY; /* ICMP and the like: no flows rule names them */
    return (struct verdict){d.verdict, bb_reason_name(d.reason), NULL, tenant,
                            bb_snapshot_tenanted(t) ? t->tenant_label : -1};
}

/* The name of the interface a packet came in on ("" when unknown). */
static void indev(const struct nlattr *const *attr, char name[IF_NAMESIZE])
{
    name[0] = '\0';
    if (attr[NFQA_IFINDEX_INDEV] == NULL ||
        if_indextoname(ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_INDEV])), name) == NULL)
        name[0] = '\0';
}

static void record(struct bb_nfq *q, const struct bb_pkt *k, const struct verdict *v,
                   const struct nlattr *const *attr)
{
    char src[BB_NETADDR_MAX] = "", dst[BB_NETADDR_MAX] = "", iif[IF_NAMESIZE] = "";
    if (k->family != 0) {
        bb_addr_format(k->family, k->src, k->has_ports ? k->sport : -1, src, sizeof(src));
        bb_addr_format(k->family, k->dst, k->has_ports ? k->dport : -1, dst, sizeof(dst));
    }
    if (queued_mark(attr) == BB_NFT_MARK_SPOOF)
        indev(attr, iif);
    const char *decision = bb_verdict_name(v->v);
    struct bb_audit_flow e = {
        .decision = decision,
        .reason = v->reason,
        .tenant = v->tenant,
        .src = src[0] ? src : NULL,
        .dst = dst[0] ? dst : NULL,
        .proto = bb_pkt_proto_name(k->proto),
        .ipproto = k->family != 0 ? (int64_t)k->proto : -1,
        .uid = attr[NFQA_UID] ? (int64_t)ntohl(mnl_attr_get_u32(attr[NFQA_UID])) : -1,
        .gid = attr[NFQA_GID] ? (int64_t)ntohl(mnl_attr_get_u32(attr[NFQA_GID])) : -1,
        .iif = iif[0] ? iif : NULL,
        .error = v->error,
    };
    bb_audit_flow(q->sh->audit, &e);
    bb_metrics_flow(q->metrics, bb_metrics_proto(k->proto), bb_metrics_decision(decision));
    if (v->tlabel >= 0)
        bb_metrics_tenant_decision(q->metrics, (uint16_t)v->tlabel, BB_MK_FLOW,
                                   bb_metrics_decision(decision));
}

static void send_verdict(void *ctx, uint32_t id, int verdict, bool batch)
{
    struct bb_nfq *q = ctx;
    char buf[256];
    struct nlmsghdr *nlh =
        nfq_nlmsg_put(buf, batch ? NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT, q->num);
    nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
    if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
        /* The packet stays queued until the socket closes, then the kernel
         * drops it: a failed verdict fails closed. */
    }
}

static int on_packet(const struct nlmsghdr *nlh, void *arg)
{
    struct bb_nfq *q = arg;
    struct nlattr *attr[NFQA_MAX + 1] = {0};
    if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == NULL)
        return MNL_CB_OK; /* not a packet: nothing to give a verdict on */
    const struct nfqnl_msg_packet_hdr *ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
    const uint8_t *payload = attr[NFQA_PAYLOAD] ? mnl_attr_get_payload(attr[NFQA_PAYLOAD]) : NULL;
    size_t len = payload ? mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]) : 0;
    struct bb_pkt k;
    const char *why = "no payload";
    bool decoded = payload != NULL && bb_pkt_decode(payload, len, &k, &why) == 0;
    if (!decoded)
        memset(&k, 0, sizeof(k));
    struct verdict v = judge(q, &k, decoded, why, (const struct nlattr *const *)attr);
    /* An accept leaves at once; drops go in one batch at the wake-up's end. */
    bb_vbatch_add(&q->verdicts, ntohl(ph->packet_id), v.v == BB_VERDICT_DENY ? NF_DROP : NF_ACCEPT);
    record(q, &k, &v, (const struct nlattr *const *)attr);
    return MNL_CB_OK;
}

/* Points each receive slot's message at its buffer, once: recvmmsg only
 * writes the lengths and flags back. */
static void slots_init(struct bb_nfq *q)
{
    for (size_t i = 0; i < NFQ_MSGS; i++) {
        q->iov[i] = (struct iovec){.iov_base = q->slots[i], .iov_len = NFQ_SLOT};
        q->msgs[i].msg_hdr = (struct msghdr){.msg_iov = &q->iov[i], .msg_iovlen = 1};
    }
}

/* Up to NFQ_MSGS messages in one call; their count, 0 when none is
 * waiting (or the call failed), -1 on a socket overrun. */
static int receive(struct bb_nfq *q, int fd)
{
    int n = recvmmsg(fd, q->msgs, NFQ_MSGS, MSG_DONTWAIT, NULL);
    if (n < 0 && errno == ENOBUFS)
        return -1;
    return n < 0 ? 0 : n;
}

/* The pause after an event that emptied the socket (BB_NFQ_COALESCE_US). */
static void coalesce(void)
{
    struct timespec ts = {.tv_nsec = BB_NFQ_COALESCE_US * 1000L};
    nanosleep(&ts, NULL);
}

static void on_readable(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)l;
    (void)events;
    struct bb_nfq *q = BB_CONTAINER_OF(io, struct bb_nfq, io);
    /* The drops of every message taken here leave as one batch verdict at
     * the end (vbatch.h): the kernel delivers a message per packet, so a
     * batch per receive call would still be a verdict per packet. */
    bool drained = false;
    for (int taken = 0; taken < BB_NFQ_BATCH && !drained;) {
        int n = receive(q, io->fd);
        if (n < 0) {
            /* The socket overflowed: the kernel dropped what it could not
             * deliver (fail closed). Counted; the queue carries on. */
            bb_metrics_nfq_overrun(q->metrics);
            taken++;
            continue;
        }
        for (int i = 0; i < n; i++)
            mnl_cb_run(q->slots[i], q->msgs[i].msg_len, 0, q->portid, on_packet, q);
        taken += n;
        /* Fewer than asked for: the socket was empty. The loop's epoll is
         * level-triggered, so what arrives later wakes it again; asking
         * once more here would mostly cost a system call to learn EAGAIN. */
        drained = n < NFQ_MSGS;
    }
    bb_vbatch_flush(&q->verdicts);
    if (drained)
        coalesce();
}

/* ---- life cycle ---- */

struct bb_nfq *bb_nfq_open(uint16_t num, struct bb_shared *sh, struct bb_metrics_shard *metrics)
{
    struct bb_nfq *q = calloc(1, sizeof(*q));
    if (q == NULL)
        return NULL;
    q->num = num;
    q->sh = sh;
    q->metrics = metrics;
    q->verdicts = (struct bb_vbatch){.send = send_verdict, .ctx = q};
    slots_init(q);
    q->snap = bb_snapshot_ref(sh->current);
    q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    int rcvbuf = BB_NFQ_RCVBUF;
    if (q->nl == NULL || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0)
        goto fail;
    q->portid = mnl_socket_get_portid(q->nl);
    /* FORCE needs CAP_NET_ADMIN, which botbox has here; plain is capped
     * by rmem_max. Either way a larger buffer absorbs bursts. */
    if (setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) !=
        0)
        setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (configure(q) != 0)
        goto fail;
    q->loop = bb_loop_new();
    if (q->loop == NULL ||
        bb_loop_io_add(q->loop, &q->io, mnl_socket_get_fd(q->nl), EPOLLIN, on_readable) != 0)
        goto fail;
    return q;
fail:
    bb_log_warn("NFQUEUE %u", num);
    bb_nfq_free(q);
    return NULL;
}

int bb_nfq_start(struct bb_nfq *q)
{
    if (bb_loop_thread_start(q->loop, &q->thread) != 0)
        return -1;
    q->started = true;
    return 0;
}

void bb_nfq_install(struct bb_nfq *q, struct bb_snapshot *snap)
{
    bb_snapshot_post(q->loop, &q->snap, snap);
}

void bb_nfq_free(struct bb_nfq *q)
{
    if (q == NULL)
        return;
    if (q->started) {
        bb_loop_thread_join(q->loop, q->thread);
    }
    if (q->loop != NULL) {
        bb_loop_io_del(q->loop, &q->io);
        bb_loop_free(q->loop);
    }
    if (q->nl != NULL)
        mnl_socket_close(q->nl); /* unbinds: the kernel drops what is queued */
    bb_snapshot_unref(q->snap);
    free(q);
}
