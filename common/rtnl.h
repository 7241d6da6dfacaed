/*
 * A minimal rtnetlink client over libmnl: one request, one answer. Shared by
 * the policy routing of `botbox nft` and the links, addresses and routes of
 * `botbox run`.
 *
 * A socket belongs to the network namespace it was opened in, for its whole
 * life: open it while inside a namespace and it keeps configuring that one.
 *
 * Error convention: functions return 0 or an errno value (never -1), so a
 * caller can tell "already there" (EEXIST) from a real refusal.
 */
#ifndef BB_RTNL_H
#define BB_RTNL_H

#include <libmnl/libmnl.h>
#include <stdint.h>

#define BB_RTNL_BUF 8192 /* one request or one batch of dump answers */

struct bb_rtnl {
    struct mnl_socket *nl;
    uint32_t portid, seq;
};

/* Opens and binds a NETLINK_ROUTE socket in the current namespace. */
int bb_rtnl_open(struct bb_rtnl *r);
void bb_rtnl_close(struct bb_rtnl *r);

/* Sends nlh (NLM_F_ACK set by the caller) and returns the errno its ack
 * carries: 0 when done. */
int bb_rtnl_talk(struct bb_rtnl *r, struct nlmsghdr *nlh);

/* Sends a dump request and runs cb on every answer; 0 or an errno. */
int bb_rtnl_dump(struct bb_rtnl *r, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

#endif
