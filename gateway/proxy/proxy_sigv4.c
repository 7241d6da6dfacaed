/*
 * AWS SigV4 re-signing in the pipeline (docs/security.md, "AWS SigV4").
 *
 * The workload's SDK signs with the placeholder access key id and a
 * stand-in secret; botbox checks the key id (nothing else of that
 * signature can be checked, and nothing needs to be: it is thrown
 * away), then signs the request as it goes upstream with the real keys
 * and its own clock. The head botbox wrote (bb_http_write_request) is
 * rewritten: the client's Authorization, X-Amz-Date and
 * X-Amz-Security-Token go, new ones come; for a presigned URL the same
 * happens in the query. The payload's hash is the client's
 * x-amz-content-sha256 when it sent one (UNSIGNED-PAYLOAD, or the hash,
 * which holds as long as nothing in the body is substituted), else the
 * body is held (at most BB_SIGV4_HOLD_MAX) and hashed. aws-chunked
 * bodies signed chunk by chunk are refused (sigv4_streaming).
 */
#include "gateway/proxy/proxy_int.h"

#include "common/macros.h"
#include "gateway/cred/creds.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SCOPE_MAX   (2 * BB_SIGV4_SCOPE_PART_MAX + 300) /* AKID/date/region/service/aws4_request */
#define LINES_MAX   BB_HTTP_MAX_HEADERS
#define STREAMING   "STREAMING-"
#define UNSIGNED_TR "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

static bool is_s3(const char *svc)
{
    return strcmp(svc, "s3") == 0 || strncmp(svc, "s3-", 3) == 0;
}

static void misuse(struct bb_proxy *p, const char *why)
{
    bb_proxy_fail(p, 403, why, "credential_misuse");
}

/* ---- the query ---- */

/* The raw (encoded) value of query parameter name, or NULL. */
static const char *query_param(const char *q, size_t n, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < n;) {
        const char *amp = memchr(q + i, '&', n - i);
        size_t end = amp ? (size_t)(amp - q) : n;
        if (end - i > nl && q[i + nl] == '=' && strncasecmp(q + i, name, nl) == 0) {
            *vlen = end - i - nl - 1;
            return q + i + nl + 1;
        }
        i = end + 1;
    }
    return NULL;
}

static void split_target(const char *t, size_t n, size_t *path_len, const char **q, size_t *qn)
{
    const char *qm = memchr(t, '?', n);
    *path_len = qm ? (size_t)(qm - t) : n;
    *q = qm ? qm + 1 : NULL;
    *qn = qm ? n - *path_len - 1 : 0;
}

static bool parse_amz_date(const char *s, size_t n, time_t *t)
{
    struct tm tm = {0};
    char b[17];
    if (n != 16)
        return false;
    memcpy(b, s, 16);
    b[16] = '\0';
    const char *end = strptime(b, "%Y%m%dT%H%M%SZ", &tm);
    if (end == NULL || *end != '\0')
        return false;
    *t = timegm(&tm);
    return true;
}

/* ---- start: what the client signed with ---- */

static bool same(const char *a, size_t an, const char *b, size_t bn)
{
    return a != NULL && b != NULL && an == bn && memcmp(a, b, an) == 0;
}

/* A presigned URL: its credential names the placeholder and it has not
 * expired (as AWS would judge it now). */
static bool presigned(struct bb_proxy *p, const struct bb_cred_aws *k, const char *q, size_t qn,
                      struct bb_sigv4_auth *a, char *scope)
{
    size_t cl, dl, el;
    const char *c = query_param(q, qn, "X-Amz-Credential", &cl);
    const char *d = query_param(q, qn, "X-Amz-Date", &dl);
    const char *e = query_param(q, qn, "X-Amz-Expires", &el);
    size_t sl = c != NULL ? bb_sigv4_decode(c, cl, scope, SCOPE_MAX) : SIZE_MAX;
    if (sl == SIZE_MAX || bb_sigv4_parse_credential(scope, sl, a) != 0 ||
        !same(a->akid, a->akid_len, k->ph, k->ph_len)) {
        misuse(p, "AWS request not signed with the placeholder access key id");
        return false;
    }
    time_t at;
    char *endp = NULL, num[16] = {0};
    if (e != NULL && el < sizeof(num))
        memcpy(num, e, el);
    long exp = e != NULL && el > 0 ? strtol(num, &endp, 10) : -1;
    if (d == NULL || !parse_amz_date(d, dl, &at) || endp == NULL || *endp != '\0' || exp < 1 ||
        exp > BB_SIGV4_EXPIRES_MAX) {
        bb_proxy_fail(p, 403, "presigned URL without a valid X-Amz-Date and X-Amz-Expires",
                      "presigned_invalid");
        return false;
    }
    if (time(NULL) > at + exp) {
        bb_proxy_fail(p, 403, "presigned URL expired", "presigned_expired");
        return false;
    }
    p->r->presigned = true;
    return true;
}

