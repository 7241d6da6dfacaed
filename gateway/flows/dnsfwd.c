/*
 * The DNS forwarder (see dnsfwd.h).
 *
 * A query arrives on a UDP listener (one datagram) or on a client TCP
 * connection (length-prefixed, one at a time per connection). It is either
 * answered at once (error, NXDOMAIN) or becomes a `struct pending`: a fresh
 * upstream socket of the client's transport, connected to the upstream (a
 * new source port per query, so answers cannot be spoofed by guessing one
 * port), a timer, and where to send the answer.
 */
#include "gateway/flows/dnsfwd.h"

#include "common/log.h"
#include "common/macros.h"
#include "common/netaddr.h"
#include "gateway/state/audit.h"
#include "gateway/io/ctdel.h"
#include "gateway/flows/dns_msg.h"
#include "gateway/io/listen.h"
#include "gateway/io/loop.h"
#include "gateway/state/metrics.h"
#include "gateway/state/snapshot.h"
#include "gateway/state/shared.h"
#include "policy/config.h"
#include "policy/policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#define UDP_BATCH     64 /* datagrams read per readiness event */
#define MAX_LISTENERS 4  /* UDP and TCP, IPv4 and IPv6 */
#define TCP_FRAME     2  /* the length prefix of DNS over TCP */

struct bb_dnsfwd;
struct tcpc;

struct listener {
    struct bb_io io;
    struct bb_dnsfwd *f;
    bool tcp;
};

/* Where an answer goes. */
struct client {
    int ufd; /* UDP: the listener it came to; -1 for TCP */
    struct sockaddr_storage peer;
    socklen_t peerlen;
    struct tcpc *c; /* TCP */
    char src[BB_NETADDR_MAX];
    char tenant[BB_TENANT_NAME_MAX + 1]; /* its tenant's name, "" for none */
    int tlabel;                          /* its metrics label; -1: no tenants */
};

/* A client TCP connection. */
struct tcpc {
    struct bb_dnsfwd *f;
    LIST_ENTRY(tcpc) link;
    struct bb_io io;
    struct bb_timer timer;
    uint8_t in[TCP_FRAME + BB_DNS_QUERY_MAX];
    size_t inlen;
    uint8_t out[TCP_FRAME + BB_DNS_ANSWER_MAX];
    size_t outlen, outoff;
    struct pending *busy; /* the query at the upstream */
    bool closing;         /* close once out is flushed */
    char src[BB_NETADDR_MAX];
    struct sockaddr_storage peer;
};

/* A query at the upstream. */
struct pending {
    struct bb_dnsfwd *f;
    LIST_ENTRY(pending) link;
    struct bb_io io;
    struct bb_timer timer;
    struct client to;
    uint16_t id;
    bool tcp, connected;
    uint8_t *buf; /* TCP: [len][query] out, then [len][answer] in */
    size_t len, off;
    char qname[BB_DNS_NAME_MAX + 1];
    size_t qname_len;
    char qtype[16];
};

struct bb_dnsfwd {
    struct bb_shared *sh;
    struct bb_metrics_shard *metrics;
    struct bb_snapshot *snap;
    struct bb_loop *loop;
    pthread_t thread;
    bool started;
    struct bb_ctdel *ct; /* sidecar mode: forgets each query's conntrack entry */
    struct sockaddr_storage upstream;
    socklen_t upstream_len;
    struct listener listeners[MAX_LISTENERS];
    size_t nlisteners;
    LIST_HEAD(, pending) pending;
    unsigned npending;
    LIST_HEAD(, tcpc) tcpcs;
    unsigned ntcpc;
    uint8_t scratch[BB_DNS_ANSWER_MAX + 1];
};

static void tcpc_close(struct tcpc *c);
static void tcpc_update(struct tcpc *c);
static void tcpc_frames(struct tcpc *c);

/* ---- answers and audit ---- */

