/*
 * Address classification (see addrclass.h): one table per family, from
 * IANA's IPv4 and IPv6 Special-Purpose Address Registries, and the cloud
 * metadata addresses before them; the IPv6 forms that embed an IPv4
 * address are unwrapped first and judged by what they embed.
 */
#include "policy/addrclass.h"

#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

struct prefix {
    uint8_t bytes[16];
    uint8_t len; /* bits */
    enum bb_addr_class cls;
};

#define N(t) (sizeof(t) / sizeof((t)[0]))

/* Instance metadata and platform endpoints: never dialled, allow_private
 * or not (169.254.169.254 itself, AWS, GCP, Azure, OCI and the rest, is
 * link-local below). */
static const struct prefix metadata_v4[] = {
    {{100, 100, 100, 200}, 32, BB_ADDR_FORBIDDEN}, /* Alibaba Cloud (inside CGNAT space) */
    {{168, 63, 129, 16}, 32, BB_ADDR_FORBIDDEN},   /* Azure's platform endpoint (public space) */
};
static const struct prefix metadata_v6[] = {
    {{0xfd, 0x00, 0x0e, 0xc2, [15] = 0x54, [14] = 0x02},
     128,
     BB_ADDR_FORBIDDEN}, /* AWS fd00:ec2::254 */
    {{0xfd, 0x20, 0x00, 0xce, [15] = 0x54, [14] = 0x02},
     128,
     BB_ADDR_FORBIDDEN}, /* GCP fd20:ce::254 */
};

/* IPv4: the special-purpose registry. What is not globally reachable and
 * not a network of one's own is forbidden; networks of one's own are
 * private; the few special blocks that are globally reachable (AS112,
 * AMT) stay public. */
static const struct prefix v4[] = {
    {{0}, 8, BB_ADDR_FORBIDDEN},             /* "this network" */
    {{10}, 8, BB_ADDR_PRIVATE},              /* RFC 1918 */
    {{100, 64}, 10, BB_ADDR_PRIVATE},        /* shared address space (CGNAT) */
    {{127}, 8, BB_ADDR_FORBIDDEN},           /* loopback */
    {{169, 254}, 16, BB_ADDR_FORBIDDEN},     /* link-local: the metadata address */
    {{172, 16}, 12, BB_ADDR_PRIVATE},        /* RFC 1918 */
    {{192, 0, 0}, 24, BB_ADDR_FORBIDDEN},    /* IETF protocol assignments (OCI: 192.0.0.192) */
    {{192, 0, 2}, 24, BB_ADDR_FORBIDDEN},    /* TEST-NET-1 */
    {{192, 88, 99}, 24, BB_ADDR_FORBIDDEN},  /* 6to4 relay anycast (deprecated) */
    {{192, 168}, 16, BB_ADDR_PRIVATE},       /* RFC 1918 */
    {{198, 18}, 15, BB_ADDR_PRIVATE},        /* benchmarking: lab networks */
    {{198, 51, 100}, 24, BB_ADDR_FORBIDDEN}, /* TEST-NET-2 */
    {{203, 0, 113}, 24, BB_ADDR_FORBIDDEN},  /* TEST-NET-3 */
    {{224}, 4, BB_ADDR_FORBIDDEN},           /* multicast */
    {{240}, 4, BB_ADDR_FORBIDDEN},           /* reserved, and the broadcast address */
};

/* IPv6: the special-purpose registry, for what embeds no IPv4 address. */
static const struct prefix v6[] = {
    {{0}, 128, BB_ADDR_FORBIDDEN},                                 /* :: unspecified */
    {{[15] = 1}, 128, BB_ADDR_FORBIDDEN},                          /* ::1 loopback */
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, BB_ADDR_FORBIDDEN}, /* local-use NAT64, below */
    {{0x01, 0x00}, 64, BB_ADDR_FORBIDDEN},                         /* 100::/64 discard-only */
    {{0x20, 0x01, 0x00, 0x02, 0x00, 0x00}, 48, BB_ADDR_PRIVATE},   /* 2001:2::/48 benchmarking */
    {{0x20, 0x01, 0x00, 0x10}, 28, BB_ADDR_FORBIDDEN},             /* ORCHID (deprecated) */
    {{0x20, 0x01, 0x0d, 0xb8}, 32, BB_ADDR_FORBIDDEN},             /* documentation */
    {{0x3f, 0xff}, 20, BB_ADDR_FORBIDDEN},                         /* documentation (RFC 9637) */
    {{0x5f, 0x00}, 16, BB_ADDR_FORBIDDEN},                         /* SRv6 SIDs */
    {{0xfc}, 7, BB_ADDR_PRIVATE},                                  /* unique local */
    {{0xfe, 0x80}, 10, BB_ADDR_FORBIDDEN},                         /* link-local */
    {{0xfe, 0xc0}, 10, BB_ADDR_PRIVATE},                           /* site-local (deprecated) */
    {{0xff}, 8, BB_ADDR_FORBIDDEN},                                /* multicast */
};

