/* Deleting the conntrack entry of one udp socket (see ctdel.h). */
#include "gateway/io/ctdel.h"

#include "common/log.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* The request is under 100 bytes; an error ack quotes it after its own 20. */
#define CTDEL_BUF 512

struct bb_ctdel {
    struct mnl_socket *nl;
    unsigned portid, seq;
    bool reported; /* a failure was written to stderr */
};

struct bb_ctdel *bb_ctdel_open(void)
{
    struct bb_ctdel *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    d->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    if (d->nl == NULL || mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        bb_ctdel_close(d);
        errno = e;
        return NULL;
    }
    d->portid = mnl_socket_get_portid(d->nl);
    d->seq = (unsigned)time(NULL);
    return d;
}

void bb_ctdel_close(struct bb_ctdel *d)
{
    if (d == NULL)
        return;
    if (d->nl != NULL)
        mnl_socket_close(d->nl);
    free(d);
}

/* One side of the tuple: CTA_IP_V[46]_{SRC,DST} from a socket address. */
static void put_addr(struct nlmsghdr *nlh, const struct sockaddr_storage *ss, bool src)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        mnl_attr_put(nlh, src ? CTA_IP_V4_SRC : CTA_IP_V4_DST, 4, &a->sin_addr);
    } else {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        mnl_attr_put(nlh, src ? CTA_IP_V6_SRC : CTA_IP_V6_DST, 16, &a->sin6_addr);
    }
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
                                    : ((const struct sockaddr_in6 *)ss)->sin6_port;
}

/* IPCTNL_MSG_CT_DELETE for the original tuple local -> peer, udp. */
static struct nlmsghdr *delete_msg(char *buf, unsigned seq, const struct sockaddr_storage *local,
                                   const struct sockaddr_storage *peer)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = seq;
    struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
    g->nfgen_family = (uint8_t)local->ss_family;
    g->version = NFNETLINK_V0;
    g->res_id = 0;
    struct nlattr *tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
    struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
    put_addr(nlh, local, true);
    put_addr(nlh, peer, false);
    mnl_attr_nest_end(nlh, ip);
    struct nlattr *proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
    mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_UDP);
    mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, port_of(local)); /* both in network order */
    mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, port_of(peer));
    mnl_attr_nest_end(nlh, proto);
    mnl_attr_nest_end(nlh, tuple);
    return nlh;
}

/* The tuple of a connected inet udp socket; 0 or -errno. */
static int tuple_of(int fd, struct sockaddr_storage *local, struct sockaddr_storage *peer)
{
    int type = 0;
    socklen_t tl = sizeof(type), ll = sizeof(*local), pl = sizeof(*peer);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 ||
        getsockname(fd, (struct sockaddr *)local, &ll) != 0 ||
        getpeername(fd, (struct sockaddr *)peer, &pl) != 0)
        return -errno;
    bool inet = local->ss_family == AF_INET || local->ss_family == AF_INET6;
    return type == SOCK_DGRAM && inet && peer->ss_family == local->ss_family ? 0 : -EINVAL;
}

static int request(struct bb_ctdel *d, const struct sockaddr_storage *local,
                   const struct sockaddr_storage *peer)
{
    char buf[CTDEL_BUF] = {0}; /* pad bytes go to the kernel too */
    struct nlmsghdr *nlh = delete_msg(buf, ++d->seq, local, peer);
    if (mnl_socket_sendto(d->nl, nlh, nlh->nlmsg_len) < 0)
        return -errno;
    /* The kernel answered within the send: the ack is already queued. */
    ssize_t n = recv(mnl_socket_get_fd(d->nl), buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0)
        return -errno;
    return mnl_cb_run(buf, (size_t)n, d->seq, d->portid, NULL, NULL) < 0 ? -errno : 0;
}

int bb_ctdel_socket(struct bb_ctdel *d, int fd)
{
    if (d == NULL)
        return 0;
    struct sockaddr_storage local, peer;
    int rc = tuple_of(fd, &local, &peer);
    if (rc != 0)
        return rc; /* not a connected udp socket: no entry of its own */
    rc = request(d, &local, &peer);
    if (rc != 0 && rc != -ENOENT && !d->reported) {
        d->reported = true;
        bb_log_warnx("cannot delete the conntrack entry of a DNS query (%s): a workload socket "
                     "that gets its port within the udp timeout has its queries dropped",
                     strerror(-rc));
    }
    return rc;
}
