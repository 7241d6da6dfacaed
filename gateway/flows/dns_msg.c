/*
 * DNS query parsing and error answers (see dns_msg.h). RFC 1035 §4.1.
 */
#include "gateway/flows/dns_msg.h"

#include <stdio.h>
#include <string.h>

#define FLAG_QR   0x8000u
#define OPCODE(f) (((f) >> 11) & 0xfu)
#define FLAG_RD   0x0100u
#define FLAG_RA   0x0080u
#define FLAG_CD   0x0010u
#define TYPE_OPT  41
#define OPT_DO    0x8000u /* in the OPT record's TTL field, low 16 bits */
#define LABEL_MAX 63
#define PTR_MASK  0xc0u

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static bool host_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* The question name at p[*off..len), into q->name. Returns 0 or -1. */
static int parse_name(const uint8_t *p, size_t len, size_t *off, struct bb_dns_query *q)
{
    size_t o = *off, n = 0;
    q->hostname = true;
    for (;;) {
        if (o >= len)
            return -1;
        uint8_t l = p[o++];
        if (l == 0)
            break;
        if ((l & PTR_MASK) != 0 || l > LABEL_MAX) /* no compression in a question */
            return -1;
        if (len - o < l || n + (n ? 1u : 0u) + l > BB_DNS_NAME_MAX)
            return -1;
        if (n > 0)
            q->name[n++] = '.';
        for (size_t i = 0; i < l; i++) {
            uint8_t c = p[o + i];
            q->hostname = q->hostname && host_char(c);
            /* Other bytes are kept (for the audit line, which escapes them),
             * but the name is then never allowed. */
            q->name[n++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        }
        o += l;
    }
    q->name[n] = '\0';
    q->name_len = n;
    *off = o;
    return 0;
}

/* The one additional record a query may carry, EDNS's OPT (RFC 6891
 * §6.1.2): root owner, type 41; its size (clamped) and DO bit are kept,
 * its options are not. Advances *off past it. Returns 0 or -1. */
static int parse_opt(const uint8_t *p, size_t len, size_t *off, struct bb_dns_query *q)
{
    size_t o = *off;
    if (len - o < 11 || p[o] != 0 || be16(p + o + 1) != TYPE_OPT)
        return -1;
    uint16_t size = be16(p + o + 3), rdlen = be16(p + o + 9);
    if (len - o - 11 < rdlen)
        return -1;
    q->edns = true;
    q->edns_size = size < 512 ? 512 : size > BB_DNS_EDNS_SIZE ? BB_DNS_EDNS_SIZE : size;
    q->edns_do = (be16(p + o + 7) & OPT_DO) != 0;
    *off = o + 11 + rdlen;
    return 0;
}

int bb_dns_parse_query(const uint8_t *p, size_t len, struct bb_dns_query *q)
{
    memset(q, 0, sizeof(*q));
    if (len < BB_DNS_HEADER)
        return -1;
    uint16_t flags = be16(p + 2);
    if (flags & FLAG_QR)
        return -1; /* a response sent to us: never answer it */
    q->id = be16(p);
    if (len > BB_DNS_QUERY_MAX)
        return BB_DNS_REFUSED;
    if (OPCODE(flags) != 0)
        return BB_DNS_NOTIMP;
    uint16_t qd = be16(p + 4), an = be16(p + 6), ns = be16(p + 8), ar = be16(p + 10);
    if (qd != 1)
        return qd == 0 ? BB_DNS_FORMERR : BB_DNS_REFUSED;
    if (an != 0 || ns != 0 || ar > 1)
        return BB_DNS_FORMERR;
    size_t off = BB_DNS_HEADER;
    if (parse_name(p, len, &off, q) != 0 || len - off < 4)
        return BB_DNS_FORMERR;
    q->qtype = be16(p + off);
    q->qclass = be16(p + off + 2);
    q->question_end = off + 4;
    q->rd = (flags & FLAG_RD) != 0;
    q->cd = (flags & FLAG_CD) != 0;
    size_t end = q->question_end;
    if (ar == 1 && parse_opt(p, len, &end, q) != 0)
        return BB_DNS_FORMERR;                           /* an additional record that is no OPT */
    return end == len ? BB_DNS_NOERROR : BB_DNS_FORMERR; /* nothing may follow */
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

size_t bb_dns_build_query(const uint8_t *msg, const struct bb_dns_query *q, uint8_t *out,
                          size_t cap)
{
    size_t qlen = q->question_end - BB_DNS_HEADER; /* labels, root, type, class */
    if (cap < BB_DNS_HEADER + qlen + (q->edns ? 11 : 0))
        return 0;
    memset(out, 0, BB_DNS_HEADER);
    put16(out, q->id);
    put16(out + 2, (uint16_t)((q->rd ? FLAG_RD : 0) | (q->cd ? FLAG_CD : 0)));
    put16(out + 4, 1);
    put16(out + 10, q->edns ? 1 : 0);
    /* The question as parsed (plain labels, checked by parse_name), its
     * letters in lower case; the wire form, since a label of a name that
     * is not a host name may hold a dot (such names are forwarded only
     * with enforce_names off). */
    size_t o = BB_DNS_HEADER;
    for (uint8_t l; (l = msg[o]) != 0; o += 1 + l) {
        out[o] = l;
        for (size_t i = 1; i <= l; i++)
            out[o + i] =
                (uint8_t)(msg[o + i] >= 'A' && msg[o + i] <= 'Z' ? msg[o + i] + 32 : msg[o + i]);
    }
    out[o++] = 0;
    put16(out + o, q->qtype);
    put16(out + o + 2, q->qclass);
    o += 4;
    if (q->edns) { /* root, OPT, size, ext-rcode 0, version 0, flags, no rdata */
        out[o++] = 0;
        put16(out + o, TYPE_OPT);
        put16(out + o + 2, q->edns_size);
        put16(out + o + 4, 0);
        put16(out + o + 6, q->edns_do ? OPT_DO : 0);
        put16(out + o + 8, 0);
        o += 10;
    }
    return o;
}

size_t bb_dns_longest_label(const char *name, size_t len)
{
    size_t longest = 0, run = 0;
    for (size_t i = 0; i < len; i++) {
        run = name[i] == '.' ? 0 : run + 1;
        longest = run > longest ? run : longest;
    }
    return longest;
}

size_t bb_dns_answer_error(const uint8_t *p, size_t len, const struct bb_dns_query *q, int rcode,
                           uint8_t *out, size_t cap)
{
    size_t qlen = q != NULL ? q->question_end - BB_DNS_HEADER : 0;
    if (len < BB_DNS_HEADER || cap < BB_DNS_HEADER + qlen || (q && q->question_end > len))
        return 0;
    uint16_t in = be16(p + 2);
    uint16_t flags =
        (uint16_t)(FLAG_QR | (in & 0x7800u) | (in & FLAG_RD) | FLAG_RA | ((unsigned)rcode & 0xfu));
    memcpy(out, p, 2); /* id */
    out[2] = (uint8_t)(flags >> 8);
    out[3] = (uint8_t)flags;
    memset(out + 4, 0, 8);
    if (q != NULL) {
        out[5] = 1; /* QDCOUNT 1: the question, echoed */
        memcpy(out + BB_DNS_HEADER, p + BB_DNS_HEADER, qlen);
    }
    return BB_DNS_HEADER + qlen;
}

const char *bb_dns_type_name(uint16_t qtype, char *buf, size_t cap)
{
    static const struct {
        uint16_t t;
        const char *name;
    } names[] = {{1, "A"},     {2, "NS"},      {5, "CNAME"}, {6, "SOA"},    {12, "PTR"},
                 {15, "MX"},   {16, "TXT"},    {28, "AAAA"}, {33, "SRV"},   {35, "NAPTR"},
                 {64, "SVCB"}, {65, "HTTPS"},  {255, "ANY"}, {252, "AXFR"}, {251, "IXFR"},
                 {43, "DS"},   {48, "DNSKEY"}, {99, "SPF"},  {257, "CAA"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].t == qtype)
            return names[i].name;
    snprintf(buf, cap, "TYPE%u", qtype);
    return buf;
}