static bool match(const uint8_t *addr, const struct prefix *p)
{
    size_t full = p->len / 8, rest = p->len % 8;
    if (memcmp(addr, p->bytes, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (addr[full] & mask) == (p->bytes[full] & mask);
}

/* The class of the first prefix that matches, or def. */
static enum bb_addr_class lookup(const uint8_t *addr, const struct prefix *t, size_t n,
                                 enum bb_addr_class def)
{
    for (size_t i = 0; i < n; i++)
        if (match(addr, &t[i]))
            return t[i].cls;
    return def;
}

static enum bb_addr_class classify_v4(const uint8_t *a)
{
    enum bb_addr_class c = lookup(a, metadata_v4, N(metadata_v4), BB_ADDR_PUBLIC);
    return c != BB_ADDR_PUBLIC ? c : lookup(a, v4, N(v4), BB_ADDR_PUBLIC);
}

static enum bb_addr_class worse(enum bb_addr_class a, enum bb_addr_class b)
{
    return a > b ? a : b; /* PUBLIC < PRIVATE < FORBIDDEN */
}

/*
 * The IPv4 address an IPv6 form stands for, into out (false: none). The
 * forms: v4-mapped ::ffff:0:0/96, SIIT's v4-translated ::ffff:0:0:0/96,
 * v4-compatible ::/96 (not :: and ::1, which are their own rows), NAT64's
 * well-known 64:ff9b::/96, 6to4 2002::/16. Teredo (2001::/32) carries two:
 * the server's, and the client's inverted; both are judged (worse wins),
 * the second through *extra. The local-use NAT64 prefix 64:ff9b:1::/48
 * (RFC 8215) embeds its address where the operator's prefix length puts
 * it, which cannot be known here: it is a forbidden row of the table.
 */
static bool embedded_v4(const uint8_t *a, uint8_t out[4], bool *extra, uint8_t out2[4])
{
    static const uint8_t zeros[12] = {0};
    static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
    static const uint8_t translated[12] = {[8] = 0xff, [9] = 0xff};
    static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    *extra = false;
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, translated, 12) == 0 || memcmp(a, nat64, 12) == 0 ||
        (memcmp(a, zeros, 12) == 0 && (a[12] | a[13] | a[14]) != 0)) {
        memcpy(out, a + 12, 4);
        return true;
    }
    if (a[0] == 0x20 && a[1] == 0x02) { /* 6to4: 2002:AABB:CCDD::/48 */
        memcpy(out, a + 2, 4);
        return true;
    }
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0) { /* Teredo */
        memcpy(out, a + 4, 4);
        for (int i = 0; i < 4; i++)
            out2[i] = (uint8_t)~a[12 + i];
        *extra = true;
        return true;
    }
    return false;
}

enum bb_addr_class bb_addr_classify(int family, const uint8_t *addr)
{
    if (family == AF_INET)
        return classify_v4(addr);
    enum bb_addr_class c = lookup(addr, metadata_v6, N(metadata_v6), BB_ADDR_PUBLIC);
    if (c != BB_ADDR_PUBLIC)
        return c;
    uint8_t in[4], in2[4];
    bool two;
    if (embedded_v4(addr, in, &two, in2))
        return two ? worse(classify_v4(in), classify_v4(in2)) : classify_v4(in);
    return lookup(addr, v6, N(v6), BB_ADDR_PUBLIC);
}

bool bb_addr_dialable(int family, const uint8_t *addr, bool allow_private)
{
    enum bb_addr_class c = bb_addr_classify(family, addr);
    return c == BB_ADDR_PUBLIC || (c == BB_ADDR_PRIVATE && allow_private);
}

const char *bb_addr_class_name(enum bb_addr_class c)
{
    return c == BB_ADDR_PUBLIC ? "public" : c == BB_ADDR_PRIVATE ? "private" : "forbidden";
}
