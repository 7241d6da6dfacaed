/*
 * Placeholders and redaction in the pipeline (docs/security.md,
 * "Placeholders and redaction"): the request's plan (gateway/cred/
 * creds.h) applied to its head, its body as it streams up, and its answer
 * as it streams down. HTTP/2 streams go through here as every request
 * does: a stream's request is read as HTTP/1.1 and its answer written as
 * HTTP/1.1 (proxy_int.h), so the same code covers both protocols.
 *
 * The body's framing upstream: a chunked body stays chunked; a body with
 * a Content-Length keeps it when every replacement keeps the length and
 * no placeholder is refused; else one of at most BB_CRED_HOLD_MAX bytes
 * is held whole, then sent with its length (so that a refused one sends
 * nothing of it), and a longer one (or one whose client waits for 100
 * Continue) streams, re-framed in chunks when its length may change.
 *
 * The answer keeps its framing. A chunked or close-delimited one takes
 * any replacement; one with a Content-Length of at most BB_CRED_HOLD_MAX
 * is held whole and sent with its new length, unless it is still coming
 * after BB_CRED_HOLD_MS; that one, and a longer one, stream with
 * replacements as long as what they replace (the plan's resp_same), so
 * that the Content-Length stays true.
 */
#include "gateway/proxy/proxy_int.h"

#include "gateway/cred/creds.h"

#include <string.h>
#include <strings.h>

static bool enforce(const struct bb_proxy *p)
{
    return bb_proxy_cfg(p)->egress.enforce;
}

bool bb_proxy_expects_continue(const struct bb_http_head *h)
{
    const struct bb_hdr *e = bb_http_find(h, "expect", NULL);
    return e != NULL && e->value_len == 12 && strncasecmp(e->value, "100-continue", 12) == 0;
}

/* A placeholder of a credential not bound to this host, anywhere in the
 * head (target, names, values): its credential's index, or -1. */
static int misused(const struct bb_cred_plan *plan, const struct bb_http_head *h)
{
    int tag = -1;
    if (plan->unbound.n == 0)
        return -1;
    if (bb_subst_find(&plan->unbound, h->target, h->target_len, &tag))
        return tag;
    for (size_t i = 0; i < h->n; i++)
        if (bb_subst_find(&plan->unbound, h->h[i].name, h->h[i].name_len, &tag) ||
            bb_subst_find(&plan->unbound, h->h[i].value, h->h[i].value_len, &tag))
            return tag;
    return -1;
}

/* The same for a body with a Content-Length that came whole with its
 * head (most small ones do): refused before anything is dialled. A
 * longer body is checked as it streams (its upstream then never gets a
 * complete request). */
static int misused_in_body(const struct bb_proxy *p)
{
    const struct bb_http_head *h = &p->r->req;
    int tag = -1;
    if (h->framing != BB_BODY_LENGTH || bb_buf_size(&p->cin) < h->content_length)
        return -1;
    return bb_subst_find(&p->r->plan->unbound, bb_buf_head(&p->cin), h->content_length, &tag) ? tag
                                                                                              : -1;
}

static void body_mode(struct bb_proxy *p)
{
    struct bb_proxy_req *r = p->r;
    const struct bb_hdr *ct = bb_http_find(&r->req, "content-type", NULL);
    enum bb_body_kind kind = ct != NULL ? bb_cred_body_kind(ct->value, ct->value_len) : BB_BODY_RAW;
    const struct bb_subst_set *set = &r->plan->body[kind];
    if (r->req.framing == BB_BODY_NONE || set->n == 0)
        return;
    bb_subst_start(&r->reqsub, set);
    r->req_subst = true;
    /* held: a length to fix, or a placeholder that must not leave (a
     * whole small body is checked before any of it goes) */
    if (r->req.framing != BB_BODY_LENGTH || (set->same_length && !set->refuses))
        return;
    if (r->req.content_length <= BB_CRED_HOLD_MAX &&
        r->req.content_length * set->grow <= BB_CRED_HOLD_BUF &&
        !bb_proxy_expects_continue(&r->req)) {
        r->up_framing = BB_INJ_LENGTH; /* held, then sent with its new length */
        bb_buf_init(&r->held, BB_CRED_HOLD_BUF);
    } else if (!set->same_length) {
        r->up_framing = BB_INJ_CHUNKED;
    }
}

