/*
 * Packet decoding (see pkt.h). Every read is bounds-checked against len
 * before it happens; offsets only grow.
 */
#include "gateway/flows/pkt.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define IPV4_MIN       20
#define IPV6_HDR       40
#define FRAG_HDR       8
#define IPV4_MF_OFFSET 0x1fffu /* fragment offset bits of frag_off */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static int bad(const char **why, const char *reason)
{
    *why = reason;
    return -1;
}

/* The upper-layer header at off, when the packet holds enough of it. */
static void upper(const uint8_t *p, size_t len, struct bb_pkt *o)
{
    size_t off = o->l4_off, need = o->proto == IPPROTO_TCP ? 4 : o->proto == IPPROTO_UDP ? 4 : 2;
    if (o->later_fragment || off > len || len - off < need)
        return;
    if (o->proto == IPPROTO_TCP || o->proto == IPPROTO_UDP) {
        o->has_ports = true;
        o->sport = be16(p + off);
        o->dport = be16(p + off + 2);
    } else if (o->proto == IPPROTO_ICMP || o->proto == IPPROTO_ICMPV6) {
        o->has_icmp = true;
        o->icmp_type = p[off];
        o->icmp_code = p[off + 1];
    }
}

static int decode4(const uint8_t *p, size_t len, struct bb_pkt *o, const char **why)
{
    size_t ihl = (size_t)(p[0] & 0x0f) * 4;
    if (len < IPV4_MIN || ihl < IPV4_MIN || ihl > len)
        return bad(why, "truncated IPv4 header");
    if (be16(p + 2) < ihl)
        return bad(why, "IPv4 total length shorter than its header");
    o->family = AF_INET;
    o->proto = p[9];
    memcpy(o->src, p + 12, 4);
    memcpy(o->dst, p + 16, 4);
    o->later_fragment = (be16(p + 6) & IPV4_MF_OFFSET) != 0;
    o->l4_off = ihl;
    return 0;
}

static bool is_ext(uint8_t nh)
{
    return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_FRAGMENT ||
           nh == IPPROTO_DSTOPTS || nh == IPPROTO_AH;
}

static int decode6(const uint8_t *p, size_t len, struct bb_pkt *o, const char **why)
{
    if (len < IPV6_HDR)
        return bad(why, "truncated IPv6 header");
    o->family = AF_INET6;
    memcpy(o->src, p + 8, 16);
    memcpy(o->dst, p + 24, 16);
    uint8_t nh = p[6];
    size_t off = IPV6_HDR;
    for (int n = 0; is_ext(nh); n++) {
        if (n == BB_PKT_MAX_EXT)
            return bad(why, "too many IPv6 extension headers");
        if (len - off < 8) /* every extension header is at least 8 bytes */
            return bad(why, "truncated IPv6 extension header");
        size_t hlen = nh == IPPROTO_FRAGMENT ? FRAG_HDR
                      : nh == IPPROTO_AH     ? ((size_t)p[off + 1] + 2) * 4
                                             : ((size_t)p[off + 1] + 1) * 8;
        if (nh == IPPROTO_FRAGMENT && (be16(p + off + 2) & 0xfff8) != 0)
            o->later_fragment = true;
        if (hlen > len - off)
            return bad(why, "truncated IPv6 extension header");
        nh = p[off];
        off += hlen;
    }
    o->proto = nh;
    o->l4_off = off;
    return 0;
}

int bb_pkt_decode(const uint8_t *p, size_t len, struct bb_pkt *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    *why = NULL;
    if (len < 1)
        return bad(why, "empty packet");
    int rc = (p[0] >> 4) == 4   ? decode4(p, len, out, why)
             : (p[0] >> 4) == 6 ? decode6(p, len, out, why)
                                : bad(why, "not IPv4 or IPv6");
    if (rc == 0)
        upper(p, len, out);
    return rc;
}

const char *bb_pkt_proto_name(uint8_t proto)
{
    switch (proto) {
    case IPPROTO_TCP:
        return "tcp";
    case IPPROTO_UDP:
        return "udp";
    case IPPROTO_ICMP:
        return "icmp";
    case IPPROTO_ICMPV6:
        return "icmpv6";
    default:
        return "other";
    }
}
