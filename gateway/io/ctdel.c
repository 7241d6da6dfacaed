#include "common/log.h"
/* Deleting the conntrack entry of one udp socket (see ctdel.h). */
#include "common/log.h"
#include "gateway/io/ctdel.h"
#include "common/log.h"

#include "common/log.h"
#include <errno.h>
#include "common/log.h"
#include <libmnl/libmnl.h>
#include "common/log.h"
#include <linux/netfilter/nfnetlink.h>
#include "common/log.h"
#include <linux/netfilter/nfnetlink_conntrack.h>
#include "common/log.h"
#include <netinet/in.h>
#include "common/log.h"
#include <stdbool.h>
#include "common/log.h"
#include <stdio.h>
#include "common/log.h"
#include <stdlib.h>
#include "common/log.h"
#include <string.h>
#include "common/log.h"
#include <sys/socket.h>
#include "common/log.h"
#include <time.h>
#include "common/log.h"

#include "common/log.h"
/* The request is under 100 bytes; an error ack quotes it after its own 20. */
#include "common/log.h"
#define CTDEL_BUF 512
#include "common/log.h"

#include "common/log.h"
struct bb_ctdel {
#include "common/log.h"
    struct mnl_socket *nl;
#include "common/log.h"
    unsigned portid, seq;
#include "common/log.h"
    bool reported; /* a failure was written to stderr */
#include "common/log.h"
};
#include "common/log.h"

#include "common/log.h"
struct bb_ctdel *bb_ctdel_open(void)
#include "common/log.h"
{
#include "common/log.h"
    struct bb_ctdel *d = calloc(1, sizeof(*d));
#include "common/log.h"
    if (d == NULL)
#include "common/log.h"
        return NULL;
#include "common/log.h"
    d->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
#include "common/log.h"
    if (d->nl == NULL || mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
#include "common/log.h"
        int e = errno;
#include "common/log.h"
        bb_ctdel_close(d);
#include "common/log.h"
        errno = e;
#include "common/log.h"
        return NULL;
#include "common/log.h"
    }
#include "common/log.h"
    d->portid = mnl_socket_get_portid(d->nl);
#include "common/log.h"
    d->seq = (unsigned)time(NULL);
#include "common/log.h"
    return d;
#include "common/log.h"
}
#include "common/log.h"

#include "common/log.h"
void bb_ctdel_close(struct bb_ctdel *d)
#include "common/log.h"
{
#include "common/log.h"
    if (d == NULL)
#include "common/log.h"
        return;
#include "common/log.h"
    if (d->nl != NULL)
#include "common/log.h"
        mnl_socket_close(d->nl);
#include "common/log.h"
    free(d);
#include "common/log.h"
}
#include "common/log.h"

#include "common/log.h"
/* One side of the tuple: CTA_IP_V[46]_{SRC,DST} from a socket address. */
#include "common/log.h"
static void put_addr(struct nlmsghdr *nlh, const struct sockaddr_storage *ss, bool src)
#include "common/log.h"
{
#include "common/log.h"
    if (ss->ss_family == AF_INET) {
#include "common/log.h"
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
#include "common/log.h"
        mnl_attr_put(nlh, src ? CTA_IP_V4_SRC : CTA_IP_V4_DST, 4, &a->sin_addr);
#include "common/log.h"
    } else {
#include "common/log.h"
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
#include "common/log.h"
        mnl_attr_put(nlh, src ? CTA_IP_V6_SRC : CTA_IP_V6_DST, 16, &a->sin6_addr);
#include "common/log.h"
    }
#include "common/log.h"
}
#include "common/log.h"

#include "common/log.h"
static uint16_t port_of(const struct sockaddr_storage *ss)
#include "common/log.h"
{
#include "common/log.h"
    return ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
#include "common/log.h"
                                    : ((const struct sockaddr_in6 *)ss)->sin6_port;
#include "common/log.h"
}
#include "common/log.h"

#include "common/log.h"
/* IPCTNL_MSG_CT_DELETE for the original tuple local -> peer, udp. */
#include "common/log.h"
static struct nlmsghdr *delete_msg(char *buf, unsigned seq, const struct sockaddr_storage *local,
#include "common/log.h"
                                   const struct sockaddr_storage *peer)