bool bb_proxy_cred_denied(struct bb_proxy *p)
{
    struct bb_proxy_req *r = p->r;
    bool oom = false;
    const struct bb_cred_plan *plan =
        bb_creds_plan(p->snap->creds, r->dec.rule, &r->host, false, &oom);
    int tag = plan != NULL ? misused(plan, &r->req) : -1;
    bb_cred_plan_put(plan);
    if (tag < 0)
        return false;
    r->cred_tags |= 1ull << tag;
    bb_proxy_fail(p, 403, "credential not allowed for this host", "credential_misuse");
    return true;
}

bool bb_proxy_cred_start(struct bb_proxy *p)
{
    struct bb_proxy_req *r = p->r;
    bool oom = false;
    bool allow = r->dec.verdict == BB_VERDICT_ALLOW;
    r->plan = bb_creds_plan(p->snap->creds, r->dec.rule, &r->host, allow, &oom);
    if (oom) {
        bb_proxy_fail(p, 503, "service unavailable", "out_of_memory");
        return false;
    }
    if (r->plan == NULL)
        return true;
    int tag = misused(r->plan, &r->req);
    if (tag < 0)
        tag = misused_in_body(p);
    if (tag >= 0) {
        r->cred_tags |= 1ull << tag;
        if (enforce(p)) {
            bb_proxy_fail(p, 403, "credential not allowed for this host", "credential_misuse");
            return false;
        }
        p->decision = "would_deny";
        p->reason = "credential_misuse";
    }
    if (allow)
        body_mode(p);
    if (allow && r->plan->aws >= 0 && !bb_proxy_sigv4_start(p))
        return false;
    if (allow && r->plan->oauth >= 0)
        return bb_proxy_oauth_start(p);
    return true;
}

void bb_proxy_cred_inject(struct bb_proxy *p, struct bb_inject *inj)
{
    const struct bb_cred_plan *plan = p->r->plan;
    if (plan == NULL)
        return;
    inj->hdr = &plan->hdr;
    inj->path = &plan->path;
    inj->query = &plan->query;
    const struct bb_subst_set *red = bb_proxy_resp_set(p->r, false);
    inj->identity = red != NULL && red->n > 0;
    inj->framing = p->r->up_framing;
    if (p->r->oauth_tok != NULL) {
        inj->bearer = p->r->oauth_tok->s;
        inj->bearer_len = p->r->oauth_tok->len;
    }
}

void bb_proxy_cred_refuse(struct bb_proxy *p, int tag)
{
    p->r->cred_tags |= 1ull << tag;
    if (p->r->plan != NULL && (p->r->plan->bound >> tag & 1))
        bb_proxy_fail(p, 500, "internal error: secret not available", "secret_not_available");
    else
        bb_proxy_fail(p, 403, "credential not allowed for this host", "credential_misuse");
}

/* ---- the request body ---- */

static bool up_chunked(const struct bb_proxy *p)
{
    return p->r->req.framing == BB_BODY_CHUNKED || p->r->up_framing == BB_INJ_CHUNKED;
}

int bb_proxy_cred_write_up(void *arg, const char *data, size_t n)
{
    struct bb_proxy *p = arg;
    if (p->r->up_framing == BB_INJ_LENGTH)
        return bb_buf_append(&p->r->held, data, n);
    return bb_http_write_body(&p->up->out, up_chunked(p) ? BB_OUT_CHUNKED : BB_OUT_LENGTH, data, n);
}

int bb_proxy_cred_body(struct bb_proxy *p, const char *data, size_t n)
{
    struct bb_proxy_req *r = p->r;
    if (!r->req_subst)
        return bb_proxy_cred_write_up(p, data, n);
    uint32_t before = r->reqsub.hits;
    int rc = bb_subst_feed(&r->reqsub, &p->ctx->subst, data, n, bb_proxy_cred_write_up, p);
    r->substituted += r->reqsub.hits - before;
    r->cred_tags |= r->reqsub.tags;
    return rc == 0 ? 0 : -1; /* a refusal: r->reqsub.refused_tag says which */
}

/* The request body ended: what the matcher held goes, then the end of a
 * chunked body, or the head and the whole of a held one. */
