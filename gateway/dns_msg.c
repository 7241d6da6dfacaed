/*
 * DNS query parsing and error answers (see dns_msg.h). RFC 1035 §4.1.
 */
#include "gateway/dns_msg.h"

#include <stdio.h>
#include <string.h>

#define FLAG_QR   0x8000u
#define OPCODE(f) (((f) >> 11) & 0xfu)
#define FLAG_RD   0x0100u
#define FLAG_RA   0x0080u
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
    return BB_DNS_NOERROR;
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