/* Region and service: the config's, else the host's, else the client's
 * scope. */
static void choose_scope(struct bb_proxy_req *r, const struct bb_credential *cr,
                         const struct bb_sigv4_auth *a)
{
    char reg[BB_SIGV4_SCOPE_PART_MAX + 1], svc[BB_SIGV4_SCOPE_PART_MAX + 1];
    bool host = bb_sigv4_from_host(r->host.name, reg, svc);
    const char *rs = cr->region[0] ? cr->region : host ? reg : NULL;
    const char *ss = cr->service[0] ? cr->service : host ? svc : NULL;
    if (rs != NULL)
        memcpy(r->aws_region, rs, strlen(rs) + 1);
    else {
        memcpy(r->aws_region, a->region, a->region_len);
        r->aws_region[a->region_len] = '\0';
    }
    if (ss != NULL)
        memcpy(r->aws_service, ss, strlen(ss) + 1);
    else {
        memcpy(r->aws_service, a->service, a->service_len);
        r->aws_service[a->service_len] = '\0';
    }
}

/* The payload's hash: the client's, else the body held to compute it. */
/* The body may go up other than it came: a placeholder in it is replaced
 * (a set that only refuses stops a body, it never changes one). */
static bool body_changes(const struct bb_proxy_req *r)
{
    const struct bb_subst_set *set = r->req_subst ? r->reqsub.set : NULL;
    for (size_t i = 0; set != NULL && i < set->n; i++)
        if (!set->pats[i].refuse)
            return true;
    return false;
}

static bool payload(struct bb_proxy *p)
{
    struct bb_proxy_req *r = p->r;
    const struct bb_hdr *sha = bb_http_find(&r->req, "x-amz-content-sha256", NULL);
    if (sha != NULL) {
        bool unsigned_tr = same(sha->value, sha->value_len, UNSIGNED_TR, sizeof(UNSIGNED_TR) - 1);
        if (sha->value_len >= 10 && memcmp(sha->value, STREAMING, 10) == 0 && !unsigned_tr) {
            bb_proxy_fail(p, 400,
                          "aws-chunked uploads signed chunk by chunk are not re-signed by botbox: "
                          "sign the payload as UNSIGNED-PAYLOAD or with its hash",
                          "sigv4_streaming");
            return false;
        }
        r->aws_sha_header = true;
        bool literal = unsigned_tr || same(sha->value, sha->value_len, BB_SIGV4_UNSIGNED, 16) ||
                       !body_changes(r);
        if (literal && sha->value_len <= 64) {
            r->aws_payload = sha;
            return true;
        }
    }
    r->aws_sha_header |= is_s3(r->aws_service) && !r->presigned;
    if (r->presigned && is_s3(r->aws_service))
        return true; /* UNSIGNED-PAYLOAD */
    if (r->req.framing == BB_BODY_NONE || bb_http_body_empty(&r->req) ||
        r->up_framing == BB_INJ_LENGTH)
        return true; /* the empty hash, or the held body's */
    if (r->req.framing == BB_BODY_LENGTH && !body_changes(r) &&
        r->req.content_length <= BB_SIGV4_HOLD_MAX && !bb_proxy_expects_continue(&r->req)) {
        r->up_framing = BB_INJ_LENGTH;
        bb_buf_init(&r->held, BB_SIGV4_HOLD_MAX);
        return true;
    }
    bb_proxy_fail(p, 413,
                  "request body cannot be hashed for AWS SigV4: send x-amz-content-sha256 "
                  "(at most 1 MiB is hashed here, with a Content-Length)",
                  "sigv4_unhashed_body");
    return false;
}

