/*
 * Address classes for upstream destinations (SSRF defence). Every address
 * a name resolves to is classified before it is dialled:
 *
 *   BB_ADDR_FORBIDDEN  never dialled, whatever allow_private says: the
 *                      clouds' metadata and platform endpoints
 *                      (169.254.169.254, 100.100.100.200, 168.63.129.16,
 *                      fd00:ec2::254, fd20:ce::254), and what IANA's
 *                      special-purpose registries mark not globally
 *                      reachable and not a network of one's own: loopback,
 *                      link-local, unspecified, "this network",
 *                      multicast, broadcast, reserved, documentation,
 *                      discard-only, IETF protocol assignments, the
 *                      local-use NAT64 prefix 64:ff9b:1::/48;
 *   BB_ADDR_PRIVATE    only with `allow_private` on the rule or
 *                      `upstream.deny_private: false`: RFC 1918, CGNAT
 *                      (100.64.0.0/10), benchmarking (198.18.0.0/15,
 *                      2001:2::/48), ULA (fc00::/7), site-local
 *                      (fec0::/10);
 *   BB_ADDR_PUBLIC     everything else.
 *
 * IPv6 addresses that embed an IPv4 address (v4-mapped ::ffff:a.b.c.d,
 * SIIT's v4-translated ::ffff:0:a.b.c.d, v4-compatible ::a.b.c.d, NAT64
 * 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32 with its server's and
 * its client's address) are classified by what they embed, so
 * ::ffff:127.0.0.1 is loopback. docs/policy.md has the table. Pure
 * functions.
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
