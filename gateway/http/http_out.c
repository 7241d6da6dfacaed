/*
 * Building what botbox sends (see http_out.h).
 */
#include "gateway/http/http_out.h"

#include "gateway/http/h2_head.h"

#include "common/hop.h"
#include "gateway/state/secrets.h"
#include "policy/host.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static bool is_hop_by_hop(const struct bb_hdr *x)
{
    return bb_is_hop_by_hop(x->name, x->name_len);
}

/* Is x named in any Connection header of h? */
static bool named_by_connection(const struct bb_http_head *h, const struct bb_hdr *x)
{
    char name[128];
    if (x->name_len >= sizeof(name))
        return false;
    memcpy(name, x->name, x->name_len);
    name[x->name_len] = '\0';
    for (size_t i = 0; i < h->n; i++)
        if (bb_hdr_is(&h->h[i], "connection") &&
            bb_http_has_token(h->h[i].value, h->h[i].value_len, name))
            return true;
    return false;
}

static bool dropped(const struct bb_http_head *h, const struct bb_hdr *x)
{
    return is_hop_by_hop(x) || named_by_connection(h, x) || bb_hdr_is(x, "content-length");
}

static int put_header(struct bb_buf *out, const char *name, size_t nlen, const char *value,
                      size_t vlen)
{
    if (bb_buf_append(out, name, nlen) != 0 || bb_buf_append(out, ": ", 2) != 0 ||
        bb_buf_append(out, value, vlen) != 0 || bb_buf_append(out, "\r\n", 2) != 0)
        return -1;
    return 0;
}

/* Appends p with set's replacements (NULL: as is): 0, -1 (full) or -3
 * (refused: *refused_tag). */
static int put_subst(struct bb_buf *out, const struct bb_subst_set *set, const char *p, size_t n,
                     uint32_t *hits, uint64_t *tags, int *refused_tag)
{
    if (set == NULL || set->n == 0)
        return bb_buf_append(out, p, n);
    int rc = bb_subst_all(set, p, n, out, hits, tags, refused_tag);
    return rc == BB_SUBST_REFUSED ? -3 : rc;
}

/* A header line whose value goes through set. */
static int put_header_subst(struct bb_buf *out, const struct bb_hdr *x,
                            const struct bb_subst_set *set, uint32_t *hits, uint64_t *tags,
                            int *refused_tag)
{
    int rc;
    if (bb_buf_append(out, x->name, x->name_len) != 0 || bb_buf_append(out, ": ", 2) != 0)
        return -1;
    if ((rc = put_subst(out, set, x->value, x->value_len, hits, tags, refused_tag)) != 0)
        return rc;
    return bb_buf_append(out, "\r\n", 2);
}

/* ---- request target ---- */

static int refuse(const char **why, const char *body)
{
    *why = body;
    return 400;
}

static int split_absolute(const char *t, size_t len, struct bb_target *out, const char **why)
{
    size_t skip;
    if (len >= 7 && strncasecmp(t, "http://", 7) == 0)
        skip = 7;
    else if (len >= 8 && strncasecmp(t, "https://", 8) == 0)
        skip = 8;
    else
        return refuse(why, "bad request");
    const char *a = t + skip, *end = t + len;
    const char *slash = a;
    while (slash < end && *slash != '/' && *slash != '?')
        slash++;
    out->authority = a;
    out->authority_len = (size_t)(slash - a);
    if (out->authority_len == 0 || memchr(a, '@', out->authority_len) != NULL)
        return refuse(why, "bad request"); /* userinfo is a host-confusion trick */
    if (slash == end) {
        out->path = "/";
        out->path_len = 1;
    } else if (*slash == '/') {
        out->path = slash;
        out->path_len = (size_t)(end - slash);
    } else {
        return refuse(why, "bad request"); /* "http://a?q": no path */
    }
    out->absolute = true;
    return 0;
}

/* Same host and port? A missing port means the scheme's default here, so
 * "api.test" and "api.test:80" agree for http. */
static bool same_authority(const char *a, size_t alen, const char *b, size_t blen,
                           uint16_t default_port)
{
    struct bb_host ha, hb;
    if (bb_host_parse(a, alen, 0, &ha) != NULL || bb_host_parse(b, blen, 0, &hb) != NULL)
        return false;
    uint16_t pa = ha.port ? ha.port : default_port, pb = hb.port ? hb.port : default_port;
    return pa == pb && strcmp(ha.name, hb.name) == 0;
}