static void audit_line(struct bb_dnsfwd *f, const struct client *to, const char *qname, size_t qlen,
                       const char *qtype, const char *decision, const char *reason)
{
    struct bb_audit_dns e = {.decision = decision,
                             .reason = reason,
                             .tenant = to->tenant[0] ? to->tenant : NULL,
                             .src = to->src,
                             .qname = qname,
                             .qname_len = qlen,
                             .qtype = qtype};
    bb_audit_dns(f->sh->audit, &e);
    bb_metrics_dns(f->metrics, bb_metrics_decision(decision));
    if (to->tlabel >= 0)
        bb_metrics_tenant_decision(f->metrics, (uint16_t)to->tlabel, BB_MK_DNS,
                                   bb_metrics_decision(decision));
}

static void audit(struct bb_dnsfwd *f, const struct client *to, const struct bb_dns_query *q,
                  const char *decision, const char *reason)
{
    char tbuf[16];
    audit_line(f, to, q ? q->name : NULL, q ? q->name_len : 0,
               q ? bb_dns_type_name(q->qtype, tbuf, sizeof(tbuf)) : NULL, decision, reason);
}

/* Sends msg to the client: a datagram, or a frame on its TCP connection. */
static void reply(struct bb_dnsfwd *f, const struct client *to, const uint8_t *msg, size_t len)
{
    (void)f;
    if (to->ufd >= 0) {
        if (sendto(to->ufd, msg, len, MSG_DONTWAIT, (const struct sockaddr *)&to->peer,
                   to->peerlen) < 0) {
            /* the client's socket buffer is full or it is gone: UDP, it retries */
        }
        return;
    }
    struct tcpc *c = to->c;
    if (c == NULL || len > BB_DNS_ANSWER_MAX || c->outlen + TCP_FRAME + len > sizeof(c->out))
        return;
    c->out[c->outlen] = (uint8_t)(len >> 8);
    c->out[c->outlen + 1] = (uint8_t)len;
    memcpy(c->out + c->outlen + TCP_FRAME, msg, len);
    c->outlen += TCP_FRAME + len;
    tcpc_update(c);
}

static void reply_error(struct bb_dnsfwd *f, const struct client *to, const uint8_t *msg,
                        size_t len, const struct bb_dns_query *q, int rcode)
{
    uint8_t out[BB_DNS_HEADER + BB_DNS_QUERY_MAX];
    size_t n = bb_dns_answer_error(msg, len, q, rcode, out, sizeof(out));
    if (n > 0)
        reply(f, to, out, n);
}

/* ---- pending queries ---- */

static void pending_free(struct bb_loop *l, void *arg)
{
    (void)l;
    struct pending *p = arg;
    free(p->buf);
    free(p);
}

static void pending_end(struct pending *p)
{
    struct bb_dnsfwd *f = p->f;
    LIST_REMOVE(p, link);
    f->npending--;
    if (p->to.c != NULL) {
        /* Its next query may be taken now: the one already read (pipelined
         * in the same segment, RFC 7766 §6.2.1.1) first, since epoll will
         * not report bytes that left the socket. */
        p->to.c->busy = NULL;
        tcpc_frames(p->to.c);
        tcpc_update(p->to.c);
    }
    bb_loop_timer_cancel(f->loop, &p->timer);
    bb_loop_io_del(f->loop, &p->io);
    if (!p->tcp)
        bb_ctdel_socket(f->ct, p->io.fd); /* while the port is still ours */
    close(p->io.fd);
    if (bb_loop_defer(f->loop, pending_free, p) != 0)
        pending_free(f->loop, p);
}

/* The upstream failed or did not answer in time: SERVFAIL. */
static void pending_fail(struct pending *p, const char *reason)
{
    uint8_t hdr[BB_DNS_HEADER] = {(uint8_t)(p->id >> 8), (uint8_t)p->id, 0x01};
    reply_error(p->f, &p->to, hdr, sizeof(hdr), NULL, BB_DNS_SERVFAIL);
    audit_line(p->f, &p->to, p->qname, p->qname_len, p->qtype, "error", reason);
    pending_end(p);
}

