/*
 * Host normalisation (see host.h for the rules). Parsing goes in three
 * steps: trim, split the port, then validate the bare host as an IPv6
 * literal, an IPv4 literal or a DNS name.
 */
#include "policy/host.h"

#include "common/buf.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Digits only, 1..65535. Leading zeros are accepted ("0443" is 443), as the
 * original BotBox did. */
static const char *parse_port(const char *s, size_t len, uint16_t *port)
{
    if (len == 0)
        return "empty port";
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i]))
            return "invalid port";
        v = v * 10 + (uint32_t)(s[i] - '0');
        if (v > 65535)
            return "port out of range";
    }
    if (v == 0)
        return "port out of range";
    *port = (uint16_t)v;
    return NULL;
}

static const char *parse_ipv6(const char *s, size_t len, struct bb_host *out)
{
    char tmp[64];
    if (len == 0 || len >= sizeof(tmp))
        return "invalid IPv6 address";
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    /* inet_pton refuses zone ids ("%eth0"): they name a local interface and
     * have no meaning for an egress policy. */
    if (inet_pton(AF_INET6, tmp, out->addr) != 1)
        return "invalid IPv6 address";
    if (inet_ntop(AF_INET6, out->addr, out->name, sizeof(out->name)) == NULL)
        return "invalid IPv6 address";
    out->len = strlen(out->name);
    out->kind = BB_HOST_IPV6;
    return NULL;
}

/* Splits "host:port", "[v6]:port", "[v6]" and bare "v6" (two or more colons,
 * never a port). On return h and hlen hold the bare host. */
static const char *split_port(const char *s, size_t len, unsigned flags, const char **h,
                              size_t *hlen, struct bb_host *out)
{
    const char *colon = memchr(s, ':', len);
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close == NULL)
            return "unterminated '['";
        const char *rest = close + 1;
        size_t restlen = len - (size_t)(rest - s);
        const char *why = parse_ipv6(s + 1, (size_t)(close - s - 1), out);
        if (why != NULL)
            return why;
        *h = NULL; /* already parsed */
        if (restlen == 0)
            return NULL;
        if (rest[0] != ':')
            return "unexpected characters after ']'";
        if (flags & BB_HOST_NO_PORT)
            return "a port is not allowed here";
        return parse_port(rest + 1, restlen - 1, &out->port);
    }
    if (colon != NULL && memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) != NULL) {
        *h = NULL;
        return parse_ipv6(s, len, out); /* bare IPv6: no port */
    }
    *h = s;
    *hlen = len;
    if (colon == NULL)
        return NULL;
    if (flags & BB_HOST_NO_PORT)
        return "a port is not allowed here";
    *hlen = (size_t)(colon - s);
    return parse_port(colon + 1, len - *hlen - 1, &out->port);
}

static const char *check_label(const char *l, size_t n, bool *numeric)
{
    if (n == 0)
        return "empty label";
    if (n > BB_HOST_LABEL_MAX)
        return "label longer than 63 bytes";
    *numeric = true;
    for (size_t i = 0; i < n; i++) {
        char c = l[i];
        if (!is_digit(c))
            *numeric = false;
        if (!(is_digit(c) || (c >= 'a' && c <= 'z') || c == '-'))
            return "invalid character in host";
    }
    return NULL;
}

/* The name in out->name (already lowercased, no trailing dot) is valid as a
 * DNS name or a canonical IPv4 literal. */
static const char *check_name(struct bb_host *out)
{
    const char *p = out->name, *end = out->name + out->len;
    bool numeric = false;
    while (p <= end) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t n = dot != NULL ? (size_t)(dot - p) : (size_t)(end - p);
        const char *why = check_label(p, n, &numeric);
        if (why != NULL)
            return why;
        if (dot == NULL)
            break;
        p = dot + 1;
    }
    if (!numeric)
        return NULL;
    /* Last label numeric: only a canonical dotted quad is a host. */
    char canon[INET_ADDRSTRLEN];
    if (inet_pton(AF_INET, out->name, out->addr) != 1 ||
        inet_ntop(AF_INET, out->addr, canon, sizeof(canon)) == NULL ||
        strcmp(canon, out->name) != 0)
        return "invalid IPv4 address";
    out->kind = BB_HOST_IPV4;
    return NULL;
}

