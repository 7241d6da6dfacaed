/*
 * AWS Signature Version 4 (see sigv4.h).
 */
#include "gateway/cred/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SECRET_MAX 256 /* a secret access key is 40 bytes; longer ones are refused */

static const char hexdig[] = "0123456789ABCDEF";

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The byte at s[*i], a valid %XX decoded; *i moves past it. */
static unsigned char next_decoded(const char *s, size_t n, size_t *i, bool *escaped)
{
    *escaped = false;
    if (s[*i] == '%' && *i + 2 < n) {
        int hi = hexval(s[*i + 1]), lo = hexval(s[*i + 2]);
        if (hi >= 0 && lo >= 0) {
            *i += 3;
            *escaped = true;
            return (unsigned char)(hi << 4 | lo);
        }
    }
    return (unsigned char)s[(*i)++]; /* a lone '%' stands for itself (%25) */
}

/* s decoded, then every byte but the unreserved ones (and '/' when
 * slash, unless it came as %2F: it then stays one) as %XX; twice: the
 * %XX themselves encoded again (%25XX). */
static int encode(struct bb_buf *out, const char *s, size_t n, bool slash, bool twice)
{
    for (size_t i = 0; i < n;) {
        bool escaped;
        unsigned char c = next_decoded(s, n, &i, &escaped);
        char e[5] = {'%', '2', '5', 0, 0};
        int rc;
        if (unreserved(c) || (slash && c == '/' && !escaped)) {
            rc = bb_buf_append(out, &c, 1);
        } else if (twice) {
            e[3] = hexdig[c >> 4];
            e[4] = hexdig[c & 15];
            rc = bb_buf_append(out, e, 5);
        } else {
            e[1] = hexdig[c >> 4];
            e[2] = hexdig[c & 15];
            rc = bb_buf_append(out, e, 3);
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

size_t bb_sigv4_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        bool escaped;
        if (k == cap)
            return SIZE_MAX;
        out[k++] = (char)next_decoded(s, n, &i, &escaped);
    }
    return k;
}

int bb_sigv4_encode(struct bb_buf *out, const char *s, size_t n)
{
    return encode(out, s, n, false, false);
}

/* ---- the canonical URI ---- */

/* How many dots segment s is, when it is nothing but dots once decoded
 * (RFC 3986 §6.2.2.2: %2E is '.', so "%2E." is ".." and goes as one), else 0. */
static size_t dots(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        bool escaped;
        if (next_decoded(s, n, &i, &escaped) != '.')
            return 0;
        k++;
    }
    return k;
}

/* Dot and empty segments out, then each segment encoded twice. */
static int normalized_uri(struct bb_buf *out, const char *p, size_t n)
{
    size_t starts[BB_SIGV4_SEGMENTS_MAX], lens[BB_SIGV4_SEGMENTS_MAX], k = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j] != '/')
            j++;
        size_t len = j - i, d = dots(p + i, len);
        if (d == 2) {
            if (k > 0)
                k--;
        } else if (len > 0 && d != 1) {
            if (k == BB_SIGV4_SEGMENTS_MAX)
                return -1;
            starts[k] = i;
            lens[k++] = len;
        }
        i = j + 1;
    }
    bool trailing = n > 0 && p[n - 1] == '/';
    if (bb_buf_append(out, "/", 1) != 0)
        return -1;
    for (size_t s = 0; s < k; s++)
        if ((s > 0 && bb_buf_append(out, "/", 1) != 0) ||
            encode(out, p + starts[s], lens[s], false, true) != 0)
            return -1;
    return k > 0 && trailing ? bb_buf_append(out, "/", 1) : 0;
}

int bb_sigv4_canon_uri(struct bb_buf *out, const char *path, size_t n, bool s3)
{
    if (n == 0)
        return bb_buf_append(out, "/", 1);
    return s3 ? encode(out, path, n, true, false) : normalized_uri(out, path, n);
}

/* ---- the canonical query ---- */

struct param {
    size_t off, name_len, len; /* in the scratch buffer: name '=' value */
};

static int param_cmp(const void *a, const void *b, void *arg)
{
    const struct param *x = a, *y = b;
    const char *base = arg;
    size_t m = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(base + x->off, base + y->off, m);
    if (c != 0 || x->name_len != y->name_len)
        return c != 0 ? c : (x->name_len < y->name_len ? -1 : 1);
    size_t xv = x->len - x->name_len, yv = y->len - y->name_len;
    m = xv < yv ? xv : yv;
    c = memcmp(base + x->off + x->name_len, base + y->off + y->name_len, m);
    return c != 0 ? c : (xv < yv ? -1 : xv > yv);
}