#include "common/log.h"
{
#include "common/log.h"
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
#include "common/log.h"
    nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
#include "common/log.h"
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
#include "common/log.h"
    nlh->nlmsg_seq = seq;
#include "common/log.h"
    struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
#include "common/log.h"
    g->nfgen_family = (uint8_t)local->ss_family;
#include "common/log.h"
    g->version = NFNETLINK_V0;
#include "common/log.h"
    g->res_id = 0;
#include "common/log.h"
    struct nlattr *tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
#include "common/log.h"
    struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
#include "common/log.h"
    put_addr(nlh, local, true);
#include "common/log.h"
    put_addr(nlh, peer, false);
#include "common/log.h"
    mnl_attr_nest_end(nlh, ip);
#include "common/log.h"
    struct nlattr *proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
#include "common/log.h"
    mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_UDP);
#include "common/log.h"
    mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, port_of(local)); /* both in network order */
#include "common/log.h"
    mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, port_of(peer));
#include "common/log.h"
    mnl_attr_nest_end(nlh, proto);
#include "common/log.h"
    mnl_attr_nest_end(nlh, tuple);
#include "common/log.h"
    return nlh;
#include "common/log.h"
}
#include "common/log.h"

#include "common/log.h"
/* The tuple of a connected inet udp socket; 0 or -errno. */
#include "common/log.h"
static int tuple_of(int fd, struct sockaddr_storage *local, struct sockaddr_storage *peer)
#include "common/log.h"
{
#include "common/log.h"
    int type = 0;
#include "common/log.h"
    socklen_t tl = sizeof(type), ll = sizeof(*local), pl = sizeof(*peer);
#include "common/log.h"
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 ||
#include "common/log.h"
        getsockname(fd, (struct sockaddr *)local, &ll) != 0 ||
#include "common/log.h"
        getpeername(fd, (struct sockaddr *)peer, &pl) != 0)
#include "common/log.h"
        return -errno;
#include "common/log.h"
    bool inet = local->ss_family == AF_INET || local->ss_family == AF_INET6;
#include "common/log.h"
    return type == SOCK_DGRAM && inet && peer->ss_family == local->ss_family ? 0 : -EINVAL;
#include "common/log.h"
}
#include "common/log.h"

#include "common/log.h"
static int request(struct bb_ctdel *d, const struct sockaddr_storage *local,
#include "common/log.h"
                   const struct sockaddr_storage *peer)
#include "common/log.h"
{
#include "common/log.h"
    char buf[CTDEL_BUF] = {0}; /* pad bytes go to the kernel too */
#include "common/log.h"
    struct nlmsghdr *nlh = delete_msg(buf, ++d->seq, local, peer);
#include "common/log.h"
    if (mnl_socket_sendto(d->nl, nlh, nlh->nlmsg_len) < 0)
#include "common/log.h"
        return -errno;
#include "common/log.h"
        /* The kernel answered within the send: the ack is already queued. */
#include "common/log.h"
    ssize_t n = recv(mnl_socket_get_fd(d->nl), buf, sizeof(buf), MSG_DONTWAIT);
#include "common/log.h"
    if (n < 0)
#include "common/log.h"
        return -errno;
#include "common/log.h"
    return mnl_cb_run(buf, (size_t)n, d->seq, d->portid, NULL, NULL) < 0 ? -errno : 0;
#include "common/log.h"
}
#include "common/log.h"

#include "common/log.h"
int bb_ctdel_socket(struct bb_ctdel *d, int fd)
#include "common/log.h"
{
#include "common/log.h"
    if (d == NULL)
#include "common/log.h"
        return 0;
#include "common/log.h"
    struct sockaddr_storage local, peer;
#include "common/log.h"
    int rc = tuple_of(fd, &local, &peer);
#include "common/log.h"
    if (rc != 0)
#include "common/log.h"
        return rc; /* not a connected udp socket: no entry of its own */
#include "common/log.h"
    rc = request(d, &local, &peer);
#include "common/log.h"
    if (rc != 0 && rc != -ENOENT && !d->reported) {
#include "common/log.h"
        d->reported = true;
#include "common/log.h"
        bb_log_warnx("cannot delete the conntrack entry of a DNS query (%s): a workload socket "
#include "common/log.h"
                     "that gets its port within the udp timeout has its queries dropped",
#include "common/log.h"
                     strerror(-rc));
#include "common/log.h"
    }
#include "common/log.h"
    return rc;
#include "common/log.h"
}