int bb_http_target(const struct bb_http_head *h, struct bb_target *t, const char **why)
{
    memset(t, 0, sizeof(*t));
    if (memchr(h->target, '#', h->target_len) != NULL)
        return refuse(why, "bad request");
    if (h->target_len > 0 && h->target[0] == '/') {
        t->path = h->target;
        t->path_len = h->target_len;
        if (h->host == NULL || h->host->value_len == 0)
            return refuse(why, "missing host");
        t->authority = h->host->value;
        t->authority_len = h->host->value_len;
        return 0;
    }
    int rc = split_absolute(h->target, h->target_len, t, why);
    if (rc != 0)
        return rc;
    uint16_t defport = (h->target[4] == 's' || h->target[4] == 'S') ? 443 : 80;
    if (h->host != NULL && !same_authority(t->authority, t->authority_len, h->host->value,
                                           h->host->value_len, defport))
        return refuse(why, "host mismatch");
    return 0;
}

/* ---- upstream request ---- */

static bool rewritten(const struct bb_inject *inj, const struct bb_hdr *x)
{
    if (inj->rule == NULL)
        return false;
    for (size_t i = 0; i < inj->rule->nrewrites; i++)
        if (bb_hdr_is(x, inj->rule->rewrites[i].name))
            return true;
    return false;
}

/* Every secret the rewrites need is there (checked before writing). */
static bool secrets_present(const struct bb_inject *inj)
{
    size_t len;
    for (size_t i = 0; inj->rule != NULL && i < inj->rule->nrewrites; i++) {
        const char *ref = inj->rule->rewrites[i].secret_ref;
        if (ref != NULL && bb_secrets_get(inj->secrets, ref, &len) == NULL)
            return false;
    }
    return true;
}

/* The rewrite's value with every "{value}" replaced by the secret. */
static int put_rewrite(struct bb_buf *out, const struct bb_rewrite *rw,
                       const struct bb_secrets *secrets)
{
    size_t slen = 0;
    const char *secret = rw->secret_ref ? bb_secrets_get(secrets, rw->secret_ref, &slen) : NULL;
    if (bb_buf_append(out, rw->name, strlen(rw->name)) != 0 || bb_buf_append(out, ": ", 2) != 0)
        return -1;
    for (const char *v = rw->value; *v;) {
        const char *ph = secret ? strstr(v, "{value}") : NULL;
        size_t lit = ph ? (size_t)(ph - v) : strlen(v);
        if (bb_buf_append(out, v, lit) != 0)
            return -1;
        v += lit;
        if (ph != NULL) {
            if (bb_buf_append(out, secret, slen) != 0)
                return -1;
            v += 7;
        }
    }
    return bb_buf_append(out, "\r\n", 2);
}

static int put_content_length(struct bb_buf *out, uint64_t n)
{
    return bb_buf_append(out, "Content-Length: ", 16) | bb_buf_append_u64(out, n) |
           bb_buf_append(out, "\r\n", 2);
}

static int put_framing(struct bb_buf *out, const struct bb_http_head *h,
                       const struct bb_inject *inj)
{
    if (h->framing == BB_BODY_NONE)
        return 0;
    if (inj->framing == BB_INJ_LENGTH)
        return put_content_length(out, inj->length);
    if (h->framing == BB_BODY_LENGTH && inj->framing == BB_INJ_AS_READ)
        return put_content_length(out, h->content_length);
    return bb_buf_append(out, "Transfer-Encoding: chunked\r\n", 28);
}

/* The target with the placeholders of its path and of its query replaced
 * by their sets. */
static int put_target(struct bb_buf *out, const struct bb_target *t, struct bb_inject *inj)
{
    const char *q = memchr(t->path, '?', t->path_len);
    size_t plen = q != NULL ? (size_t)(q - t->path) : t->path_len;
    int rc = put_subst(out, inj->path, t->path, plen, &inj->hits, &inj->tags, &inj->refused_tag);
    if (rc == 0 && q != NULL)
        rc = put_subst(out, inj->query, q, t->path_len - plen, &inj->hits, &inj->tags,
                       &inj->refused_tag);
    return rc;
}

/* The client takes trailers (TE: trailers, gRPC's requirement): botbox
 * relays them, so it says so upstream; TE's other codings are hop-by-hop
 * and end here. */
static bool accepts_trailers(const struct bb_http_head *h)
{
    for (size_t i = 0; i < h->n; i++)
        if (bb_hdr_is(&h->h[i], "te") &&
            bb_http_has_token(h->h[i].value, h->h[i].value_len, "trailers"))
            return true;
    return false;
}

