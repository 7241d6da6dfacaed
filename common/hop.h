/*
 * Hop-by-hop HTTP header names (RFC 9110 §7.6.1 plus the legacy ones):
 * never forwarded by the proxy in either direction, and never settable by a
 * header rewrite. One list, so the two cannot drift apart.
 */
#ifndef BB_HOP_H
#define BB_HOP_H

#include <stdbool.h>
#include <stddef.h>

/* name: len bytes, any case. */
bool bb_is_hop_by_hop(const char *name, size_t len);

#endif