static bool is_signature(const char *s, size_t n)
{
    return n == 15 && strncasecmp(s, "X-Amz-Signature", 15) == 0;
}

int bb_sigv4_canon_query(struct bb_buf *out, const char *q, size_t n)
{
    struct param ps[BB_SIGV4_QUERY_MAX];
    size_t k = 0;
    struct bb_buf tmp;
    bb_buf_init(&tmp, 3 * n + 2);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        size_t j = i, eq = SIZE_MAX;
        for (; j < n && q[j] != '&'; j++)
            if (q[j] == '=' && eq == SIZE_MAX)
                eq = j;
        size_t name_end = eq != SIZE_MAX ? eq : j;
        if (j > i && !is_signature(q + i, name_end - i)) {
            if (k == BB_SIGV4_QUERY_MAX) {
                rc = -1;
                break;
            }
            size_t off = bb_buf_size(&tmp);
            rc = encode(&tmp, q + i, name_end - i, false, false);
            size_t name_len = bb_buf_size(&tmp) - off;
            if (rc == 0 && eq != SIZE_MAX)
                rc = encode(&tmp, q + eq + 1, j - eq - 1, false, false);
            ps[k++] = (struct param){off, name_len, bb_buf_size(&tmp) - off};
        }
        i = j + 1;
    }
    if (rc == 0 && k > 0) {
        char *base = (char *)bb_buf_head(&tmp);
        qsort_r(ps, k, sizeof(ps[0]), param_cmp, base);
        for (size_t i = 0; i < k && rc == 0; i++)
            rc = (i > 0 ? bb_buf_append(out, "&", 1) : 0) |
                 bb_buf_append(out, base + ps[i].off, ps[i].name_len) | bb_buf_append(out, "=", 1) |
                 bb_buf_append(out, base + ps[i].off + ps[i].name_len, ps[i].len - ps[i].name_len);
    }
    bb_buf_free(&tmp);
    return rc != 0 ? -1 : 0;
}

/* ---- headers ---- */

static int lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}

static int hdr_cmp(const void *a, const void *b, void *arg)
{
    const struct bb_sigv4_hdr *h = arg, *x = &h[*(const size_t *)a], *y = &h[*(const size_t *)b];
    size_t m = x->name_len < y->name_len ? x->name_len : y->name_len;
    for (size_t i = 0; i < m; i++) {
        int d = lower((unsigned char)x->name[i]) - lower((unsigned char)y->name[i]);
        if (d != 0)
            return d;
    }
    if (x->name_len != y->name_len)
        return x->name_len < y->name_len ? -1 : 1;
    return x < y ? -1 : x > y; /* values of one name keep their order */
}

static int append_lower(struct bb_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = (char)lower((unsigned char)s[i]);
        if (bb_buf_append(out, &c, 1) != 0)
            return -1;
    }
    return 0;
}

static bool space(char c)
{
    return c == ' ' || c == '\t';
}

/* Trimmed, runs of spaces as one. */
static int append_value(struct bb_buf *out, const char *v, size_t n)
{
    size_t i = 0;
    while (n > 0 && space(v[n - 1]))
        n--;
    while (i < n && space(v[i]))
        i++;
    for (; i < n; i++) {
        if (space(v[i]) && space(v[i - 1]))
            continue;
        if (bb_buf_append(out, space(v[i]) ? " " : &v[i], 1) != 0)
            return -1;
    }
    return 0;
}

static bool same_name(const struct bb_sigv4_hdr *a, const struct bb_sigv4_hdr *b)
{
    return a->name_len == b->name_len && strncasecmp(a->name, b->name, a->name_len) == 0;
}

