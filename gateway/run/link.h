/*
 * Links, addresses and default routes over rtnetlink, for `botbox run`'s
 * veth pairs. Every call works on the namespace its socket was opened in
 * (common/rtnl.h); links are named, never numbered, by callers.
 *
 * Error convention: 0 or an errno value.
 */
#ifndef BB_LINK_H
#define BB_LINK_H

#include "common/rtnl.h"

#include <netinet/in.h>

/* A veth pair: `name` in namespace name_ns and `peer` in peer_ns (-1: the
 * socket's own namespace). */
int bb_link_veth(struct bb_rtnl *r, const char *name, int name_ns, const char *peer, int peer_ns);

/* Sets the link up. */
int bb_link_up(struct bb_rtnl *r, const char *name);

/* Adds addr/plen (AF_INET: struct in_addr; AF_INET6: struct in6_addr,
 * added without duplicate address detection: the link has two ends, both
 * ours). */
int bb_link_addr(struct bb_rtnl *r, const char *name, int family, const void *addr, int plen);

/* Adds the main table's default route via gw on link name (gw NULL: the
 * link itself, scope link). */
int bb_link_default_route(struct bb_rtnl *r, const char *name, int family, const void *gw);

/* Deletes the link (a veth takes its peer with it). */
int bb_link_del(struct bb_rtnl *r, const char *name);

#endif