int bb_http_write_request(struct bb_buf *out, const struct bb_http_head *h,
                          const struct bb_target *t, const char *host_header, struct bb_inject *inj,
                          bool websocket, size_t *ninjected)
{
    *ninjected = 0;
    inj->refused_tag = -1;
    if (!secrets_present(inj))
        return -2;
    int rc;
    if (bb_buf_append(out, h->method, h->method_len) != 0 || bb_buf_append(out, " ", 1) != 0)
        return -1;
    if ((rc = put_target(out, t, inj)) != 0)
        return rc;
    if (bb_buf_append(out, " HTTP/1.1\r\n", 11) != 0 ||
        put_header(out, "Host", 4, host_header, strlen(host_header)) != 0)
        return -1;
    for (size_t i = 0; i < h->n; i++) {
        const struct bb_hdr *x = &h->h[i];
        if (dropped(h, x) || bb_hdr_is(x, "host") || rewritten(inj, x) ||
            (inj->identity && bb_hdr_is(x, "accept-encoding")) ||
            (inj->bearer != NULL && bb_hdr_is(x, "authorization")))
            continue;
        if ((rc = put_header_subst(out, x, inj->hdr, &inj->hits, &inj->tags, &inj->refused_tag)) !=
            0)
            return rc;
    }
    if (inj->identity && bb_buf_append(out, "Accept-Encoding: identity\r\n", 27) != 0)
        return -1;
    if (inj->bearer != NULL && (bb_buf_append(out, "Authorization: Bearer ", 22) != 0 ||
                                bb_buf_append(out, inj->bearer, inj->bearer_len) != 0 ||
                                bb_buf_append(out, "\r\n", 2) != 0))
        return -1;
    for (size_t i = 0; inj->rule != NULL && i < inj->rule->nrewrites; i++) {
        const struct bb_rewrite *rw = &inj->rule->rewrites[i];
        if (!(inj->bearer != NULL && strcasecmp(rw->name, "authorization") == 0) &&
            put_rewrite(out, rw, inj->secrets) != 0)
            return -1;
        (*ninjected)++;
    }
    if (websocket && bb_buf_append(out, "Connection: Upgrade\r\nUpgrade: websocket\r\n", 41) != 0)
        return -1;
    if (accepts_trailers(h) && bb_buf_append(out, "TE: trailers\r\n", 14) != 0)
        return -1;
    if (put_framing(out, h, inj) != 0)
        return -1;
    return bb_buf_append(out, "\r\n", 2);
}

/* ---- responses ---- */

enum bb_http_out_framing bb_http_response_framing(const struct bb_http_head *resp,
                                                  uint8_t client_minor)
{
    switch (resp->framing) {
    case BB_BODY_LENGTH:
        return BB_OUT_LENGTH;
    case BB_BODY_CHUNKED:
        return client_minor >= 1 ? BB_OUT_CHUNKED : BB_OUT_EOF;
    case BB_BODY_EOF:
        return client_minor >= 1 ? BB_OUT_CHUNKED : BB_OUT_EOF;
    default:
        return BB_OUT_NONE;
    }
}

int bb_http_write_response(struct bb_buf *out, const struct bb_http_head *resp,
                           enum bb_http_out_framing framing, bool close, bool upgrade)
{
    return bb_http_write_response_redacted(out, resp, framing, close, upgrade, NULL, NULL, NULL);
}

int bb_http_write_response_redacted(struct bb_buf *out, const struct bb_http_head *resp,
                                    enum bb_http_out_framing framing, bool close, bool upgrade,
                                    const struct bb_subst_set *redact, uint32_t *hits,
                                    uint64_t *tags)
{
    char status[14] = "HTTP/1.1 000 ";
    status[9] = (char)('0' + resp->status / 100 % 10);
    status[10] = (char)('0' + resp->status / 10 % 10);
    status[11] = (char)('0' + resp->status % 10);
    if (bb_buf_append(out, status, 13) != 0 ||
        put_subst(out, redact, resp->reason, resp->reason_len, hits, tags, NULL) != 0 ||
        bb_buf_append(out, "\r\n", 2) != 0)
        return -1;
    for (size_t i = 0; i < resp->n; i++) {
        const struct bb_hdr *x = &resp->h[i];
        /* A bodyless answer (HEAD, 304) keeps its informative length. */
        bool keep_length = framing == BB_OUT_NONE && bb_hdr_is(x, "content-length");
        if (dropped(resp, x) && !keep_length)
            continue;
        if (put_header_subst(out, x, keep_length ? NULL : redact, hits, tags, NULL) != 0)
            return -1;
    }
    if (upgrade) {
        const struct bb_hdr *u = bb_http_find(resp, "upgrade", NULL);
        if (bb_buf_append(out, "Connection: Upgrade\r\n", 21) != 0 ||
            (u != NULL && put_header(out, "Upgrade", 7, u->value, u->value_len) != 0))
            return -1;
    } else if (resp->status / 100 != 1) {
        if (framing == BB_OUT_LENGTH && put_content_length(out, resp->content_length) != 0)
            return -1;
        if (framing == BB_OUT_CHUNKED &&
            bb_buf_append(out, "Transfer-Encoding: chunked\r\n", 28) != 0)
            return -1;
        if ((close || framing == BB_OUT_EOF) && bb_buf_append(out, "Connection: close\r\n", 19))
            return -1;
    }
    return bb_buf_append(out, "\r\n", 2);
}