int bb_proxy_cred_body_end(struct bb_proxy *p)
{
    struct bb_proxy_req *r = p->r;
    if (r->req_subst) {
        uint32_t before = r->reqsub.hits;
        int rc = bb_subst_finish(&r->reqsub, &p->ctx->subst, bb_proxy_cred_write_up, p);
        r->substituted += r->reqsub.hits - before;
        r->cred_tags |= r->reqsub.tags;
        if (rc != 0)
            return rc == BB_SUBST_REFUSED ? BB_SUBST_REFUSED : -1;
    }
    if (r->up_framing == BB_INJ_LENGTH) {
        if (!bb_proxy_build_head(p, bb_buf_size(&r->held)) ||
            bb_buf_append(&p->up->out, bb_buf_head(&p->up_head), bb_buf_size(&p->up_head)) != 0 ||
            bb_buf_append(&p->up->out, bb_buf_head(&r->held), bb_buf_size(&r->held)) != 0)
            return -1;
        bb_buf_free(&r->held);
        return 0;
    }
    /* the trailers a rewritten header's name would smuggle past the
     * rewrite stay here, as its other values do */
    struct bb_inject inj = {.rule = r->dec.rule};
    if (up_chunked(p) &&
        bb_http_write_body_end(&p->up->out, BB_OUT_CHUNKED, &r->reqbody.trailers, &inj) != 0)
        return -1;
    return 0;
}

bool bb_proxy_cred_holds(const struct bb_proxy *p)
{
    return p->r->up_framing == BB_INJ_LENGTH;
}

/* ---- the answer ---- */

static bool compressed(const struct bb_http_head *h)
{
    const struct bb_hdr *e = bb_http_find(h, "content-encoding", NULL);
    return e != NULL && !(e->value_len == 8 && strncasecmp(e->value, "identity", 8) == 0);
}

bool bb_proxy_cred_answer(struct bb_proxy *p)
{
    struct bb_proxy_req *r = p->r;
    const struct bb_subst_set *red = bb_proxy_resp_set(r, false);
    const struct bb_subst_set *same = bb_proxy_resp_set(r, true);
    bb_proxy_sigv4_answer(p, NULL, 0);
    if (red == NULL || red->n == 0 || p->rframing == BB_OUT_NONE)
        return true;
    if (compressed(&r->resp)) {
        if (bb_proxy_cfg(p)->redaction.compressed == BB_COMPRESSED_REFUSE) {
            bb_proxy_fail(p, 502, "upstream answer is compressed: botbox cannot redact it",
                          "compressed_response");
            return false;
        }
        r->redaction_skipped = true; /* redaction.compressed: pass */
        return true;
    }
    r->resp_subst = true;
    if (p->rframing != BB_OUT_LENGTH || red->same_length) {
        bb_subst_start(&r->respsub, red); /* the framing takes any length */
        return true;
    }
    /* A Content-Length to keep right: a short answer is held and sent with
     * its new length; a longer one keeps its length, each replacement as
     * long as what it replaces (resp_same). */
    uint64_t n = r->resp.content_length;
    if (n <= BB_CRED_HOLD_MAX && n * red->grow <= BB_CRED_HOLD_BUF) {
        bb_buf_init(&r->held, BB_CRED_HOLD_MAX); /* as it came: redacted whole at its end */
        r->resp_held = true;
        r->held_since = bb_loop_now(p->ctx->loop);
    } else {
        bb_subst_start(&r->respsub, same);
    }
    return true;
}

bool bb_proxy_cred_answer_unsent(const struct bb_proxy *p)
{
    return p->r != NULL && p->r->resp_held;
}

int bb_proxy_cred_write_answer_head(struct bb_proxy *p, bool close, bool upgrade)
{
    struct bb_proxy_req *r = p->r;
    if (r->resp_held && !upgrade) {
        r->resp_close = close; /* written at the end, with the length */
        return 0;
    }
    const struct bb_subst_set *red = bb_proxy_resp_set(r, false);
    if (red != NULL && (red->n == 0 || r->redaction_skipped))
        red = NULL;
    uint64_t tags = 0;
    int rc = bb_http_write_response_redacted(&p->cout, &r->resp, p->rframing, close, upgrade, red,
                                             &r->redacted, &tags);
    r->red_tags |= tags;
    return rc;
}

static int to_client_framed(void *arg, const char *data, size_t n)
{
    struct bb_proxy *p = arg;
    return bb_http_write_body(&p->cout, p->rframing, data, n);
}

/* A held answer is whole: redacted at once, its head with the length it
 * now has, then it. */
static int send_held(struct bb_proxy *p)
{
    struct bb_proxy_req *r = p->r;
    struct bb_buf out;
    bb_buf_init(&out, BB_CRED_HOLD_BUF);
    r->resp_held = false;
    int rc = bb_subst_all(bb_proxy_resp_set(r, false), bb_buf_head(&r->held), bb_buf_size(&r->held),
                          &out, &r->redacted, &r->red_tags, NULL);
    r->resp.content_length = bb_buf_size(&out);
    if (rc == 0)
        rc = bb_proxy_cred_write_answer_head(p, r->resp_close, false);
    if (rc == 0)
        rc = bb_buf_append(&p->cout, bb_buf_head(&out), bb_buf_size(&out));
    bb_buf_free(&out);
    bb_buf_free(&r->held);
    return rc;
}