bool bb_proxy_sigv4_start(struct bb_proxy *p)
{
    struct bb_proxy_req *r = p->r;
    int idx = r->plan->aws;
    struct bb_cred_aws k;
    bool have = bb_creds_aws(p->snap->creds, idx, &k) == 0;
    r->cred_tags |= 1ull << idx;
    struct bb_sigv4_auth a;
    char scope[SCOPE_MAX];
    const struct bb_hdr *auth = bb_http_find(&r->req, "authorization", NULL);
    size_t pl, qn, vl;
    const char *q;
    split_target(r->req.target, r->req.target_len, &pl, &q, &qn);
    bool v2 = (auth != NULL && auth->value_len > 4 && memcmp(auth->value, "AWS ", 4) == 0) ||
              (auth == NULL && q != NULL && query_param(q, qn, "AWSAccessKeyId", &vl) != NULL);
    if (v2) { /* its key id is only a key id: nothing botbox could re-sign safely */
        bb_proxy_fail(p, 403,
                      "AWS Signature Version 2 is not re-signed by botbox: sign with SigV4 "
                      "(for boto3 presigned URLs: signature_version s3v4)",
                      "sigv2_refused");
        return false;
    }
    if (auth != NULL) {
        if (bb_sigv4_parse_auth(auth->value, auth->value_len, &a) != 0 ||
            !same(a.akid, a.akid_len, k.ph, k.ph_len)) {
            misuse(p, "AWS request not signed with the placeholder access key id");
            return false;
        }
    } else if (q == NULL || query_param(q, qn, "X-Amz-Credential", &vl) == NULL) {
        misuse(p, "AWS request without a signature: sign it with the placeholder access key id");
        return false;
    } else if (!presigned(p, &k, q, qn, &a, scope)) {
        return false;
    }
    if (!have) {
        bb_proxy_fail(p, 500, "internal error: secret not available", "secret_not_available");
        return false;
    }
    choose_scope(r, k.cred, &a);
    if (!payload(p))
        return false;
    r->aws = true;
    return true;
}

/* ---- signing the head botbox wrote ---- */

struct line {
    const char *raw, *name, *value;
    size_t raw_len, name_len, value_len;
};

struct head {
    const char *method, *target, *version;
    size_t method_len, target_len, version_len;
    struct line l[LINES_MAX];
    size_t n;
};

/* botbox's own head: "M T V\r\n", "Name: value\r\n"..., "\r\n". */
static bool parse_own(const char *b, size_t n, struct head *h)
{
    const char *end = memmem(b, n, "\r\n", 2);
    const char *sp1 = end ? memchr(b, ' ', (size_t)(end - b)) : NULL;
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : NULL;
    if (sp2 == NULL)
        return false;
    *h = (struct head){.method = b,
                       .method_len = (size_t)(sp1 - b),
                       .target = sp1 + 1,
                       .target_len = (size_t)(sp2 - sp1 - 1),
                       .version = sp2 + 1,
                       .version_len = (size_t)(end - sp2 - 1)};
    for (const char *s = end + 2; s < b + n;) {
        const char *e = memmem(s, (size_t)(b + n - s), "\r\n", 2);
        if (e == NULL)
            return false;
        if (e == s)
            return true;
        const char *colon = memchr(s, ':', (size_t)(e - s));
        if (colon == NULL || h->n == LINES_MAX)
            return false;
        const char *v = colon + 1;
        while (v < e && *v == ' ')
            v++;
        h->l[h->n++] =
            (struct line){s, s, v, (size_t)(e + 2 - s), (size_t)(colon - s), (size_t)(e - v)};
        s = e + 2;
    }
    return false;
}

static bool named(const struct line *l, const char *name)
{
    return l->name_len == strlen(name) && strncasecmp(l->name, name, l->name_len) == 0;
}

/* The client's own signature headers, gone in what goes up. */
static bool dropped(const struct line *l, bool presign)
{
    return named(l, "authorization") || named(l, "x-amz-date") ||
           named(l, "x-amz-security-token") || (!presign && named(l, "x-amz-content-sha256"));
}

