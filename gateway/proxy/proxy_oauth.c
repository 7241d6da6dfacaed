/*
 * OAuth2 access tokens in the pipeline (docs/security.md, "OAuth2 access
 * tokens"). An allowed request to a host an oauth2 credential is bound to
 * goes with "Authorization: Bearer <token>" in place of whatever
 * Authorization the client sent (its placeholder, typically). The token
 * comes from the process's minter (gateway/cred/minter.h): at once when
 * cached, else the request waits in P_TOKEN, nothing dialled, until the
 * fetch answers or BB_MINT_WAIT_MS passes; without a token it is 502
 * credential_unavailable and the upstream never hears of it.
 *
 * A 401 to a request that carried a token, when the request can be sent
 * again (an idempotent method and no body), is not passed on: the token
 * is rejected, a new one obtained, the request sent once more. A second
 * 401 goes to the client.
 *
 * The answer is redacted for the token as for any secret the request was
 * given: each request's sets are the plan's plus the token (read as the
 * credential's placeholder), made when the token is attached.
 */
#include "gateway/proxy/proxy_int.h"

#include "gateway/cred/creds.h"
#include "gateway/cred/minter.h"

#include <stdlib.h>
#include <string.h>

#define TOKEN_TAG                                                                                  \
    (BB_SUBST_TAGS - 1) /* the token's redactions (the names list never gets here)                 \
                         */

static struct bb_minter *minter(const struct bb_proxy *p)
{
    return p->ctx->sh->minter;
}

static void unavailable(struct bb_proxy *p)
{
    bb_proxy_fail(p, 502, "credential unavailable: botbox could not obtain an access token",
                  "credential_unavailable");
}

/* n bytes that read as a redaction (the length kept). */
static void mask(char *o, size_t n)
{
    static const char m[] = BB_REDACT_MASK;
    memset(o, '*', n);
    if (n >= sizeof(m) - 1) {
        memcpy(o, m, sizeof(m) - 2);
        o[n - 1] = ']';
    }
}

/* base plus the token, into r's own patterns at pats. */
static int add_token(struct bb_subst_set *set, struct bb_subst_pat *pats,
                     const struct bb_subst_set *base, const struct bb_token *t, const char *to,
                     size_t to_len)
{
    size_t n = base != NULL ? base->n : 0;
    if (n > 0)
        memcpy(pats, base->pats, n * sizeof(*pats));
    pats[n] = (struct bb_subst_pat){
        .from = t->s, .from_len = t->len, .to = to, .to_len = to_len, .tag = TOKEN_TAG};
    return bb_subst_set_init(set, pats, n + 1);
}

/* The answer's sets with the token in (when answers are redacted). */
static bool redaction_sets(struct bb_proxy *p, const struct bb_cred_oauth *k)
{
    struct bb_proxy_req *r = p->r;
    if (!bb_proxy_cfg(p)->redaction.enabled || r->oauth_tok->len > BB_SUBST_PATTERN_MAX)
        return true;
    size_t n = r->plan->resp.n, ns = r->plan->resp_same.n, len = r->oauth_tok->len;
    r->oauth_mem = malloc((n + ns + 2) * sizeof(struct bb_subst_pat) + len);
    if (r->oauth_mem == NULL)
        return false;
    struct bb_subst_pat *pats = r->oauth_mem;
    char *same = (char *)(pats + n + ns + 2);
    if (k->ph_len == len)
        memcpy(same, k->ph, len);
    else
        mask(same, len);
    if (add_token(&r->oauth_resp, pats, &r->plan->resp, r->oauth_tok, k->ph, k->ph_len) != 0 ||
        add_token(&r->oauth_resp_same, pats + n + 1, &r->plan->resp_same, r->oauth_tok, same,
                  len) != 0)
        return false;
    r->oauth_sets = true;
    return true;
}

static bool attach(struct bb_proxy *p, struct bb_token *t)
{
    struct bb_proxy_req *r = p->r;
    struct bb_cred_oauth k;
    r->oauth_tok = t;
    if (bb_creds_oauth(p->snap->creds, r->plan->oauth, &k) != 0 || !redaction_sets(p, &k)) {
        bb_proxy_fail(p, 503, "service unavailable", "out_of_memory");
        return false;
    }
    return true;
}