/* A held answer still coming after BB_CRED_HOLD_MS: its head goes with
 * its Content-Length, what was held and the rest stream with
 * replacements that keep the length. */
static int stream_held(struct bb_proxy *p)
{
    struct bb_proxy_req *r = p->r;
    r->resp_held = false;
    bb_subst_start(&r->respsub, bb_proxy_resp_set(r, true));
    int rc = bb_proxy_cred_write_answer_head(p, r->resp_close, false);
    if (rc == 0)
        rc = bb_proxy_cred_answer_data(p, bb_buf_head(&r->held), bb_buf_size(&r->held));
    bb_buf_free(&r->held);
    return rc;
}

int bb_proxy_cred_answer_data(struct bb_proxy *p, const char *data, size_t n)
{
    struct bb_proxy_req *r = p->r;
    bb_proxy_sigv4_answer(p, data, n);
    if (!r->resp_subst)
        return to_client_framed(p, data, n);
    if (r->resp_held) {
        if (bb_buf_append(&r->held, data, n) != 0)
            return -1;
        if (bb_loop_now(p->ctx->loop) - r->held_since < BB_CRED_HOLD_MS)
            return 0;
        return stream_held(p);
    }
    uint32_t before = r->respsub.hits;
    int rc = bb_subst_feed(&r->respsub, &p->ctx->subst, data, n, to_client_framed, p);
    r->redacted += r->respsub.hits - before;
    r->red_tags |= r->respsub.tags;
    return rc;
}

int bb_proxy_cred_answer_end(struct bb_proxy *p)
{
    struct bb_proxy_req *r = p->r;
    const struct bb_buf *trailers = &r->respbody.trailers;
    struct bb_buf red;
    bb_buf_init(&red, BB_HTTP_TRAILERS_MAX * 2);
    int rc = 0;
    if (r->resp_subst) {
        uint32_t before = r->respsub.hits;
        rc = bb_subst_finish(&r->respsub, &p->ctx->subst, to_client_framed, p);
        r->redacted += r->respsub.hits - before;
        r->red_tags |= r->respsub.tags;
        if (rc == 0 && bb_buf_size(trailers) > 0) {
            rc = bb_subst_all(bb_proxy_resp_set(r, false), bb_buf_head(trailers),
                              bb_buf_size(trailers), &red, &r->redacted, &r->red_tags, NULL);
            trailers = &red;
        }
    }
    if (rc == 0 && r->resp_held)
        rc = send_held(p);
    if (rc == 0)
        rc = bb_http_write_body_end(&p->cout, p->rframing, trailers, NULL);
    bb_buf_free(&red);
    return rc;
}

/* ---- the audit line ---- */

size_t bb_proxy_cred_names(const struct bb_proxy *p, const char **names, size_t cap)
{
    const struct bb_proxy_req *r = p->r;
    size_t n = 0;
    if (p->snap == NULL || p->snap->creds == NULL)
        return 0;
    for (int i = 0; i < BB_SUBST_TAGS && n < cap; i++)
        if (r->cred_tags >> i & 1)
            names[n++] = bb_creds_name(p->snap->creds, i);
    for (size_t t = 0; r->plan != NULL && t < r->plan->nnames && n < cap; t++) {
        if (!(r->red_tags >> t & 1))
            continue;
        bool seen = false;
        for (size_t k = 0; k < n; k++)
            seen |= strcmp(names[k], r->plan->names[t]) == 0;
        if (!seen)
            names[n++] = r->plan->names[t];
    }
    return n;
}

void bb_proxy_cred_done(struct bb_proxy *p)
{
    struct bb_proxy_req *r = p->r;
    bb_cred_plan_put(r->plan);
    bb_subst_release(&r->reqsub);
    bb_subst_release(&r->respsub);
    bb_buf_free(&r->held);
    r->plan = NULL;
    r->req_subst = r->resp_subst = r->redaction_skipped = r->resp_held = r->resp_close = false;
    r->up_framing = BB_INJ_AS_READ;
    r->substituted = r->redacted = 0;
    r->cred_tags = r->red_tags = 0;
    r->aws = r->presigned = r->aws_sha_header = false;
    r->aws_upstream_err = NULL;
    r->aws_payload = NULL;
    bb_proxy_oauth_done(r);
    r->oauth_retried = false;
}