/* name is in the ';'-separated list. */
static bool listed(const char *list, size_t n, const char *name, size_t nl)
{
    for (size_t i = 0; i < n;) {
        const char *semi = memchr(list + i, ';', n - i);
        size_t end = semi ? (size_t)(semi - list) : n;
        if (end - i == nl && strncasecmp(list + i, name, nl) == 0)
            return true;
        i = end + 1;
    }
    return false;
}

/* What the client signed, besides what botbox always signs. */
static void client_list(const struct bb_proxy_req *r, const char **list, size_t *n, char *buf,
                        size_t cap)
{
    *list = NULL;
    *n = 0;
    const struct bb_hdr *auth = bb_http_find(&r->req, "authorization", NULL);
    struct bb_sigv4_auth a;
    if (auth != NULL && bb_sigv4_parse_auth(auth->value, auth->value_len, &a) == 0) {
        *list = a.signed_headers;
        *n = a.signed_len;
        return;
    }
    size_t pl, qn, vl;
    const char *q, *v;
    split_target(r->req.target, r->req.target_len, &pl, &q, &qn);
    if (q != NULL && (v = query_param(q, qn, "X-Amz-SignedHeaders", &vl)) != NULL) {
        size_t k = bb_sigv4_decode(v, vl, buf, cap);
        if (k != SIZE_MAX) {
            *list = buf;
            *n = k;
        }
    }
}

static bool to_sign(const struct line *l, bool presign, const char *list, size_t n)
{
    if (named(l, "host") || listed(list, n, l->name, l->name_len))
        return true;
    return !presign && (named(l, "content-type") || named(l, "content-md5") ||
                        (l->name_len > 6 && strncasecmp(l->name, "x-amz-", 6) == 0));
}

struct signing {
    struct bb_cred_aws k;
    char amz[17], scope[SCOPE_MAX], payload[80], sig[65];
    struct bb_sigv4_hdr h[BB_SIGV4_HEADERS_MAX + 1];
    size_t nh;
};

static void add_hdr(struct signing *s, const char *name, size_t nl, const char *v, size_t vl)
{
    if (s->nh < BB_ARRAY_LEN(s->h)) /* more fail in bb_sigv4_canonical: never silently fewer */
        s->h[s->nh++] = (struct bb_sigv4_hdr){name, v, nl, vl};
}

static void payload_hash(struct bb_proxy *p, struct signing *s)
{
    struct bb_proxy_req *r = p->r;
    if (r->aws_payload != NULL) {
        memcpy(s->payload, r->aws_payload->value, r->aws_payload->value_len);
        s->payload[r->aws_payload->value_len] = '\0';
    } else if (r->presigned && is_s3(r->aws_service)) {
        memcpy(s->payload, BB_SIGV4_UNSIGNED, sizeof(BB_SIGV4_UNSIGNED));
    } else if (bb_proxy_cred_holds(p)) {
        bb_sigv4_sha256_hex(bb_buf_head(&r->held), bb_buf_size(&r->held), s->payload);
    } else {
        memcpy(s->payload, BB_SIGV4_EMPTY_SHA256, sizeof(BB_SIGV4_EMPTY_SHA256));
    }
}

/* A presigned URL's query as it goes up, its signature not yet on it:
 * the client's parameters but its credential, date, token, signed
 * headers and signature, then botbox's. */
static int presigned_query(struct bb_buf *out, const char *q, size_t qn, const struct signing *s,
                           const char *names, size_t names_len)
{
    static const char *const ours[] = {"X-Amz-Credential", "X-Amz-Date", "X-Amz-Security-Token",
                                       "X-Amz-SignedHeaders", "X-Amz-Signature"};
    int rc = 0;
    for (size_t i = 0; i < qn;) {
        const char *amp = memchr(q + i, '&', qn - i);
        size_t end = amp ? (size_t)(amp - q) : qn;
        bool keep = end > i;
        for (size_t k = 0; keep && k < BB_ARRAY_LEN(ours); k++) {
            size_t nl = strlen(ours[k]);
            keep = !(end - i >= nl && strncasecmp(q + i, ours[k], nl) == 0 &&
                     (end - i == nl || q[i + nl] == '='));
        }
        if (keep)
            rc |= bb_buf_append(out, q + i, end - i) | bb_buf_append(out, "&", 1);
        i = end + 1;
    }
    rc |= bb_buf_append(out, "X-Amz-Credential=", 17) |
          bb_sigv4_encode(out, s->scope, strlen(s->scope)) |
          bb_buf_printf(out, "&X-Amz-Date=%s&X-Amz-SignedHeaders=", s->amz) |
          bb_sigv4_encode(out, names, names_len);
    if (s->k.token != NULL)
        rc |= bb_buf_append(out, "&X-Amz-Security-Token=", 22) |
              bb_sigv4_encode(out, s->k.token, s->k.token_len);
    return rc;
}