static int canon_headers(struct bb_buf *out, struct bb_buf *names, const struct bb_sigv4_hdr *hs,
                         size_t n)
{
    size_t idx[BB_SIGV4_HEADERS_MAX];
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    /* indexes sorted, ties by position: values of one name keep their order */
    qsort_r(idx, n, sizeof(idx[0]), hdr_cmp, (void *)hs);
    for (size_t i = 0; i < n; i++) {
        const struct bb_sigv4_hdr *h = &hs[idx[i]], *prev = i > 0 ? &hs[idx[i - 1]] : NULL;
        bool first = prev == NULL || !same_name(prev, h);
        int rc = first ? append_lower(out, h->name, h->name_len) | bb_buf_append(out, ":", 1)
                       : bb_buf_append(out, ",", 1);
        rc |= append_value(out, h->value, h->value_len);
        if (i + 1 == n || !same_name(h, &hs[idx[i + 1]]))
            rc |= bb_buf_append(out, "\n", 1);
        if (first)
            rc |= (i > 0 ? bb_buf_append(names, ";", 1) : 0) |
                  append_lower(names, h->name, h->name_len);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int bb_sigv4_canonical(struct bb_buf *out, struct bb_buf *signed_names, struct bb_sigv4_req *r)
{
    if (r->nhdrs > BB_SIGV4_HEADERS_MAX)
        return -1;
    int rc = bb_buf_append(out, r->method, r->method_len) | bb_buf_append(out, "\n", 1);
    rc |= bb_sigv4_canon_uri(out, r->path, r->path_len, r->s3) | bb_buf_append(out, "\n", 1);
    if (r->query != NULL)
        rc |= bb_sigv4_canon_query(out, r->query, r->query_len);
    rc |= bb_buf_append(out, "\n", 1);
    rc |= canon_headers(out, signed_names, r->hdrs, r->nhdrs) | bb_buf_append(out, "\n", 1);
    if (bb_buf_size(signed_names) > 0) /* (an empty buffer has no memory to point into) */
        rc |= bb_buf_append(out, bb_buf_head(signed_names), bb_buf_size(signed_names));
    rc |= bb_buf_append(out, "\n", 1);
    rc |= bb_buf_append(out, r->payload_hash, strlen(r->payload_hash));
    return rc != 0 ? -1 : 0;
}

/* ---- the signature ---- */

static void to_hex(const unsigned char *d, size_t n, char *hex)
{
    static const char lo[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = lo[d[i] >> 4];
        hex[2 * i + 1] = lo[d[i] & 15];
    }
    hex[2 * n] = '\0';
}

void bb_sigv4_sha256_hex(const void *p, size_t n, char hex[65])
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(p, n, d);
    to_hex(d, sizeof(d), hex);
}

static bool hmac(const void *key, size_t klen, const void *msg, size_t n, unsigned char out[32])
{
    unsigned int len = 32;
    return HMAC(EVP_sha256(), key, (int)klen, msg, n, out, &len) != NULL && len == 32;
}

int bb_sigv4_signature(const char *secret, size_t secret_len, const char *amz_date,
                       const char *region, const char *service, const char *creq, size_t creq_len,
                       char sig[65])
{
    if (secret_len > SECRET_MAX || strlen(amz_date) != 16)
        return -1;
    unsigned char key[4 + SECRET_MAX], k[32], k2[32];
    memcpy(key, "AWS4", 4);
    memcpy(key + 4, secret, secret_len);
    char hash[65];
    bb_sigv4_sha256_hex(creq, creq_len, hash);
    char sts[256];
    struct bb_buf b;
    bb_buf_wrap(&b, sts, sizeof(sts));
    int rc = bb_buf_printf(&b, "%s\n%s\n%.8s/%s/%s/aws4_request\n%s", BB_SIGV4_ALGORITHM, amz_date,
                           amz_date, region, service, hash);
    bool ok = rc == 0 && hmac(key, 4 + secret_len, amz_date, 8, k) &&
              hmac(k, 32, region, strlen(region), k2) &&
              hmac(k2, 32, service, strlen(service), k) && hmac(k, 32, "aws4_request", 12, k2) &&
              hmac(k2, 32, bb_buf_head(&b), bb_buf_size(&b), k);
    if (ok)
        to_hex(k, 32, sig);
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(k2, sizeof(k2));
    return ok ? 0 : -1;
}

/* ---- what the client signed with ---- */

static bool scope_part(const char *s, size_t n)
{
    if (n == 0 || n > BB_SIGV4_SCOPE_PART_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!unreserved((unsigned char)s[i]))
            return false;
    return true;
}

int bb_sigv4_parse_credential(const char *v, size_t n, struct bb_sigv4_auth *a)
{
    const char *part[5];
    size_t len[5], k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && v[i] != '/')
            continue;
        if (k == 5)
            return -1;
        part[k] = v + start;
        len[k++] = i - start;
        start = i + 1;
    }
    if (k != 5 || len[0] == 0 || len[0] > BB_SIGV4_SCOPE_PART_MAX * 2 || len[1] != 8 ||
        !scope_part(part[2], len[2]) || !scope_part(part[3], len[3]) ||
        !(len[4] == 12 && memcmp(part[4], "aws4_request", 12) == 0))
        return -1;
    for (size_t i = 0; i < 8; i++)
        if (part[1][i] < '0' || part[1][i] > '9')
            return -1;
    a->akid = part[0];
    a->akid_len = len[0];
    a->date = part[1];
    a->region = part[2];
    a->region_len = len[2];
    a->service = part[3];
    a->service_len = len[3];
    return 0;
}

