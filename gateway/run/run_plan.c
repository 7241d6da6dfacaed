/* Names and addresses of a run (see run_plan.h). */
#include "gateway/run/run_plan.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

struct private_range {
    uint8_t addr[4];
    uint8_t prefix;
};

static const struct private_range private4[] = {
    {{10, 0, 0, 0}, 8},
    {{172, 16, 0, 0}, 12},
    {{192, 168, 0, 0}, 16},
    {{100, 64, 0, 0}, 10}, /* carrier-grade NAT space */
};

/* Parses s as a CIDR of family, with the prefix room a slot needs. */
static const char *parse(const char *s, int family, unsigned max_prefix, struct bb_cidr *out)
{
    const char *why = bb_cidr_parse(s, strlen(s), out);
    if (why != NULL)
        return why;
    if (out->family != family)
        return family == AF_INET ? "expected an IPv4 range" : "expected an IPv6 range";
    if (out->prefix > max_prefix)
        return family == AF_INET ? "too small: a run needs a /29 at least"
                                 : "too small: a run needs a /63 at least";
    return NULL;
}

const char *bb_run_range4(const char *s, struct bb_cidr *out)
{
    const char *why = parse(s, AF_INET, 29, out);
    if (why != NULL)
        return why;
    for (size_t i = 0; i < sizeof(private4) / sizeof(private4[0]); i++) {
        struct bb_cidr p = {.family = AF_INET, .prefix = private4[i].prefix};
        memcpy(p.addr, private4[i].addr, 4);
        if (out->prefix >= p.prefix && bb_cidr_contains(&p, AF_INET, out->addr))
            return NULL;
    }
    return "not a private range (10/8, 172.16/12, 192.168/16 or 100.64/10)";
}

const char *bb_run_range6(const char *s, struct bb_cidr *out)
{
    const char *why = parse(s, AF_INET6, 63, out);
    if (why != NULL)
        return why;
    if (out->prefix < 7 || (out->addr[0] & 0xfe) != 0xfc)
        return "not a unique local range (inside fc00::/7)";
    return NULL;
}

uint32_t bb_run_slots(const struct bb_run_ranges *r)
{
    /* 8 addresses per slot in IPv4, two /64s in IPv6. */
    unsigned bits4 = 32u - r->v4.prefix - 3u, bits6 = 64u - r->v6.prefix - 1u;
    unsigned bits = bits4 < bits6 ? bits4 : bits6;
    return bits >= 13 ? BB_RUN_SLOTS_MAX : 1u << bits;
}

static struct in_addr v4_at(const struct bb_cidr *c, uint32_t offset)
{
    uint32_t base;
    memcpy(&base, c->addr, 4);
    struct in_addr a = {.s_addr = htonl(ntohl(base) + offset)};
    return a;
}

/* Address `host` (1 or 2) of /64 number `net` in the range. */
static struct in6_addr v6_at(const struct bb_cidr *c, uint32_t net, uint8_t host)
{
    struct in6_addr a;
    memcpy(a.s6_addr, c->addr, 16);
    /* The /64 number goes into bytes 4..7 (the range is /63 or wider, so
     * those bits are the range's own zeros up to its prefix). */
    uint32_t hi = ((uint32_t)a.s6_addr[4] << 24 | (uint32_t)a.s6_addr[5] << 16 |
                   (uint32_t)a.s6_addr[6] << 8 | a.s6_addr[7]) +
                  net;
    a.s6_addr[4] = (uint8_t)(hi >> 24);
    a.s6_addr[5] = (uint8_t)(hi >> 16);
    a.s6_addr[6] = (uint8_t)(hi >> 8);
    a.s6_addr[7] = (uint8_t)hi;
    memset(a.s6_addr + 8, 0, 8);
    a.s6_addr[15] = host;
    return a;
}

void bb_run_ends(const struct bb_run_ranges *r, uint32_t slot, struct bb_run_ends *out)
{
    uint32_t base = slot * 8u;
    out->outer4 = v4_at(&r->v4, base + 1);
    out->gw_up4 = v4_at(&r->v4, base + 2);
    out->gw_cli4 = v4_at(&r->v4, base + 5);
    out->sandbox4 = v4_at(&r->v4, base + 6);
    out->outer6 = v6_at(&r->v6, 2 * slot, 1);
    out->gw_up6 = v6_at(&r->v6, 2 * slot, 2);
    out->gw_cli6 = v6_at(&r->v6, 2 * slot + 1, 1);
    out->sandbox6 = v6_at(&r->v6, 2 * slot + 1, 2);
}