static void on_pending_timeout(struct bb_loop *l, struct bb_timer *t)
{
    (void)l;
    pending_fail(BB_CONTAINER_OF(t, struct pending, timer), "upstream_timeout");
}

/* A datagram from the upstream: relayed when it answers our query. */
static void udp_answer(struct pending *p)
{
    struct bb_dnsfwd *f = p->f;
    ssize_t n = recv(p->io.fd, f->scratch, sizeof(f->scratch), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n < 0) {
        pending_fail(p, "upstream_error"); /* e.g. ICMP port unreachable */
        return;
    }
    if (n < BB_DNS_HEADER || (f->scratch[0] << 8 | f->scratch[1]) != p->id ||
        !(f->scratch[2] & 0x80))
        return; /* not the answer to our query: keep waiting */
    reply(f, &p->to, f->scratch, (size_t)n);
    pending_end(p);
}

/* TCP to the upstream: connect, write the framed query, read the framed
 * answer. Returns -1 on failure. */
static int tcp_step(struct pending *p)
{
    if (!p->connected) {
        int err = 0;
        socklen_t el = sizeof(err);
        if (getsockopt(p->io.fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0)
            return -1;
        p->connected = true;
    }
    while (p->off < p->len) { /* the query */
        ssize_t n = send(p->io.fd, p->buf + p->off, p->len - p->off, MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN ? 0 : -1;
        p->off += (size_t)n;
        if (p->off == p->len) { /* sent: the buffer now takes the answer */
            p->len = p->off = 0;
            bb_loop_io_set(p->f->loop, &p->io, EPOLLIN);
            return 0;
        }
    }
    size_t want =
        p->off >= TCP_FRAME ? TCP_FRAME + (size_t)(p->buf[0] << 8 | p->buf[1]) : TCP_FRAME;
    for (;;) {
        ssize_t n = recv(p->io.fd, p->buf + p->off, want - p->off, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN))
            return -1;
        if (n < 0)
            return 0;
        p->off += (size_t)n;
        if (p->off == TCP_FRAME)
            want = TCP_FRAME + (size_t)(p->buf[0] << 8 | p->buf[1]);
        if (p->off == want && want > TCP_FRAME + BB_DNS_HEADER - 1) {
            reply(p->f, &p->to, p->buf + TCP_FRAME, want - TCP_FRAME);
            pending_end(p);
            return 1;
        }
        if (p->off == want)
            return -1; /* shorter than a DNS header */
    }
}

static void on_upstream(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)l;
    (void)events;
    struct pending *p = BB_CONTAINER_OF(io, struct pending, io);
    if (!p->tcp)
        udp_answer(p);
    else if (tcp_step(p) < 0)
        pending_fail(p, "upstream_error");
}

/* Sends msg to the upstream for client `to`. */
/* Sends the query rebuilt from q (dns_msg.h: never the client's bytes)
 * upstream; msg, the client's query, is only for answering it here. */
