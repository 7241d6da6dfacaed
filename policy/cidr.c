/*
 * CIDR parsing and matching over raw address bytes.
 */
#include "policy/cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const char *parse_prefix(const char *s, size_t len, unsigned max, uint8_t *out)
{
    if (len == 0 || len > 3)
        return "invalid prefix length";
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return "invalid prefix length";
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > max || (len > 1 && s[0] == '0'))
        return "invalid prefix length";
    *out = (uint8_t)v;
    return NULL;
}

static bool host_bits_clear(const struct bb_cidr *c)
{
    unsigned bytes = c->family == AF_INET ? 4 : 16;
    for (unsigned i = 0; i < bytes; i++) {
        unsigned first_bit = i * 8;
        uint8_t keep;
        if (first_bit + 8 <= c->prefix)
            keep = 0xff;
        else if (first_bit >= c->prefix)
            keep = 0;
        else
            keep = (uint8_t)(0xff << (8 - (c->prefix - first_bit)));
        if (c->addr[i] & (uint8_t)~keep)
            return false;
    }
    return true;
}

const char *bb_cidr_parse(const char *s, size_t len, struct bb_cidr *out)
{
    char tmp[BB_CIDR_TEXT_MAX];
    memset(out, 0, sizeof(*out));
    if (len == 0)
        return "empty CIDR";
    if (len >= sizeof(tmp))
        return "CIDR too long";
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *slash = strchr(tmp, '/');
    if (slash != NULL)
        *slash = '\0';
    if (inet_pton(AF_INET, tmp, out->addr) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, tmp, out->addr) == 1)
        out->family = AF_INET6;
    else
        return "invalid IP address in CIDR";
    unsigned max = out->family == AF_INET ? 32 : 128;
    out->prefix = (uint8_t)max;
    if (slash != NULL) {
        const char *why = parse_prefix(slash + 1, strlen(slash + 1), max, &out->prefix);
        if (why != NULL)
            return why;
    }
    if (!host_bits_clear(out))
        return "address has bits set beyond the prefix length";
    return NULL;
}

bool bb_cidr_contains(const struct bb_cidr *c, int family, const uint8_t *addr)
{
    if (family != c->family)
        return false;
    unsigned full = c->prefix / 8, rest = c->prefix % 8;
    if (memcmp(c->addr, addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (c->addr[full] & mask) == (addr[full] & mask);
}

int bb_cidr_format(const struct bb_cidr *c, char *buf, size_t cap)
{
    char a[INET6_ADDRSTRLEN];
    if (inet_ntop(c->family, c->addr, a, sizeof(a)) == NULL)
        return -1;
    int n = snprintf(buf, cap, "%s/%u", a, (unsigned)c->prefix);
    return (n < 0 || (size_t)n >= cap) ? -1 : n;
}
