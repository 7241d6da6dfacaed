/*
 * Address classification (see addrclass.h): prefix tables per family, the
 * IPv6 forms that embed an IPv4 address unwrapped first.
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

static const struct prefix v4[] = {
    {{0}, 8, BB_ADDR_FORBIDDEN},         /* 0.0.0.0/8 this network */
    {{127}, 8, BB_ADDR_FORBIDDEN},       /* loopback */
    {{169, 254}, 16, BB_ADDR_FORBIDDEN}, /* link-local, metadata */
    {{224}, 4, BB_ADDR_FORBIDDEN},       /* multicast */
    {{240}, 4, BB_ADDR_FORBIDDEN},       /* reserved + broadcast */
    {{10}, 8, BB_ADDR_PRIVATE},          /* RFC 1918 */
    {{172, 16}, 12, BB_ADDR_PRIVATE},    {{192, 168}, 16, BB_ADDR_PRIVATE},
    {{100, 64}, 10, BB_ADDR_PRIVATE}, /* CGNAT */
};

static const struct prefix v6[] = {
    {{0}, 128, BB_ADDR_FORBIDDEN},                                              /* :: unspecified */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, BB_ADDR_FORBIDDEN}, /* ::1 */
    {{0xfe, 0x80}, 10, BB_ADDR_FORBIDDEN},                                      /* link-local */
    {{0xff}, 8, BB_ADDR_FORBIDDEN},                                             /* multicast */
    {{0xfc}, 7, BB_ADDR_PRIVATE},                                               /* ULA */
    {{0xfe, 0xc0}, 10, BB_ADDR_PRIVATE}, /* site-local (deprecated) */
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

static enum bb_addr_class lookup(const uint8_t *addr, const struct prefix *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (match(addr, &t[i]))
            return t[i].cls;
    return BB_ADDR_PUBLIC;
}

/* The IPv4 address inside an IPv4-embedding IPv6 form, or NULL. */
static const uint8_t *embedded_v4(const uint8_t *a)
{
    static const uint8_t zeros[12] = {0};
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
        return a + 12;
    /* v4-compatible ::a.b.c.d (not :: and ::1, which are their own cases) */
    if (memcmp(a, zeros, 12) == 0 && (a[12] | a[13] | a[14]) != 0)
        return a + 12;
    if (a[0] == 0x20 && a[1] == 0x02) /* 6to4: 2002:AABB:CCDD::/48 */
        return a + 2;
    return NULL;
}

enum bb_addr_class bb_addr_classify(int family, const uint8_t *addr)
{
    if (family == AF_INET)
        return lookup(addr, v4, sizeof(v4) / sizeof(v4[0]));
    const uint8_t *inner = embedded_v4(addr);
    if (inner != NULL)
        return lookup(inner, v4, sizeof(v4) / sizeof(v4[0]));
    return lookup(addr, v6, sizeof(v6) / sizeof(v6[0]));
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