static void forward(struct bb_dnsfwd *f, const struct client *to, const uint8_t *msg, size_t len,
                    const struct bb_dns_query *q)
{
    uint8_t out[BB_DNS_QUERY_MAX];
    size_t olen = bb_dns_build_query(msg, q, out, sizeof(out));
    if (f->npending >= BB_DNS_MAX_PENDING || olen == 0) {
        reply_error(f, to, msg, len, q, BB_DNS_REFUSED);
        audit(f, to, q, "error", "too_many_pending");
        return;
    }
    bool tcp = to->ufd < 0;
    struct pending *p = calloc(1, sizeof(*p));
    int fd = socket(f->upstream.ss_family,
                    (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p != NULL && tcp)
        p->buf = malloc(TCP_FRAME + BB_DNS_ANSWER_MAX);
    if (p == NULL || fd < 0 || (tcp && p->buf == NULL) ||
        (connect(fd, (struct sockaddr *)&f->upstream, f->upstream_len) != 0 &&
         errno != EINPROGRESS) ||
        (!tcp && send(fd, out, olen, 0) < 0) ||
        bb_loop_io_add(f->loop, &p->io, fd, tcp ? EPOLLOUT : EPOLLIN, on_upstream) != 0) {
        if (fd >= 0)
            close(fd);
        if (p != NULL)
            free(p->buf);
        free(p);
        reply_error(f, to, msg, len, q, BB_DNS_SERVFAIL);
        audit(f, to, q, "error", "upstream_error");
        return;
    }
    p->f = f;
    p->to = *to;
    p->id = q->id;
    p->tcp = tcp;
    p->connected = !tcp;
    memcpy(p->qname, q->name, q->name_len + 1);
    p->qname_len = q->name_len;
    bb_dns_type_name(q->qtype, p->qtype, sizeof(p->qtype));
    if (tcp) {
        p->buf[0] = (uint8_t)(olen >> 8);
        p->buf[1] = (uint8_t)olen;
        memcpy(p->buf + TCP_FRAME, out, olen);
        p->len = TCP_FRAME + olen;
        to->c->busy = p;
    }
    LIST_INSERT_HEAD(&f->pending, p, link);
    f->npending++;
    bb_loop_timer_set(f->loop, &p->timer, BB_DNS_TIMEOUT_MS, on_pending_timeout);
}

/* ---- one query ---- */

/* Whether an allowed name carries a label longer than
 * dns.wildcard_label_max in the part the policy did not write (what a
 * wildcard or a default allow matched): a label is where a tunnel puts its
 * data, and the resolver would carry it to the zone's servers. */
static bool label_too_long(const struct bb_config *c, const struct bb_dns_query *q,
                           const struct bb_decision *d)
{
    size_t part = bb_policy_unwritten_len(d, q->name_len);
    return bb_dns_longest_label(q->name, part) > c->dns.wildcard_label_max;
}

/* The name decision: allowed, or why not. NULL reason: allowed. */
static const char *name_refusal(const struct bb_config *c, const struct bb_dns_query *q,
                                const char **decision)
{
    struct bb_decision d = {.verdict = BB_VERDICT_DENY, .reason = BB_REASON_BAD_HOST};
    if (q->hostname)
        bb_policy_check_name(c->policy, q->name, q->name_len, &d);
    const char *why = q->hostname ? bb_reason_name(d.reason) : "bad_name";
    if (d.verdict == BB_VERDICT_ALLOW && label_too_long(c, q, &d)) {
        d.verdict = c->egress.enforce ? BB_VERDICT_DENY : BB_VERDICT_WOULD_DENY;
        why = "label_too_long";
    }
    *decision = bb_verdict_name(d.verdict);
    if (d.verdict != BB_VERDICT_DENY)
        return NULL;
    if (!c->dns.enforce_names) {
        *decision = "would_deny"; /* enforce_names: false resolves it all, audited */
        return NULL;
    }
    return why;
}

static void handle_query(struct bb_dnsfwd *f, struct client *to, const uint8_t *msg, size_t len)
{
    struct bb_dns_query q;
    int rc = bb_dns_parse_query(msg, len, &q);
    if (rc < 0)
        return; /* not answerable (too short, or a response): dropped */
    /* The client's tenant decides: a name another tenant may resolve is
     * NXDOMAIN here, and never asked of the resolver. */
    const struct bb_snapshot *t = bb_snapshot_for_peer(f->snap, &to->peer);
    if (t != NULL)
        snprintf(to->tenant, sizeof(to->tenant), "%s",
                 bb_snapshot_tenant(t) ? bb_snapshot_tenant(t) : "");
    to->tlabel = t == NULL ? BB_TLABEL_UNMATCHED : bb_snapshot_tenanted(t) ? t->tenant_label : -1;
    if (t == NULL && rc == BB_DNS_NOERROR) { /* no tenant's, no unmatched_tenant */
        reply_error(f, to, msg, len, &q, BB_DNS_REFUSED);
        audit(f, to, &q, "deny", "unmatched_tenant");
        return;
    }
    if (rc != BB_DNS_NOERROR) {
        reply_error(f, to, msg, len, NULL, rc);
        audit(f, to, rc == BB_DNS_FORMERR ? NULL : &q, "deny",
              rc == BB_DNS_FORMERR  ? "malformed"
              : rc == BB_DNS_NOTIMP ? "opcode_not_supported"
                                    : "refused");
        return;
    }
    const char *decision;
    const char *why = name_refusal(t->cfg, &q, &decision);
    if (why != NULL) {
        reply_error(f, to, msg, len, &q, BB_DNS_NXDOMAIN);
        audit(f, to, &q, "deny", why);
        return;
    }
    audit(f, to, &q, decision, decision[0] == 'w' ? "names_not_enforced" : "name_allowed");
    forward(f, to, msg, len, &q);
}

/* ---- UDP listeners ---- */

static void on_udp(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)l;
    (void)events;
    struct listener *li = BB_CONTAINER_OF(io, struct listener, io);
    struct bb_dnsfwd *f = li->f;
    for (int i = 0; i < UDP_BATCH; i++) {
        struct client to = {.ufd = io->fd, .peerlen = sizeof(to.peer), .tlabel = -1};
        ssize_t n = recvfrom(io->fd, f->scratch, BB_DNS_QUERY_MAX + 1, MSG_DONTWAIT,
                             (struct sockaddr *)&to.peer, &to.peerlen);
        if (n < 0)
            return;
        bb_sockaddr_format(&to.peer, to.src, sizeof(to.src));
        handle_query(f, &to, f->scratch, (size_t)n); /* > QUERY_MAX: REFUSED */
    }
}