static void token_came(void *arg, struct bb_token *t)
{
    struct bb_proxy *p = arg;
    if (p->dead) { /* cannot happen: closing cancels the wait */
        bb_token_put(t);
        return;
    }
    p->r->oauth_wait = NULL;
    if (t == NULL)
        unavailable(p);
    else if (attach(p, t))
        bb_proxy_resume(p);
    bb_proxy_update(p);
}

/* The minter's source for the request's credential; false: a secret of
 * its grant is missing (500 secret_not_available). */
static bool source(struct bb_proxy *p, struct bb_mint_src *src)
{
    struct bb_cred_oauth k;
    if (bb_creds_oauth(p->snap->creds, p->r->plan->oauth, &k) != 0) {
        bb_proxy_fail(p, 500, "internal error: secret not available", "secret_not_available");
        return false;
    }
    *src = (struct bb_mint_src){.cred = k.cred,
                                .sec = k.sec,
                                .secrets_dir = bb_proxy_cfg(p)->secrets_dir,
                                .tenant = bb_snapshot_tenant(p->snap)};
    return true;
}

bool bb_proxy_oauth_start(struct bb_proxy *p)
{
    struct bb_mint_src src;
    struct bb_token *t = NULL;
    p->r->cred_tags |= 1ull << p->r->plan->oauth; /* its line names the credential */
    if (minter(p) == NULL) {
        unavailable(p);
        return false;
    }
    if (!source(p, &src))
        return false;
    int rc = bb_minter_get(minter(p), &src, p->ctx->loop, token_came, p, &t, &p->r->oauth_wait);
    if (rc < 0) {
        unavailable(p);
        return false;
    }
    if (rc == 1)
        return attach(p, t);
    p->st = P_TOKEN;
    bb_proxy_arm(p, BB_MINT_WAIT_MS);
    return false;
}

void bb_proxy_oauth_cancel(struct bb_proxy *p)
{
    if (p->r != NULL && p->r->oauth_wait != NULL) {
        bb_minter_cancel(minter(p), p->r->oauth_wait);
        p->r->oauth_wait = NULL;
    }
}

void bb_proxy_oauth_timeout(struct bb_proxy *p)
{
    bb_proxy_oauth_cancel(p);
    unavailable(p);
}

/* A 401 to a request that carried a token: the token is not handed out
 * again; the request is sent again with a new one when that is safe (an
 * idempotent method, no body), the first time. */
bool bb_proxy_oauth_retry(struct bb_proxy *p)
{
    struct bb_proxy_req *r = p->r;
    int m = r->req.method_id;
    bool idempotent =
        m == HTTP_GET || m == HTTP_HEAD || m == HTTP_OPTIONS || m == HTTP_PUT || m == HTTP_DELETE;
    if (r->oauth_tok == NULL || r->oauth_retried)
        return false;
    bb_minter_reject(minter(p), &bb_proxy_cfg(p)->credentials.list[r->plan->oauth], r->oauth_tok);
    if (!idempotent || !bb_http_body_empty(&r->req) || p->websocket)
        return false;
    r->oauth_retried = true;
    bb_proxy_oauth_done(r);
    bb_http_head_clear(&r->resp); /* the 401 is dropped, its connection closed */
    bb_proxy_lines_put(p, &r->resp);
    bb_proxy_head_put(p, &p->rhead, &p->rhead_size);
    bb_proxy_release_upstream(p, false);
    if (bb_proxy_oauth_start(p))
        bb_proxy_resume(p);
    return true;
}

const struct bb_subst_set *bb_proxy_resp_set(const struct bb_proxy_req *r, bool same)
{
    if (r->oauth_sets)
        return same ? &r->oauth_resp_same : &r->oauth_resp;
    if (r->plan == NULL)
        return NULL;
    return same ? &r->plan->resp_same : &r->plan->resp;
}

void bb_proxy_oauth_done(struct bb_proxy_req *r)
{
    bb_token_put(r->oauth_tok);
    free(r->oauth_mem);
    r->oauth_tok = NULL;
    r->oauth_mem = NULL;
    r->oauth_sets = false;
    memset(&r->oauth_resp, 0, sizeof(r->oauth_resp));
    memset(&r->oauth_resp_same, 0, sizeof(r->oauth_resp_same));
}