/* x's name in lower case at names[*used], as an HTTP/2 field requires. */
static const uint8_t *lower_name(const struct bb_hdr *x, char *names, size_t cap, size_t *used)
{
    if (cap - *used < x->name_len)
        return NULL;
    char *at = names + *used;
    for (size_t i = 0; i < x->name_len; i++)
        at[i] = (char)tolower((unsigned char)x->name[i]);
    *used += x->name_len;
    return (const uint8_t *)at;
}

/* x as the next HTTP/2 field in out (its name lower-cased into names). */
static int add_field(const struct bb_hdr *x, struct bb_h2_field *out, size_t *n, size_t cap,
                     char *names, size_t names_cap, size_t *used)
{
    const uint8_t *name = lower_name(x, names, names_cap, used);
    if (name == NULL || *n == cap)
        return -1;
    out[(*n)++] = (struct bb_h2_field){name, (const uint8_t *)x->value, x->name_len, x->value_len};
    return 0;
}

int bb_http_h2_response_fields(const struct bb_http_head *resp, bool bodyless, char status[3],
                               struct bb_h2_field *out, size_t cap, char *names, size_t names_cap)
{
    status[0] = (char)('0' + resp->status / 100 % 10);
    status[1] = (char)('0' + resp->status / 10 % 10);
    status[2] = (char)('0' + resp->status % 10);
    if (cap == 0)
        return -1;
    out[0] = (struct bb_h2_field){(const uint8_t *)":status", (const uint8_t *)status, 7, 3};
    size_t n = 1, used = 0;
    for (size_t i = 0; i < resp->n; i++) {
        const struct bb_hdr *x = &resp->h[i];
        bool length =
            bb_hdr_is(x, "content-length") && (bodyless || resp->framing == BB_BODY_LENGTH);
        if (dropped(resp, x) && !length)
            continue;
        if (add_field(x, out, &n, cap, names, names_cap, &used) != 0)
            return -1;
    }
    return (int)n;
}

int bb_http_h2_request_fields(const struct bb_http_head *h, struct bb_h2_field *out, size_t cap,
                              char *names, size_t names_cap)
{
    if (cap < 4 || h->host == NULL)
        return -1;
    out[0] = (struct bb_h2_field){(const uint8_t *)":method", (const uint8_t *)h->method, 7,
                                  h->method_len};
    out[1] = (struct bb_h2_field){(const uint8_t *)":scheme", (const uint8_t *)"https", 7, 5};
    out[2] = (struct bb_h2_field){(const uint8_t *)":authority", (const uint8_t *)h->host->value,
                                  10, h->host->value_len};
    out[3] = (struct bb_h2_field){(const uint8_t *)":path", (const uint8_t *)h->target, 5,
                                  h->target_len};
    size_t n = 4, used = 0;
    for (size_t i = 0; i < h->n; i++) {
        const struct bb_hdr *x = &h->h[i];
        if (bb_hdr_is(x, "te") && bb_http_has_token(x->value, x->value_len, "trailers")) {
            if (n == cap)
                return -1;
            out[n++] =
                (struct bb_h2_field){(const uint8_t *)"te", (const uint8_t *)"trailers", 2, 8};
            continue;
        }
        bool length = bb_hdr_is(x, "content-length");
        if ((dropped(h, x) && !length) || bb_hdr_is(x, "host"))
            continue;
        if (add_field(x, out, &n, cap, names, names_cap, &used) != 0)
            return -1;
    }
    return (int)n;
}

