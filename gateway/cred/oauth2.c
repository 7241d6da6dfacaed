/*
 * The token request and the reading of its answer (see oauth2.h).
 */
#include "gateway/cred/oauth2.h"

#include "gateway/cred/sigv4.h"
#include "policy/config.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the request ---- */

/* "&name=value", the value form-encoded (every byte but the unreserved
 * ones as %XX, which application/x-www-form-urlencoded reads back). */
static int param(struct bb_buf *b, const char *name, const char *v, size_t n)
{
    if (bb_buf_size(b) > 0 && bb_buf_append(b, "&", 1) != 0)
        return -1;
    return bb_buf_append(b, name, strlen(name)) | bb_buf_append(b, "=", 1) |
           bb_sigv4_encode(b, v, n);
}

/* RFC 6749 §2.3.1: Basic over the form-encoded id and secret. */
static int basic(struct bb_buf *out, const struct bb_oauth_secrets *s)
{
    char pair[2 * 3 * BB_OAUTH_TOKEN_MAX + 2];
    struct bb_buf p;
    bb_buf_wrap(&p, pair, sizeof(pair));
    if (bb_sigv4_encode(&p, s->client_id, s->client_id_len) != 0 ||
        bb_buf_append(&p, ":", 1) != 0 ||
        bb_sigv4_encode(&p, s->client_secret, s->client_secret_len) != 0)
        return -1;
    unsigned char b64[sizeof(pair) / 3 * 4 + 8];
    int n = EVP_EncodeBlock(b64, (const unsigned char *)bb_buf_head(&p), (int)bb_buf_size(&p));
    int rc = bb_buf_append(out, "Authorization: Basic ", 21) | bb_buf_append(out, b64, (size_t)n) |
             bb_buf_append(out, "\r\n", 2);
    OPENSSL_cleanse(pair, sizeof(pair));
    OPENSSL_cleanse(b64, sizeof(b64));
    return rc;
}

static int form(struct bb_buf *f, const struct bb_credential *c, const struct bb_oauth_secrets *s,
                bool in_form)
{
    bool refresh = c->grant == BB_GRANT_REFRESH_TOKEN;
    const char *grant = refresh ? "refresh_token" : "client_credentials";
    if (param(f, "grant_type", grant, strlen(grant)) != 0 ||
        (refresh && param(f, "refresh_token", s->refresh_token, s->refresh_token_len) != 0) ||
        (c->scope[0] && param(f, "scope", c->scope, strlen(c->scope)) != 0) ||
        (c->audience[0] && param(f, "audience", c->audience, strlen(c->audience)) != 0))
        return -1;
    if (s->client_id != NULL && in_form &&
        param(f, "client_id", s->client_id, s->client_id_len) != 0)
        return -1;
    if (s->client_secret != NULL && in_form &&
        param(f, "client_secret", s->client_secret, s->client_secret_len) != 0)
        return -1;
    return 0;
}

int bb_oauth_request(struct bb_buf *out, const struct bb_credential *c,
                     const struct bb_oauth_secrets *s)
{
    bool refresh = c->grant == BB_GRANT_REFRESH_TOKEN;
    if ((refresh && s->refresh_token == NULL) ||
        (!refresh && (s->client_id == NULL || s->client_secret == NULL)) ||
        s->client_id_len > BB_OAUTH_TOKEN_MAX || s->client_secret_len > BB_OAUTH_TOKEN_MAX ||
        s->refresh_token_len > BB_OAUTH_TOKEN_MAX)
        return -1;
    /* Basic needs a secret; a public client (an id alone) names itself in
     * the form (§3.2.1) */
    bool use_basic = c->client_auth == BB_OAUTH_AUTH_BASIC && s->client_secret != NULL;
    char body[BB_OAUTH_REQUEST_MAX];
    struct bb_buf f;
    bb_buf_wrap(&f, body, sizeof(body));
    int rc = form(&f, c, s, !use_basic);
    char port[8] = "";
    if (c->token_port != 443)
        snprintf(port, sizeof(port), ":%u", c->token_port);
    bool v6 = strchr(c->token_host, ':') != NULL;
    if (rc == 0)
        rc = bb_buf_printf(out,
                           "POST %s HTTP/1.1\r\nHost: %s%s%s%s\r\nUser-Agent: botbox\r\n"
                           "Accept: application/json\r\n"
                           "Content-Type: application/x-www-form-urlencoded\r\n"
                           "Content-Length: %zu\r\nConnection: close\r\n",
                           c->token_path, v6 ? "[" : "", c->token_host, v6 ? "]" : "", port,
                           bb_buf_size(&f));
    if (rc == 0 && use_basic)
        rc = basic(out, s);
    if (rc == 0)
        rc = bb_buf_append(out, "\r\n", 2) | bb_buf_append(out, body, bb_buf_size(&f));
    OPENSSL_cleanse(body, sizeof(body));
    return rc != 0 ? -1 : 0;
}

