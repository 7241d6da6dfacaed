/*
 * libFuzzer target: the SigV4 canonical-request builder (gateway/cred/
 * sigv4.c). The input is "path?query\nheaders" with the first byte
 * choosing S3. Invariants: S3's canonical URI and every canonical query
 * are fixed points (canonical twice is canonical once), hold only
 * unreserved bytes, '/', '&', '=' and upper-case %XX escapes, and a
 * query is sorted; a canonical URI of another service has no empty or
 * dot segment; the whole canonical request builds without a fault, and
 * the client's Authorization and scope parse without one.
 */
#include "gateway/cred/sigv4.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool plain(const char *s, size_t n, const char *extra)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  strchr("-._~", c) != NULL || (c != 0 && strchr(extra, c) != NULL);
        if (c == '%')
            ok = i + 2 < n && strchr("0123456789ABCDEF", s[i + 1]) && s[i + 1] != 0 &&
                 strchr("0123456789ABCDEF", s[i + 2]) && s[i + 2] != 0;
        if (!ok)
            return false;
    }
    return true;
}

static void fixed_point(int (*canon)(struct bb_buf *, const char *, size_t), const char *s,
                        size_t n, const char *extra)
{
    struct bb_buf a, b;
    bb_buf_init(&a, 16 * n + 16);
    bb_buf_init(&b, 16 * n + 16);
    if (canon(&a, s, n) == 0) {
        /* an empty buffer has no memory: its head is not looked at */
        size_t m = bb_buf_size(&a);
        const char *pa = m > 0 ? bb_buf_head(&a) : "";
        if (!plain(pa, m, extra) || canon(&b, pa, m) != 0 || bb_buf_size(&b) != m ||
            (m > 0 && memcmp(pa, bb_buf_head(&b), m) != 0))
            __builtin_trap();
    }
    bb_buf_free(&a);
    bb_buf_free(&b);
}

static int uri_s3(struct bb_buf *out, const char *s, size_t n)
{
    return bb_sigv4_canon_uri(out, s, n, true);
}

static void other_uri(const char *s, size_t n)
{
    struct bb_buf a;
    bb_buf_init(&a, 16 * n + 16);
    if (bb_sigv4_canon_uri(&a, s, n, false) == 0) {
        const char *p = bb_buf_head(&a);
        size_t m = bb_buf_size(&a);
        if (m == 0 || p[0] != '/' || memmem(p, m, "//", 2) || memmem(p, m, "/./", 3) ||
            memmem(p, m, "/../", 4) || (m >= 2 && memcmp(p + m - 2, "/.", 2) == 0) ||
            !plain(p, m, "/"))
            __builtin_trap();
    }
    bb_buf_free(&a);
}

static void whole(const char *path, size_t plen, const char *q, size_t qlen, const char *h,
                  size_t hlen, bool s3)
{
    struct bb_sigv4_hdr hdrs[BB_SIGV4_HEADERS_MAX];
    size_t n = 0;
    for (size_t i = 0; i < hlen && n < BB_SIGV4_HEADERS_MAX;) {
        const char *nl = memchr(h + i, '\n', hlen - i);
        size_t end = nl ? (size_t)(nl - h) : hlen;
        const char *colon = memchr(h + i, ':', end - i);
        if (colon != NULL)
            hdrs[n++] = (struct bb_sigv4_hdr){.name = h + i,
                                              .name_len = (size_t)(colon - (h + i)),
                                              .value = colon + 1,
                                              .value_len = (size_t)(h + end - colon - 1)};
        i = end + 1;
    }
    struct bb_sigv4_req r = {.method = "PUT",
                             .method_len = 3,
                             .path = path,
                             .path_len = plen,
                             .query = q,
                             .query_len = qlen,
                             .hdrs = hdrs,
                             .nhdrs = n,
                             .payload_hash = BB_SIGV4_UNSIGNED,
                             .s3 = s3};
    struct bb_buf creq, names;
    bb_buf_init(&creq, 64 * 1024);
    bb_buf_init(&names, 16 * 1024);
    char sig[65];
    if (bb_sigv4_canonical(&creq, &names, &r) == 0 &&
        bb_sigv4_signature("secret", 6, "20250101T000000Z", "us-east-1", "s3", bb_buf_head(&creq),
                           bb_buf_size(&creq), sig) != 0)
        __builtin_trap();
    bb_buf_free(&creq);
    bb_buf_free(&names);
    struct bb_sigv4_auth a;
    if (bb_sigv4_parse_auth(h, hlen, &a) == 0 && (a.akid_len == 0 || a.signed_headers == NULL))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool s3 = data[0] & 1;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    const char *nl = memchr(s, '\n', n);
    size_t line = nl ? (size_t)(nl - s) : n;
    const char *qm = memchr(s, '?', line);
    size_t plen = qm ? (size_t)(qm - s) : line;
    const char *q = qm ? qm + 1 : NULL;
    size_t qlen = qm ? line - plen - 1 : 0;
    fixed_point(uri_s3, s, plen, "/");
    other_uri(s, plen);
    if (q != NULL)
        fixed_point(bb_sigv4_canon_query, q, qlen, "&=");
    whole(s, plen, q, qlen, nl ? nl + 1 : s + n, nl ? n - line - 1 : 0, s3);
    return 0;
}