int bb_sigv4_parse_auth(const char *v, size_t n, struct bb_sigv4_auth *a)
{
    static const char algo[] = BB_SIGV4_ALGORITHM " ";
    size_t i = sizeof(algo) - 1;
    bool cred = false, sig = false;
    memset(a, 0, sizeof(*a));
    if (n < i || memcmp(v, algo, i) != 0)
        return -1;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == ','))
            i++;
        size_t j = i;
        while (j < n && v[j] != ',')
            j++;
        const char *eq = memchr(v + i, '=', j - i);
        if (eq != NULL) {
            size_t klen = (size_t)(eq - (v + i)), vlen = (size_t)(v + j - eq - 1);
            if (klen == 10 && memcmp(v + i, "Credential", 10) == 0)
                cred = bb_sigv4_parse_credential(eq + 1, vlen, a) == 0;
            else if (klen == 13 && memcmp(v + i, "SignedHeaders", 13) == 0) {
                a->signed_headers = eq + 1;
                a->signed_len = vlen;
            } else if (klen == 9 && memcmp(v + i, "Signature", 9) == 0)
                sig = vlen > 0;
        }
        i = j;
    }
    return cred && sig && a->signed_headers != NULL ? 0 : -1;
}

/* ---- region and service from a host ---- */

static bool copy_part(char dst[BB_SIGV4_SCOPE_PART_MAX + 1], const char *s, size_t n)
{
    if (!scope_part(s, n))
        return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

/* Endpoint prefixes whose signing name is another. */
static const char *signing_name(const char *s, size_t n)
{
    static const char *const map[][2] = {
        {"bedrock-runtime", "bedrock"},
        {"bedrock-agent-runtime", "bedrock"},
        {"bedrock-agent", "bedrock"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strlen(map[i][0]) == n && memcmp(map[i][0], s, n) == 0)
            return map[i][1];
    return NULL;
}

static bool s3_host(const char *const *lab, const size_t *len, size_t k,
                    char region[BB_SIGV4_SCOPE_PART_MAX + 1],
                    char service[BB_SIGV4_SCOPE_PART_MAX + 1])
{
    for (size_t i = 0; i < k; i++) {
        bool dash = len[i] > 3 && memcmp(lab[i], "s3-", 3) == 0;
        if (!(len[i] == 2 && memcmp(lab[i], "s3", 2) == 0) && !dash)
            continue;
        memcpy(service, "s3", 3);
        if (dash && !(len[i] == 13 && memcmp(lab[i], "s3-external-1", 13) == 0))
            return copy_part(region, lab[i] + 3, len[i] - 3);
        size_t r = i + 1;
        if (r < k && len[r] == 9 && memcmp(lab[r], "dualstack", 9) == 0)
            r++;
        if (r < k)
            return copy_part(region, lab[r], len[r]);
        memcpy(region, "us-east-1", 10);
        return true;
    }
    return false;
}

bool bb_sigv4_from_host(const char *host, char region[BB_SIGV4_SCOPE_PART_MAX + 1],
                        char service[BB_SIGV4_SCOPE_PART_MAX + 1])
{
    static const char *const suffixes[] = {".amazonaws.com", ".amazonaws.com.cn"};
    size_t n = strlen(host), base = 0;
    for (size_t s = 0; s < 2 && base == 0; s++) {
        size_t m = strlen(suffixes[s]);
        if (n > m && strcasecmp(host + n - m, suffixes[s]) == 0)
            base = n - m;
    }
    if (base == 0)
        return false;
    const char *lab[8];
    size_t len[8], k = 0;
    for (size_t i = 0, start = 0; i <= base; i++) {
        if (i < base && host[i] != '.')
            continue;
        if (k == 8)
            return false;
        lab[k] = host + start;
        len[k++] = i - start;
        start = i + 1;
    }
    if (s3_host(lab, len, k, region, service))
        return true;
    const char *svc = lab[k >= 2 ? k - 2 : 0];
    size_t svc_len = len[k >= 2 ? k - 2 : 0];
    const char *mapped = signing_name(svc, svc_len);
    if (!(mapped != NULL ? copy_part(service, mapped, strlen(mapped))
                         : copy_part(service, svc, svc_len)))
        return false;
    if (k >= 2)
        return copy_part(region, lab[k - 1], len[k - 1]);
    memcpy(region, "us-east-1", 10); /* a global endpoint: iam, sts */
    return true;
}
