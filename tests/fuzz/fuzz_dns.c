/*
 * libFuzzer target: DNS query parsing and error answers. Invariants: a
 * parsed question lies within the message; a name marked as a host name
 * holds only lower-case letters, digits, '-', '_' and dots between
 * non-empty labels; an error answer is a response (never re-parsed as a
 * query) that keeps the query's id and echoes exactly the question; the
 * query rebuilt for forwarding is no longer than the one it came from and
 * parses back to the same question and EDNS settings.
 */
#include "gateway/flows/dns_msg.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool clean_hostname(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                  (c == '.' && i > 0 && i + 1 < n && s[i + 1] != '.');
        if (!ok)
            return false;
    }
    return strlen(s) == n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);
    memcpy(p, data, size);
    struct bb_dns_query q, again;
    int rc = bb_dns_parse_query(p, size, &q);
    if (rc == BB_DNS_NOERROR) {
        if (q.question_end > size || q.name_len > BB_DNS_NAME_MAX)
            __builtin_trap();
        if (q.hostname && !clean_hostname(q.name, q.name_len))
            __builtin_trap();
        uint8_t fwd[BB_DNS_QUERY_MAX];
        size_t n = bb_dns_build_query(p, &q, fwd, sizeof(fwd));
        if (n == 0 || n > size || bb_dns_parse_query(fwd, n, &again) != BB_DNS_NOERROR)
            __builtin_trap();
        if (again.id != q.id || again.name_len != q.name_len ||
            memcmp(again.name, q.name, q.name_len) != 0 || again.hostname != q.hostname ||
            again.qtype != q.qtype || again.qclass != q.qclass || again.edns != q.edns ||
            again.edns_do != q.edns_do || again.edns_size != q.edns_size || again.rd != q.rd ||
            again.cd != q.cd)
            __builtin_trap();
    }
    if (rc >= 0) {
        uint8_t out[BB_DNS_QUERY_MAX + 64];
        size_t n = bb_dns_answer_error(p, size, rc == BB_DNS_NOERROR ? &q : NULL, BB_DNS_NXDOMAIN,
                                       out, sizeof(out));
        if (n < BB_DNS_HEADER || memcmp(out, p, 2) != 0)
            __builtin_trap();
        if (bb_dns_parse_query(out, n, &again) != -1) /* a response: dropped */
            __builtin_trap();
        if (rc == BB_DNS_NOERROR && (n != q.question_end || memcmp(out + 12, p + 12, n - 12) != 0))
            __builtin_trap();
    }
    free(p);
    return 0;
}