/* The signature over the request whose head is h, with target path and
 * query (query NULL: none). */
static bool sign(struct bb_proxy *p, struct signing *s, const struct head *h, const char *path,
                 size_t path_len, const char *query, size_t qlen, struct bb_buf *names)
{
    struct bb_sigv4_req req = {.method = h->method,
                               .method_len = h->method_len,
                               .path = path,
                               .path_len = path_len,
                               .query = query,
                               .query_len = qlen,
                               .hdrs = s->h,
                               .nhdrs = s->nh,
                               .payload_hash = s->payload,
                               .s3 = is_s3(p->r->aws_service)};
    struct bb_buf creq;
    bb_buf_init(&creq, BB_HTTP_HEAD_MAX + 4096);
    bb_buf_reset(names);
    bool ok =
        bb_sigv4_canonical(&creq, names, &req) == 0 &&
        bb_sigv4_signature(s->k.key, s->k.key_len, s->amz, p->r->aws_region, p->r->aws_service,
                           bb_buf_head(&creq), bb_buf_size(&creq), s->sig) == 0;
    bb_buf_free(&creq);
    return ok;
}

static int write_line(struct bb_buf *out, const char *name, const char *v, size_t n)
{
    return bb_buf_append(out, name, strlen(name)) | bb_buf_append(out, ": ", 2) |
           bb_buf_append(out, v, n) | bb_buf_append(out, "\r\n", 2);
}

/* The new head: the request line with target, the kept lines, then
 * botbox's signature headers. */
static int write_head(struct bb_buf *out, const struct head *h, const char *target, size_t tl,
                      const struct signing *s, const struct bb_proxy_req *r,
                      const struct bb_buf *names)
{
    bool presign = r->presigned;
    int rc = bb_buf_append(out, h->method, h->method_len) | bb_buf_append(out, " ", 1) |
             bb_buf_append(out, target, tl) | bb_buf_append(out, " ", 1) |
             bb_buf_append(out, h->version, h->version_len) | bb_buf_append(out, "\r\n", 2);
    for (size_t i = 0; i < h->n; i++)
        if (!dropped(&h->l[i], presign))
            rc |= bb_buf_append(out, h->l[i].raw, h->l[i].raw_len);
    if (!presign) {
        rc |= write_line(out, "X-Amz-Date", s->amz, 16);
        if (s->k.token != NULL)
            rc |= write_line(out, "X-Amz-Security-Token", s->k.token, s->k.token_len);
        if (r->aws_sha_header)
            rc |= write_line(out, "X-Amz-Content-Sha256", s->payload, strlen(s->payload));
        rc |= bb_buf_printf(out,
                            "Authorization: %s Credential=%s, SignedHeaders=", BB_SIGV4_ALGORITHM,
                            s->scope) |
              bb_buf_append(out, bb_buf_head(names), bb_buf_size(names)) |
              bb_buf_printf(out, ", Signature=%s\r\n", s->sig);
    }
    return rc | bb_buf_append(out, "\r\n", 2);
}

