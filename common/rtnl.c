/* rtnetlink requests (see rtnl.h). */
#include "common/rtnl.h"

#include <errno.h>
#include <sys/socket.h>
#include <time.h>

int bb_rtnl_open(struct bb_rtnl *r)
{
    r->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (r->nl == NULL || mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        int err = errno;
        if (r->nl != NULL)
            mnl_socket_close(r->nl);
        r->nl = NULL;
        return err;
    }
    r->portid = mnl_socket_get_portid(r->nl);
    r->seq = (uint32_t)time(NULL);
    return 0;
}

void bb_rtnl_close(struct bb_rtnl *r)
{
    if (r->nl != NULL)
        mnl_socket_close(r->nl);
    r->nl = NULL;
}

/* Reads answers to the request with sequence number r->seq until the
 * callbacks (or the ack) end it. */
static int run(struct bb_rtnl *r, mnl_cb_t cb, void *data)
{
    char buf[BB_RTNL_BUF];
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(r->nl, buf, sizeof(buf));
        if (n < 0)
            return errno;
        int rc = mnl_cb_run(buf, (size_t)n, r->seq, r->portid, cb, data);
        if (rc <= MNL_CB_STOP)
            return rc < 0 ? errno : 0;
    }
}

int bb_rtnl_talk(struct bb_rtnl *r, struct nlmsghdr *nlh)
{
    nlh->nlmsg_seq = ++r->seq;
    if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
        return errno;
    return run(r, NULL, NULL);
}

int bb_rtnl_dump(struct bb_rtnl *r, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
    nlh->nlmsg_seq = ++r->seq;
    if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
        return errno;
    return run(r, cb, data);
}
