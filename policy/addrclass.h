/*
 * Address classes for upstream destinations (SSRF defence). Every address
 * a name resolves to is classified before it is dialled:
 *
 *   BB_ADDR_FORBIDDEN  never dialled: loopback, link-local (169.254.0.0/16,
 *                      the cloud metadata address included; fe80::/10),
 *                      unspecified, multicast, broadcast, reserved
 *                      (240.0.0.0/4), "this network" (0.0.0.0/8);
 *   BB_ADDR_PRIVATE    only with `allow_private` on the rule or
 *                      `upstream.deny_private: false`: RFC 1918, CGNAT
 *                      (100.64.0.0/10), ULA (fc00::/7), site-local
 *                      (fec0::/10);
 *   BB_ADDR_PUBLIC     everything else.
 *
 * IPv6 addresses that embed an IPv4 address (v4-mapped ::ffff:a.b.c.d,
 * v4-compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) are classified
 * by the embedded address, so ::ffff:127.0.0.1 is loopback.
 * Pure functions.
 */
#ifndef BB_ADDRCLASS_H
#define BB_ADDRCLASS_H

#include <stdbool.h>
#include <stdint.h>

enum bb_addr_class { BB_ADDR_PUBLIC, BB_ADDR_PRIVATE, BB_ADDR_FORBIDDEN };

/* addr: 4 bytes (AF_INET) or 16 (AF_INET6), network order. */
enum bb_addr_class bb_addr_classify(int family, const uint8_t *addr);

/* May this address be dialled? allow_private: the rule's allow_private or
 * deny_private being off. */
bool bb_addr_dialable(int family, const uint8_t *addr, bool allow_private);

/* "public", "private", "forbidden". */
const char *bb_addr_class_name(enum bb_addr_class c);

#endif
