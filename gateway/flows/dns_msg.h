/*
 * DNS messages, as far as the forwarder needs them: the question of a
 * query, and the short answers it builds itself (NXDOMAIN, FORMERR,
 * REFUSED, SERVFAIL). Answers from the upstream are relayed unchanged and
 * never parsed here.
 *
 * A query is accepted only in its plain form: opcode QUERY, QR clear,
 * exactly one question, no answer or authority records, at most one
 * additional record and that one an EDNS OPT record (root name, type 41),
 * nothing after it, no compression in the question, at most
 * BB_DNS_QUERY_MAX bytes. The name must be a host name (labels of letters,
 * digits, '-' and '_'): a label holding a dot or other bytes would let a
 * name look like another in its text form, so such names are never
 * allowed.
 *
 * What is forwarded is a query rebuilt from the parse (bb_dns_build_query),
 * never the client's bytes: anything a client could hide in a query (a
 * record in the additional section, bytes after the question, EDNS
 * options, the letters' case) would otherwise reach the resolver past the
 * name check, a channel out of the sandbox.
 *
 * Pure: bytes in, struct or bytes out; fuzzed (tests/fuzz/fuzz_dns.c).
 */
#ifndef BB_DNS_MSG_H
#define BB_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BB_DNS_HEADER    12
#define BB_DNS_QUERY_MAX 1232 /* bytes in a query (the EDNS-era safe size); larger: REFUSED */
#define BB_DNS_NAME_MAX  253  /* characters of a name in text form */

enum bb_dns_rcode {
    BB_DNS_NOERROR = 0,
    BB_DNS_FORMERR = 1,
    BB_DNS_SERVFAIL = 2,
    BB_DNS_NXDOMAIN = 3,
    BB_DNS_NOTIMP = 4,
    BB_DNS_REFUSED = 5,
};

struct bb_dns_query {
    uint16_t id;
    char name[BB_DNS_NAME_MAX + 1]; /* lower case, no trailing dot; "" for the root */
    size_t name_len;
    bool hostname; /* every label is a host name label */
    uint16_t qtype, qclass;
    size_t question_end; /* offset just past the question */
    bool rd, cd;         /* recursion desired, checking disabled */
    bool edns, edns_do;  /* an OPT record came, with the DNSSEC OK bit */
    uint16_t edns_size;  /* its UDP payload size, at most BB_DNS_EDNS_SIZE */
};

#define BB_DNS_EDNS_SIZE 1232 /* the UDP size our OPT announces, and the most kept */

/* Parses a query. Returns BB_DNS_NOERROR, or the rcode to answer with
 * (FORMERR, REFUSED, NOTIMP); -1 when the message is too short to answer at
 * all (fewer than BB_DNS_HEADER bytes, or a response): drop it. */
int bb_dns_parse_query(const uint8_t *p, size_t len, struct bb_dns_query *q);

/* The length of the longest label of name[0..len) (text form, labels
 * separated by '.'). */
size_t bb_dns_longest_label(const char *name, size_t len);

/* Writes an answer with `rcode` to the query p[0..len): its id, opcode and
 * RD bit, QR and RA set, and the question echoed when q is given (q from a
 * successful parse). Returns the length, or 0 when cap is too small. */
size_t bb_dns_answer_error(const uint8_t *p, size_t len, const struct bb_dns_query *q, int rcode,
                           uint8_t *out, size_t cap);

/* The query to forward for q, a successful parse of msg: q's id, RD and
 * CD bits, the question's labels as parsed (letters in lower case), type
 * and class, and an OPT record with no options (size and DO bit kept) if
 * the client sent one. Returns the length, or 0 when cap is too small. */
size_t bb_dns_build_query(const uint8_t *msg, const struct bb_dns_query *q, uint8_t *out,
                          size_t cap);

/* "A", "AAAA", "TXT", ... or the number ("TYPE65") in buf. */
const char *bb_dns_type_name(uint16_t qtype, char *buf, size_t cap);

#endif
