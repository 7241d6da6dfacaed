/*
 * libFuzzer target: DNS query parsing and error answers. Invariants: a
 * parsed question lies within the message; a name marked as a host name
 * holds only lower-case letters, digits, '-', '_' and dots between
 * non-empty labels; an error answer is a response (never re-parsed as a
 * query) that keeps the query's id and echoes exactly the question.
 */
#include "gateway/dns_msg.h"

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
