/*
 * ClientHello parsing (see hello.h). RFC 8446 §4.1.2 (ClientHello),
 * RFC 6066 §3 (server_name), RFC 7301 §3.1 (ALPN). Every length is checked
 * against what remains before it is used.
 */
#include "tls/hello.h"

#include <string.h>

#define REC_HEADER     5
#define REC_HANDSHAKE  22
#define HS_CLIENTHELLO 1
#define EXT_SNI        0
#define EXT_ALPN       16
#define SNI_HOSTNAME   0

/* A bounded reader over one buffer. */
struct rd {
    const uint8_t *p;
    size_t len, off;
    bool bad;
};

static unsigned u8(struct rd *r)
{
    if (r->bad || r->len - r->off < 1)
        return r->bad = true, 0;
    return r->p[r->off++];
}

static unsigned u16(struct rd *r)
{
    unsigned hi = u8(r);
    return hi << 8 | u8(r);
}

/* A sub-reader over the next n bytes (skipped in r). */
static struct rd sub(struct rd *r, size_t n)
{
    struct rd s = {.p = r->p + r->off, .len = n, .bad = r->bad || r->len - r->off < n};
    if (s.bad)
        r->bad = true;
    else
        r->off += n;
    return s;
}

bool bb_sni_valid(const char *s, size_t n)
{
    if (n == 0 || n > BB_SNI_MAX)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
            continue;
        }
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok || ++label > 63)
            return false;
    }
    return label > 0; /* no trailing dot, no empty last label */
}

static void take_sni(struct rd *e, struct bb_hello *h)
{
    struct rd list = sub(e, u16(e));
    while (!list.bad && list.off < list.len) {
        unsigned type = u8(&list);
        struct rd name = sub(&list, u16(&list));
        if (list.bad || type != SNI_HOSTNAME || h->has_sni)
            continue;
        h->has_sni = true;
        h->sni_ok = bb_sni_valid((const char *)name.p, name.len);
        if (h->sni_ok) {
            for (size_t i = 0; i < name.len; i++) {
                char c = (char)name.p[i];
                h->sni[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
            }
            h->sni[name.len] = '\0';
            h->sni_len = name.len;
        }
    }
    e->bad = e->bad || list.bad;
}

static void take_alpn(struct rd *e, struct bb_hello *h)
{
    struct rd list = sub(e, u16(e));
    h->has_alpn = true;
    while (!list.bad && list.off < list.len) {
        struct rd proto = sub(&list, u8(&list));
        if (list.bad)
            break;
        if (proto.len == 8 && memcmp(proto.p, "http/1.1", 8) == 0)
            h->alpn_http11 = true;
        if (proto.len == 2 && memcmp(proto.p, "h2", 2) == 0)
            h->alpn_h2 = true;
    }
    e->bad = e->bad || list.bad;
}

/* The ClientHello body (after its 4-byte handshake header). */
static int parse_body(struct rd *b, struct bb_hello *h, const char **why)
{
    sub(b, 2 + 32); /* legacy_version, random */
    sub(b, u8(b));  /* legacy_session_id */
    size_t cs = u16(b);
    if (b->bad || cs < 2 || cs % 2 != 0)
        return *why = "bad cipher suites", BB_HELLO_BAD;
    sub(b, cs);
    sub(b, u8(b)); /* legacy_compression_methods */
    if (b->bad)
        return *why = "truncated ClientHello", BB_HELLO_BAD;
    if (b->off == b->len)
        return BB_HELLO_OK; /* no extensions: no SNI */
    struct rd exts = sub(b, u16(b));
    while (!exts.bad && exts.off < exts.len) {
        unsigned type = u16(&exts);
        struct rd e = sub(&exts, u16(&exts));
        if (exts.bad)
            break;
        if (type == EXT_SNI)
            take_sni(&e, h);
        else if (type == EXT_ALPN)
            take_alpn(&e, h);
        if (e.bad)
            return *why = "malformed extension", BB_HELLO_BAD;
    }
    if (exts.bad || b->bad)
        return *why = "malformed extensions", BB_HELLO_BAD;
    return BB_HELLO_OK;
}

enum bb_hello_result bb_hello_parse(const uint8_t *p, size_t len, struct bb_hello *h,
                                    const char **why)
{
    memset(h, 0, sizeof(*h));
    *why = NULL;
    /* Gather the handshake bytes from consecutive handshake records. */
    uint8_t hs[BB_HELLO_MAX];
    size_t hlen = 0, off = 0, need = 0;
    for (;;) {
        if (len - off < REC_HEADER)
            return BB_HELLO_MORE;
        if (p[off] != REC_HANDSHAKE || p[off + 1] != 3)
            return *why = "not a TLS handshake record", BB_HELLO_BAD;
        size_t rl = (size_t)(p[off + 3] << 8 | p[off + 4]);
        if (rl == 0 || off + REC_HEADER + rl > BB_HELLO_MAX)
            return *why = "ClientHello too large", BB_HELLO_BAD;
        if (len - off - REC_HEADER < rl)
            return BB_HELLO_MORE;
        memcpy(hs + hlen, p + off + REC_HEADER, rl);
        hlen += rl;
        off += REC_HEADER + rl;
        if (hlen >= 4 && need == 0) {
            if (hs[0] != HS_CLIENTHELLO)
                return *why = "not a ClientHello", BB_HELLO_BAD;
            need = 4 + (size_t)(hs[1] << 16 | hs[2] << 8 | hs[3]);
        }
        if (need != 0 && hlen >= need)
            break;
    }
    h->record_bytes = off;
    struct rd b = {.p = hs + 4, .len = need - 4};
    return parse_body(&b, h, why);
}