static const char *parse_name(const char *s, size_t len, unsigned flags, struct bb_host *out)
{
    if (len == 0)
        return "empty host";
    if (s[len - 1] == '.')
        len--; /* one trailing dot: the absolute form of the same name */
    if (len == 0)
        return "empty host";
    size_t skip = 0;
    if (len >= 2 && s[0] == '*' && s[1] == '.') {
        if (!(flags & BB_HOST_WILDCARD))
            return "wildcard not allowed here";
        skip = 2;
        out->kind = BB_HOST_WILDCARD;
    }
    /* "*." counts: a subdomain the wildcard could match is longer still. */
    if (len > BB_HOST_MAX)
        return "host longer than 253 bytes";
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        out->name[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out->name[len] = '\0';
    out->len = len;
    /* Validate the part after "*." as a name; a wildcard over an IP literal
     * or a bare "*." makes no sense. */
    struct bb_host tail = {.kind = BB_HOST_NAME, .len = len - skip};
    memcpy(tail.name, out->name + skip, tail.len + 1);
    const char *why = check_name(&tail);
    if (why != NULL)
        return why;
    if (skip == 0) {
        out->kind = tail.kind;
        memcpy(out->addr, tail.addr, sizeof(out->addr));
    } else if (tail.kind != BB_HOST_NAME) {
        return "wildcard over an IP address";
    }
    return NULL;
}

const char *bb_host_parse(const char *in, size_t len, unsigned flags, struct bb_host *out)
{
    memset(out, 0, sizeof(*out));
    out->kind = BB_HOST_NAME;
    if (len > BB_HOST_INPUT_MAX)
        return "host too long";
    while (len > 0 && is_ws(in[0])) {
        in++;
        len--;
    }
    while (len > 0 && is_ws(in[len - 1]))
        len--;
    if (len == 0)
        return "empty host";
    const char *h = NULL;
    size_t hlen = 0;
    const char *why = split_port(in, len, flags, &h, &hlen, out);
    if (why != NULL)
        return why;
    if (h == NULL)
        return NULL; /* an IPv6 literal, already canonical */
    return parse_name(h, hlen, flags, out);
}

int bb_host_format_authority(const struct bb_host *h, uint16_t default_port, char *buf, size_t cap)
{
    /* Without printf: the proxy formats one per request it forwards. */
    bool v6 = h->kind == BB_HOST_IPV6;
    bool port = h->port != 0 && h->port != default_port;
    struct bb_buf b;
    if (cap == 0)
        return -1;
    bb_buf_wrap(&b, buf, cap - 1); /* the last byte is kept for the terminator */
    if ((bb_buf_append(&b, "[", v6) | bb_buf_append(&b, h->name, strlen(h->name)) |
         bb_buf_append(&b, "]", v6) | bb_buf_append(&b, ":", port) |
         (port ? bb_buf_append_u64(&b, h->port) : 0)) != 0) {
        buf[0] = '\0'; /* no half an authority for a caller that looks anyway */
        return -1;
    }
    buf[bb_buf_size(&b)] = '\0';
    return (int)bb_buf_size(&b);
}

bool bb_host_covers(const struct bb_host *pattern, const struct bb_host *h)
{
    if (pattern->kind != BB_HOST_WILDCARD)
        return pattern->kind == h->kind && pattern->len == h->len &&
               memcmp(pattern->name, h->name, h->len) == 0;
    size_t suffix = pattern->len - 1; /* ".suffix", without the '*' */
    return h->kind == BB_HOST_NAME && h->len > suffix &&
           memcmp(h->name + h->len - suffix, pattern->name + 1, suffix) == 0;
}