/* ---- TCP clients ---- */

static void tcpc_free(struct bb_loop *l, void *arg)
{
    (void)l;
    free(arg);
}

static void tcpc_close(struct tcpc *c)
{
    struct bb_dnsfwd *f = c->f;
    if (c->busy != NULL)
        c->busy->to.c = NULL; /* the answer has nowhere to go */
    LIST_REMOVE(c, link);
    f->ntcpc--;
    bb_loop_timer_cancel(f->loop, &c->timer);
    bb_loop_io_del(f->loop, &c->io);
    close(c->io.fd);
    if (bb_loop_defer(f->loop, tcpc_free, c) != 0)
        free(c);
}

static void on_tcpc_idle(struct bb_loop *l, struct bb_timer *t)
{
    (void)l;
    tcpc_close(BB_CONTAINER_OF(t, struct tcpc, timer));
}

/* Interest: write while output waits; read when no query is in flight. */
static void tcpc_update(struct tcpc *c)
{
    uint32_t ev =
        (c->outoff < c->outlen ? EPOLLOUT : 0) | (c->busy == NULL && !c->closing ? EPOLLIN : 0);
    bb_loop_io_set(c->f->loop, &c->io, ev);
    if (c->busy == NULL)
        bb_loop_timer_set(c->f->loop, &c->timer, BB_DNS_TCP_IDLE_MS, on_tcpc_idle);
    else
        bb_loop_timer_cancel(c->f->loop, &c->timer);
}

/* Takes the complete frames in c->in, one query at a time. */
static void tcpc_frames(struct tcpc *c)
{
    while (c->busy == NULL && !c->closing && c->inlen >= TCP_FRAME) {
        size_t mlen = (size_t)(c->in[0] << 8 | c->in[1]);
        struct client to = {.ufd = -1, .c = c, .peer = c->peer, .tlabel = -1};
        memcpy(to.src, c->src, sizeof(to.src));
        if (mlen > BB_DNS_QUERY_MAX) { /* too big to hold: refuse and hang up */
            if (c->inlen < TCP_FRAME + BB_DNS_HEADER)
                return;
            reply_error(c->f, &to, c->in + TCP_FRAME, BB_DNS_HEADER, NULL, BB_DNS_REFUSED);
            audit(c->f, &to, NULL, "deny", "refused");
            c->closing = true;
            return;
        }
        if (c->inlen < TCP_FRAME + mlen)
            return;
        handle_query(c->f, &to, c->in + TCP_FRAME, mlen);
        memmove(c->in, c->in + TCP_FRAME + mlen, c->inlen - TCP_FRAME - mlen);
        c->inlen -= TCP_FRAME + mlen;
    }
}

