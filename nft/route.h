/*
 * Policy routing for steered packets, over rtnetlink (libmnl): a fwmark rule
 * (pref BB_NFT_RULE_PRIORITY, fwmark BB_NFT_MARK, lookup BB_NFT_ROUTE_TABLE)
 * and in that table a `local default dev lo` route, per address family.
 * Marked packets are thus delivered locally, where tproxy hands them to the
 * listeners. Nothing else in the routing configuration is touched.
 *
 * Error convention: 0 / -1 with the reason added to diag.
 */
#ifndef BB_ROUTE_H
#define BB_ROUTE_H

#include <stdbool.h>
#include <stdio.h>

struct bb_diag;

/* Adds the rule and route for IPv4 (and IPv6 when ipv6). Already present
 * (EEXIST) counts as success, so applying twice changes nothing. */
int bb_route_apply(bool ipv6, struct bb_diag *diag);

/* Removes them for both families; absent ones are not an error. */
int bb_route_flush(struct bb_diag *diag);

/* Writes one line per family and object: present or absent. Returns the
 * number present, or -1 on error. */
int bb_route_show(FILE *out, struct bb_diag *diag);

#endif