/* ---- the answer ---- */

/* Visible ASCII, 1..BB_OAUTH_TOKEN_MAX: safe in a header value and a form. */
static bool token_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return false;
    return n > 0 && n <= BB_OAUTH_TOKEN_MAX;
}

static char *dup_token(json_t *v, size_t *len)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (s == NULL || !token_ok(s, n))
        return NULL;
    char *o = malloc(n + 1);
    if (o != NULL) {
        memcpy(o, s, n + 1);
        *len = n;
    }
    return o;
}

/* expires_in: a positive integer, or its digits in a string. 0: bad. */
static uint64_t ttl(json_t *v)
{
    if (v == NULL)
        return BB_OAUTH_TTL_DEFAULT;
    uint64_t t = 0;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        t = i > 0 ? (uint64_t)i : 0;
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        for (size_t i = 0; i < n && i < 12; i++) {
            if (s[i] < '0' || s[i] > '9')
                return 0;
            t = t * 10 + (uint64_t)(s[i] - '0');
        }
        if (n == 0 || n >= 12)
            return 0;
    }
    return t > BB_OAUTH_TTL_MAX ? BB_OAUTH_TTL_MAX : t;
}

/* §5.2: the error code, kept when it is a short plain token. */
static void error_code(json_t *root, struct bb_oauth_answer *out)
{
    const char *e = json_string_value(json_object_get(root, "error"));
    size_t n = e != NULL ? strlen(e) : 0;
    bool plain = n > 0 && n <= BB_OAUTH_ERROR_MAX;
    for (size_t i = 0; plain && i < n; i++)
        plain = (e[i] >= 'a' && e[i] <= 'z') || (e[i] >= 'A' && e[i] <= 'Z') ||
                (e[i] >= '0' && e[i] <= '9') || e[i] == '_' || e[i] == '-' || e[i] == '.';
    snprintf(out->error, sizeof(out->error), "%s", plain ? e : e != NULL ? "unreadable" : "");
}

static const char *read_answer(json_t *root, struct bb_oauth_answer *out)
{
    if (!json_is_object(root))
        return "token_answer_not_json";
    error_code(root, out);
    json_t *at = json_object_get(root, "access_token");
    if (at == NULL)
        return out->error[0] ? "token_endpoint_error" : "token_answer_no_token";
    const char *type = json_string_value(json_object_get(root, "token_type"));
    if (json_object_get(root, "token_type") != NULL && (type == NULL || strcasecmp(type, "bearer")))
        return "token_type_not_bearer";
    if ((out->expires_in = ttl(json_object_get(root, "expires_in"))) == 0)
        return "token_answer_bad_expiry";
    if ((out->access_token = dup_token(at, &out->access_len)) == NULL)
        return "token_answer_bad_token";
    json_t *rt = json_object_get(root, "refresh_token");
    if (rt != NULL && (out->refresh_token = dup_token(rt, &out->refresh_len)) == NULL)
        return "token_answer_bad_refresh_token";
    out->error[0] = '\0';
    return NULL;
}

/* jansson's strings are its own: wiped before the tree is freed. */
static void wipe_tree(json_t *v)
{
    const char *key;
    json_t *x;
    if (json_is_object(v)) {
        json_object_foreach(v, key, x) wipe_tree(x);
    } else if (json_is_array(v)) {
        size_t i;
        json_array_foreach(v, i, x) wipe_tree(x);
    } else if (json_is_string(v)) {
        OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
    }
}

int bb_oauth_parse(const char *body, size_t n, struct bb_oauth_answer *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    if (n > BB_OAUTH_ANSWER_MAX) {
        *why = "token_answer_too_large";
        return -1;
    }
    json_error_t err;
    json_t *root = json_loadb(body, n, JSON_REJECT_DUPLICATES, &err);
    *why = root != NULL ? read_answer(root, out) : "token_answer_not_json";
    if (root != NULL) {
        wipe_tree(root);
        json_decref(root);
    }
    if (*why == NULL)
        return 0;
    char keep[sizeof(out->error)];
    memcpy(keep, out->error, sizeof(keep));
    bb_oauth_answer_wipe(out);
    memcpy(out->error, keep, sizeof(keep));
    return -1;
}

void bb_oauth_answer_wipe(struct bb_oauth_answer *a)
{
    if (a->access_token != NULL)
        OPENSSL_cleanse(a->access_token, a->access_len);
    if (a->refresh_token != NULL)
        OPENSSL_cleanse(a->refresh_token, a->refresh_len);
    free(a->access_token);
    free(a->refresh_token);
    memset(a, 0, sizeof(*a));
}