static void on_tcpc(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)l;
    struct tcpc *c = BB_CONTAINER_OF(io, struct tcpc, io);
    if (events & EPOLLOUT) {
        ssize_t n = send(io->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN) {
            tcpc_close(c);
            return;
        }
        c->outoff += n > 0 ? (size_t)n : 0;
        if (c->outoff == c->outlen)
            c->outoff = c->outlen = 0;
    }
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->busy == NULL && !c->closing) {
        ssize_t n = recv(io->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            tcpc_close(c);
            return;
        }
        c->inlen += n > 0 ? (size_t)n : 0;
        tcpc_frames(c);
    }
    if (c->closing && c->outlen == 0) {
        tcpc_close(c);
        return;
    }
    tcpc_update(c);
}

static void on_tcp_accept(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)events;
    struct listener *li = BB_CONTAINER_OF(io, struct listener, io);
    struct bb_dnsfwd *f = li->f;
    for (int i = 0; i < UDP_BATCH; i++) {
        struct sockaddr_storage peer;
        socklen_t pl = sizeof(peer);
        int fd = accept4(io->fd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct tcpc *c = f->ntcpc < BB_DNS_TCP_MAX ? calloc(1, sizeof(*c)) : NULL;
        if (c == NULL || bb_loop_io_add(l, &c->io, fd, EPOLLIN, on_tcpc) != 0) {
            close(fd); /* over the limit: the client retries */
            free(c);
            continue;
        }
        c->f = f;
        c->peer = peer;
        bb_sockaddr_format(&peer, c->src, sizeof(c->src));
        LIST_INSERT_HEAD(&f->tcpcs, c, link);
        f->ntcpc++;
        bb_loop_timer_set(l, &c->timer, BB_DNS_TCP_IDLE_MS, on_tcpc_idle);
    }
}

/* ---- set-up ---- */

/* dns.upstream ("IP", "IP:port", "[IPv6]:port"), or the first nameserver
 * of /etc/resolv.conf. */
static int find_upstream(struct bb_dnsfwd *f, const char *conf)
{
    char host[INET6_ADDRSTRLEN + 8] = "";
    unsigned port = 53;
    if (conf != NULL && conf[0] != '\0') {
        const char *close = conf[0] == '[' ? strchr(conf, ']') : NULL;
        const char *colon = close ? (close[1] == ':' ? close + 1 : NULL) : strchr(conf, ':');
        if (conf[0] != '[' && colon != NULL && strchr(colon + 1, ':') != NULL)
            colon = NULL; /* a bare IPv6 address */
        size_t hl = close   ? (size_t)(close - conf - 1)
                    : colon ? (size_t)(colon - conf)
                            : strlen(conf);
        snprintf(host, sizeof(host), "%.*s", (int)hl, conf + (close ? 1 : 0));
        if (colon != NULL)
            port = (unsigned)strtoul(colon + 1, NULL, 10);
    } else {
        FILE *rc = fopen("/etc/resolv.conf", "re");
        char line[256];
        while (rc != NULL && host[0] == '\0' && fgets(line, sizeof(line), rc) != NULL)
            if (sscanf(line, " nameserver %45s", host) != 1)
                host[0] = '\0';
        if (rc != NULL)
            fclose(rc);
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)&f->upstream;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&f->upstream;
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        f->upstream_len = sizeof(*s4);
    } else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        f->upstream_len = sizeof(*s6);
    } else {
        bb_log_warnx("DNS forwarder: no usable upstream ('%s')",
                     conf && conf[0] ? conf : "no nameserver in /etc/resolv.conf");
        return -1;
    }
    return 0;
}

