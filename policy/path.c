/*
 * Path normalisation (rules in path.h). Two passes over the path part:
 * decode_escapes() produces a canonical escaped form and refuses ambiguous
 * escapes, remove_dots() then resolves "." and ".." segment by segment in
 * place.
 */
#include "policy/path.h"

#include <stdint.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '~' || c == '.';
}

/* RFC 3986 pchar minus '%' (escapes are handled separately), plus '/'. */
static bool is_path_char(unsigned char c)
{
    if (is_unreserved(c))
        return true;
    return strchr("!$&'()*+,;=:@/", c) != NULL && c != '\0';
}

static const char *decode_escapes(const char *in, size_t len, char *out, size_t *outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '\\')
            return "backslash in path";
        if (c != '%') {
            if (!is_path_char(c))
                return "invalid character in path";
            out[o++] = (char)c;
            continue;
        }
        if (len - i < 3)
            return "malformed percent-escape";
        int hi = hexval(in[i + 1]), lo = hexval(in[i + 2]);
        if (hi < 0 || lo < 0)
            return "malformed percent-escape";
        unsigned char v = (unsigned char)(hi * 16 + lo);
        if (v == '.' || v == '/' || v == '\\' || v == '\0')
            return "ambiguous percent-escape in path";
        i += 2;
        if (is_unreserved(v)) {
            out[o++] = (char)v;
        } else {
            out[o++] = '%';
            out[o++] = hex[v >> 4];
            out[o++] = hex[v & 15];
        }
    }
    *outlen = o;
    return NULL;
}

/* The query is passed on untouched, but only if it is well-formed: RFC 3986
 * query characters and complete percent-escapes. */
static const char *check_query(const char *q, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)q[i];
        if (c == '%') {
            if (len - i < 3 || hexval(q[i + 1]) < 0 || hexval(q[i + 2]) < 0)
                return "malformed percent-escape";
            i += 2;
        } else if (c != '?' && !is_path_char(c)) {
            return "invalid character in query";
        }
    }
    return NULL;
}

/* "..;x" or ".;": a dot segment with path parameters. Tomcat, Jetty and
 * Spring drop the parameters and then resolve the dots ("/v1/..;/admin" is
 * "/admin" there); most others keep "..;" as a name: servers disagree. */
static bool dot_with_params(const char *seg, size_t n)
{
    const char *semi = memchr(seg, ';', n);
    size_t before = semi != NULL ? (size_t)(semi - seg) : 0;
    return semi != NULL && (before == 1 || before == 2) && memcmp(seg, "..", before) == 0;
}

/* Resolves dot segments of an absolute path in place. */
static const char *remove_dots(char *p, size_t len, size_t *outlen)
{
    size_t o = 0; /* output length; output always starts with '/' */
    size_t i = 1; /* input position after the leading '/' */
    p[o++] = '/';
    while (i <= len) {
        const char *slash = memchr(p + i, '/', len - i);
        size_t end = slash != NULL ? (size_t)(slash - p) : len;
        size_t n = end - i;
        bool last = slash == NULL;
        if (n == 0 && !last)
            return "empty path segment";
        if (dot_with_params(p + i, n))
            return "dot segment with parameters";
        if (n == 1 && p[i] == '.') {
            /* "." : nothing to write */
        } else if (n == 2 && p[i] == '.' && p[i + 1] == '.') {
            if (o == 1)
                return "path escapes the root";
            o--; /* drop the trailing '/' of the output */
            while (o > 0 && p[o - 1] != '/')
                o--;
        } else {
            memmove(p + o, p + i, n);
            o += n;
            if (!last)
                p[o++] = '/';
        }
        i = end + 1;
    }
    *outlen = o;
    return NULL;
}

const char *bb_path_normalize(const char *in, size_t len, char *out, size_t cap, size_t *outlen,
                              size_t *pathlen)
{
    if (len == 0 || in[0] != '/')
        return "path must start with '/'";
    if (len > BB_PATH_MAX)
        return "path too long";
    if (cap < len + 1)
        return "output buffer too small";
    const char *q = memchr(in, '?', len);
    size_t plen = q != NULL ? (size_t)(q - in) : len;
    if (memchr(in, '#', len) != NULL)
        return "fragment in request target";
    size_t dlen;
    const char *why = decode_escapes(in, plen, out, &dlen);
    if (why != NULL)
        return why;
    why = remove_dots(out, dlen, &dlen);
    if (why != NULL)
        return why;
    size_t qlen = len - plen;
    if ((why = check_query(in + plen, qlen)) != NULL)
        return why;
    memcpy(out + dlen, in + plen, qlen);
    out[dlen + qlen] = '\0';
    *pathlen = dlen;
    *outlen = dlen + qlen;
    return NULL;
}

bool bb_path_has_prefix(const char *path, size_t pathlen, const char *prefix, size_t prefixlen)
{
    if (prefixlen == 0 || pathlen < prefixlen || memcmp(path, prefix, prefixlen) != 0)
        return false;
    if (pathlen == prefixlen || prefix[prefixlen - 1] == '/')
        return true;
    return path[prefixlen] == '/';
}
