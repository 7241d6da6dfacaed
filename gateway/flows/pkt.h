/*
 * Packet decoding for the NFQUEUE verdict path: an IPv4 or IPv6 packet (as
 * the kernel queues it, starting at the network header) to the few fields
 * a flow decision and its audit line need. IPv6 extension headers
 * (hop-by-hop, routing, fragment, destination options, AH) are walked, at
 * most BB_PKT_MAX_EXT of them.
 *
 * Pure: bytes in, struct out; fuzzed (tests/fuzz/fuzz_pkt.c). Anything it
 * cannot decode is "malformed", which the verdict path drops.
 */
#ifndef BB_PKT_H
#define BB_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BB_PKT_MAX_EXT 8 /* IPv6 extension headers walked; more is malformed */

struct bb_pkt {
    int family;               /* AF_INET or AF_INET6 */
    uint8_t proto;            /* the upper-layer protocol (after extension headers) */
    uint8_t src[16], dst[16]; /* 4 or 16 bytes used */
    bool has_ports;           /* TCP or UDP with its ports present */
    uint16_t sport, dport;
    bool has_icmp; /* ICMP / ICMPv6 with type and code present */
    uint8_t icmp_type, icmp_code;
    bool later_fragment; /* not the first fragment: no upper-layer header */
    size_t l4_off;       /* where the upper-layer header starts */
};

/* Decodes p[0..len). Returns 0, or -1 (*why set) when the packet is
 * truncated, inconsistent or not IPv4/IPv6. */
int bb_pkt_decode(const uint8_t *p, size_t len, struct bb_pkt *out, const char **why);

/* "tcp", "udp", "icmp", "icmpv6", or "other". */
const char *bb_pkt_proto_name(uint8_t proto);

#endif