int bb_http_h2_trailer_fields(const struct bb_buf *lines, struct bb_h2_field *out, size_t cap,
                              char *names, size_t names_cap)
{
    const char *t = bb_buf_head(lines), *end = t + bb_buf_size(lines);
    size_t n = 0, used = 0;
    while (t < end) {
        const char *nl = memchr(t, '\n', (size_t)(end - t));
        const char *colon = memchr(t, ':', (size_t)(end - t));
        if (nl == NULL || colon == NULL || colon > nl || nl == t || nl[-1] != '\r' || n == cap)
            return -1;
        struct bb_hdr x = {.name = t, .name_len = (size_t)(colon - t)};
        const char *v = colon + 1;
        while (v < nl - 1 && (*v == ' ' || *v == '\t'))
            v++;
        const uint8_t *name = lower_name(&x, names, names_cap, &used);
        if (name == NULL)
            return -1;
        out[n++] = (struct bb_h2_field){name, (const uint8_t *)v, x.name_len, (size_t)(nl - 1 - v)};
        t = nl + 1;
    }
    return (int)n;
}

const char *bb_http_reason(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 421:
        return "Misdirected Request";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Error";
    }
}

int bb_http_write_error(struct bb_buf *out, int status, const char *body)
{
    size_t blen = strlen(body);
    if (bb_buf_printf(out,
                      "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      status, bb_http_reason(status), blen) != 0)
        return -1;
    return bb_buf_append(out, body, blen);
}

int bb_http_grpc_status(int status)
{
    switch (status) {
    case 403:
    case 405:
        return 7; /* PERMISSION_DENIED: policy said no */
    case 408:
        return 4; /* DEADLINE_EXCEEDED */
    case 421:
    case 502:
    case 503:
    case 504:
        return 14; /* UNAVAILABLE: the client may try again (421: on a connection of its own) */
    case 429:
        return 8; /* RESOURCE_EXHAUSTED */
    case 400:
    case 431:
    case 500:
        return 13; /* INTERNAL */
    default:
        return 2; /* UNKNOWN */
    }
}

bool bb_http_is_grpc(const struct bb_http_head *h)
{
    const struct bb_hdr *ct = bb_http_find(h, "content-type", NULL);
    return ct != NULL && ct->value_len >= 16 && strncasecmp(ct->value, "application/grpc", 16) == 0;
}

int bb_http_write_grpc_error(struct bb_buf *out, int status, const char *body)
{
    if (bb_buf_printf(out,
                      "HTTP/1.1 200 OK\r\nContent-Type: application/grpc\r\n"
                      "Grpc-Status: %d\r\nGrpc-Message: ",
                      bb_http_grpc_status(status)) != 0)
        return -1;
    for (const unsigned char *c = (const unsigned char *)body; *c; c++) {
        /* percent-encoded as gRPC's grpc-message is: printable ASCII but % as is */
        int rc = *c >= 0x20 && *c < 0x7f && *c != '%' ? bb_buf_append(out, c, 1)
                                                      : bb_buf_printf(out, "%%%02X", *c);
        if (rc != 0)
            return -1;
    }
    return bb_buf_append(out, "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 42);
}

int bb_http_write_body(struct bb_buf *out, enum bb_http_out_framing f, const char *p, size_t n)
{
    if (n == 0)
        return 0;
    if (f != BB_OUT_CHUNKED)
        return bb_buf_append(out, p, n);
    if (bb_buf_append_hex(out, n, 1) != 0 || bb_buf_append(out, "\r\n", 2) != 0 ||
        bb_buf_append(out, p, n) != 0)
        return -1;
    return bb_buf_append(out, "\r\n", 2);
}

/* A kept trailer line ("name: value\r\n") whose name a rewrite sets: the
 * rewrite's delete-then-add covers the trailer section too. */
static bool trailer_rewritten(const struct bb_inject *inj, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    if (inj == NULL || inj->rule == NULL || colon == NULL)
        return false;
    struct bb_hdr x = {.name = line, .name_len = (size_t)(colon - line)};
    return rewritten(inj, &x);
}

int bb_http_write_body_end(struct bb_buf *out, enum bb_http_out_framing f,
                           const struct bb_buf *trailers, const struct bb_inject *inj)
{
    if (f != BB_OUT_CHUNKED)
        return 0;
    if (bb_buf_append(out, "0\r\n", 3) != 0)
        return -1;
    const char *t = trailers != NULL ? bb_buf_head(trailers) : NULL;
    const char *end = t != NULL ? t + bb_buf_size(trailers) : NULL;
    while (t != NULL && t < end) {
        const char *nl = memchr(t, '\n', (size_t)(end - t));
        size_t len = nl != NULL ? (size_t)(nl - t) + 1 : (size_t)(end - t);
        if (!trailer_rewritten(inj, t, len) && bb_buf_append(out, t, len) != 0)
            return -1;
        t += len;
    }
    return bb_buf_append(out, "\r\n", 2);
}