static bool sign_head(struct bb_proxy *p, struct signing *s, const struct head *h,
                      struct bb_buf *out)
{
    struct bb_proxy_req *r = p->r;
    bool presign = r->presigned;
    char lbuf[1024];
    const char *list;
    size_t list_len;
    client_list(r, &list, &list_len, lbuf, sizeof(lbuf));
    for (size_t i = 0; i < h->n; i++)
        if (!dropped(&h->l[i], presign) && to_sign(&h->l[i], presign, list, list_len))
            add_hdr(s, h->l[i].name, h->l[i].name_len, h->l[i].value, h->l[i].value_len);
    if (!presign) {
        add_hdr(s, "x-amz-date", 10, s->amz, 16);
        if (s->k.token != NULL)
            add_hdr(s, "x-amz-security-token", 20, s->k.token, s->k.token_len);
        if (r->aws_sha_header)
            add_hdr(s, "x-amz-content-sha256", 20, s->payload, strlen(s->payload));
    }
    size_t pl, qn;
    const char *q;
    split_target(h->target, h->target_len, &pl, &q, &qn);
    struct bb_buf names, query, target;
    bb_buf_init(&names, 4096);
    bb_buf_init(&query, BB_HTTP_HEAD_MAX);
    bb_buf_init(&target, BB_HTTP_HEAD_MAX);
    bool ok = true;
    if (presign) { /* the signed names first: the query carries them */
        ok = sign(p, s, h, h->target, pl, NULL, 0, &names) &&
             presigned_query(&query, q, qn, s, bb_buf_head(&names), bb_buf_size(&names)) == 0;
        q = bb_buf_head(&query);
        qn = bb_buf_size(&query);
    }
    ok = ok && sign(p, s, h, h->target, pl, q, qn, &names) &&
         bb_buf_append(&target, h->target, pl) == 0;
    if (ok && q != NULL)
        ok = (bb_buf_append(&target, "?", 1) | bb_buf_append(&target, q, qn)) == 0;
    if (ok && presign)
        ok = bb_buf_printf(&target, "&X-Amz-Signature=%s", s->sig) == 0;
    ok = ok && write_head(out, h, bb_buf_head(&target), bb_buf_size(&target), s, r, &names) == 0;
    bb_buf_free(&names);
    bb_buf_free(&query);
    bb_buf_free(&target);
    return ok;
}

bool bb_proxy_sigv4_sign(struct bb_proxy *p)
{
    struct bb_proxy_req *r = p->r;
    struct signing *s = calloc(1, sizeof(*s));
    struct head *h = malloc(sizeof(*h));
    struct bb_buf out;
    bb_buf_init(&out, BB_HTTP_HEAD_MAX + 8192);
    bool ok = s != NULL && h != NULL && bb_creds_aws(p->snap->creds, r->plan->aws, &s->k) == 0;
    if (ok) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(s->amz, sizeof(s->amz), "%Y%m%dT%H%M%SZ", &tm);
        struct bb_buf sc;
        bb_buf_wrap(&sc, s->scope, sizeof(s->scope) - 1);
        ok = bb_buf_append(&sc, s->k.akid, s->k.akid_len) == 0 &&
             bb_buf_printf(&sc, "/%.8s/%s/%s/aws4_request", s->amz, r->aws_region,
                           r->aws_service) == 0;
        s->scope[ok ? bb_buf_size(&sc) : 0] = '\0';
        payload_hash(p, s);
    }
    ok = ok && parse_own(bb_buf_head(&p->up_head), bb_buf_size(&p->up_head), h) &&
         sign_head(p, s, h, &out);
    if (ok) {
        bb_buf_reset(&p->up_head);
        ok = bb_buf_append(&p->up_head, bb_buf_head(&out), bb_buf_size(&out)) == 0;
    }
    bb_buf_free(&out);
    if (s != NULL)
        OPENSSL_cleanse(s, sizeof(*s));
    free(s);
    free(h);
    if (!ok)
        bb_proxy_fail(p, 500, "internal error: the request could not be signed", "sigv4_failed");
    return ok;
}

/* ---- the answer ---- */

void bb_proxy_sigv4_answer(struct bb_proxy *p, const char *data, size_t n)
{
    struct bb_proxy_req *r = p->r;
    static const char skew[] = "RequestTimeTooSkewed";
    if (!r->aws || r->resp.status != 403 || r->aws_upstream_err != NULL)
        return;
    const struct bb_hdr *t = data == NULL ? bb_http_find(&r->resp, "x-amzn-errortype", NULL) : NULL;
    if ((t != NULL && memmem(t->value, t->value_len, skew, sizeof(skew) - 1)) ||
        (data != NULL && memmem(data, n, skew, sizeof(skew) - 1)))
        r->aws_upstream_err = "RequestTimeTooSkewed";
}