static int udp_socket(const char *addr, uint16_t port)
{
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    if (strchr(addr, ':') == NULL) {
        struct sockaddr_in *s = (struct sockaddr_in *)&ss;
        s->sin_family = AF_INET;
        s->sin_port = htons(port);
        inet_pton(AF_INET, addr, &s->sin_addr);
        sl = sizeof(*s);
    } else {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
        s->sin6_family = AF_INET6;
        s->sin6_port = htons(port);
        inet_pton(AF_INET6, addr, &s->sin6_addr);
        sl = sizeof(*s);
    }
    int one = 1, fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int add_listeners(struct bb_dnsfwd *f, const char *addr, uint16_t port)
{
    int ufd = udp_socket(addr, port), tfd = bb_listen(addr, port, 0);
    if (ufd < 0 || tfd < 0) {
        bb_log_warn("DNS forwarder on %s port %u", addr, port);
        if (ufd >= 0)
            close(ufd);
        if (tfd >= 0)
            close(tfd);
        return -1;
    }
    struct listener *u = &f->listeners[f->nlisteners++], *t = &f->listeners[f->nlisteners++];
    u->f = t->f = f;
    t->tcp = true;
    if (bb_loop_io_add(f->loop, &u->io, ufd, EPOLLIN, on_udp) != 0 ||
        bb_loop_io_add(f->loop, &t->io, tfd, EPOLLIN, on_tcp_accept) != 0)
        return -1;
    return 0;
}

struct bb_dnsfwd *bb_dnsfwd_open(struct bb_shared *sh, struct bb_metrics_shard *metrics)
{
    const struct bb_config *c = sh->boot_cfg;
    struct bb_dnsfwd *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->sh = sh;
    f->metrics = metrics;
    f->snap = bb_snapshot_ref(sh->current);
    f->loop = bb_loop_new();
    bool gw = c->mode == BB_MODE_GATEWAY;
    if (f->loop == NULL || find_upstream(f, c->dns.upstream) != 0 ||
        add_listeners(f, gw ? "0.0.0.0" : "127.0.0.1", c->dns.listen_port) != 0 ||
        (c->enable_ipv6 && add_listeners(f, gw ? "::" : "::1", c->dns.listen_port) != 0)) {
        bb_dnsfwd_free(f);
        return NULL;
    }
    if (!gw && (f->ct = bb_ctdel_open()) == NULL)
        bb_log_warnx("DNS forwarder: no conntrack socket (%s): entries of its queries outlive them",
                     strerror(errno));
    return f;
}

int bb_dnsfwd_start(struct bb_dnsfwd *f)
{
    if (bb_loop_thread_start(f->loop, &f->thread) != 0)
        return -1;
    f->started = true;
    return 0;
}

void bb_dnsfwd_install(struct bb_dnsfwd *f, struct bb_snapshot *snap)
{
    bb_snapshot_post(f->loop, &f->snap, snap);
}

void bb_dnsfwd_free(struct bb_dnsfwd *f)
{
    if (f == NULL)
        return;
    if (f->started)
        bb_loop_thread_join(f->loop, f->thread);
    if (f->loop != NULL) {
        while (!LIST_EMPTY(&f->pending))
            pending_end(LIST_FIRST(&f->pending));
        while (!LIST_EMPTY(&f->tcpcs))
            tcpc_close(LIST_FIRST(&f->tcpcs));
        for (size_t i = 0; i < f->nlisteners; i++) {
            bb_loop_io_del(f->loop, &f->listeners[i].io);
            close(f->listeners[i].io.fd);
        }
        bb_loop_free(f->loop);
    }
    bb_ctdel_close(f->ct);
    bb_snapshot_unref(f->snap);
    free(f);
}
