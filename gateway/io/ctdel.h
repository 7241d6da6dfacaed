/*
 * Deleting the conntrack entry of one of botbox's own udp sockets before it
 * is closed (sidecar mode).
 *
 * botbox's DNS queries (the forwarder's and the proxy's resolver's) leave
 * from the workload's namespace, exempt from the DNS redirect. Each entry
 * would outlive its socket by the udp timeout (30 s, 120 s for a flow that
 * talked for over 2 s), and a workload socket that happens to get the freed
 * port and writes to the same resolver would continue it: nat sees a
 * flow's first packet only, so that query would skip the redirect. The
 * ruleset queues such packets (docs/steering.md), which keeps the names
 * checked but drops an honest workload's query. Deleting the entry while
 * botbox still holds the port leaves nothing to continue: the workload's
 * next packet from that port is a new flow, redirected like any other.
 *
 * One handle per thread (a NETLINK_NETFILTER socket); the kernel handles
 * the request within the send, so the entry is gone when it returns.
 */
#ifndef BB_CTDEL_H
#define BB_CTDEL_H

struct bb_ctdel;

/* NULL when the netlink socket cannot be opened (errno set). */
struct bb_ctdel *bb_ctdel_open(void);
void bb_ctdel_close(struct bb_ctdel *d);

/* Deletes the entry of connected udp socket fd (its address and its peer's
 * make the original tuple). 0 when deleted; -errno otherwise: -ENOTCONN or
 * -EINVAL for anything but a connected inet udp socket (nothing to do),
 * -ENOENT when there is no entry (nothing was sent), -EPERM without
 * CAP_NET_ADMIN. A failed request other than -ENOENT is reported once per
 * handle on stderr. A NULL handle does nothing (returns 0): gateway mode
 * needs no deletions. */
int bb_ctdel_socket(struct bb_ctdel *d, int fd);

#endif
