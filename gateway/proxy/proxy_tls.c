/*
 * The proxy, interception listener (see proxy_int.h): what the ClientHello
 * decides, the client handshake with a minted leaf, the per-request checks
 * of docs/reference.md §4, and passthrough.
 *
 *   SNI missing or not a host name        refused (reset), audited
 *   SNI matching an allowed passthrough   spliced to the upstream, ClientHello
 *   rule                                  replayed, never decrypted
 *   interception off (passthrough only)   refused
 *   SNI the policy denies, with           refused
 *     deny_handshake_on_disallowed_sni
 *   anything else                         intercepted: a leaf for the SNI, then
 *                                         HTTP with the checks below
 */
#include "gateway/proxy/proxy_int.h"

#include "gateway/state/audit.h"
#include "gateway/state/metrics.h"
#include "tls/ca.h"
#include "tls/certcache.h"
#include "tls/server.h"

#include <string.h>
#include <sys/socket.h>

static const struct bb_config *cfg(const struct bb_proxy *p)
{
    return bb_proxy_cfg(p);
}

static void audit_tls(struct bb_proxy *p, const char *decision, const char *reason)
{
    struct bb_audit_tls e = {
        .decision = decision,
        .reason = reason,
        .tenant = p->snap != NULL ? bb_snapshot_tenant(p->snap) : NULL,
        .src = p->src,
        .dst = p->dst,
        .sni = p->sni,
        .mode = p->passthrough ? "passthrough" : "intercept",
    };
    bb_audit_tls(p->ctx->sh->audit, &e);
}

void bb_proxy_tls_refuse(struct bb_proxy *p, const char *decision, const char *reason)
{
    audit_tls(p, decision, reason);
    /* A reset, not a close: the client must not mistake it for an orderly
     * end (and no TLS alert is owed to a handshake never started). */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(p->client.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    bb_proxy_close(p);
}

void bb_proxy_tls_timeout(struct bb_proxy *p)
{
    bb_metrics_tls(p->ctx->metrics, BB_MT_TIMEOUT);
    bb_proxy_tls_refuse(p, "error", "handshake_timeout");
}

/* ---- passthrough ---- */

static void passthrough(struct bb_proxy *p, const struct bb_decision *d)
{
    p->passthrough = true;
    p->r->dec = *d;
    if (bb_host_parse(p->sni, strlen(p->sni), 0, &p->r->host) != NULL) {
        bb_proxy_tls_refuse(p, "deny", "bad_sni");
        return;
    }
    p->port = 443;
    audit_tls(p, bb_verdict_name(d->verdict), "passthrough");
    bb_proxy_go_upstream(p); /* cin (the ClientHello) is replayed once connected */
}

/* ---- interception ---- */

static void intercept(struct bb_proxy *p, enum bb_verdict v)
{
    struct bb_shared *sh = p->ctx->sh;
    /* Each request pins its own snapshot from here on. */
    bb_snapshot_unref(p->snap);
    p->snap = NULL;
    X509 *cert;
    EVP_PKEY *key;
    bool hit;
    if (bb_certcache_get(sh->certs, p->sni, &cert, &key, &hit) != 0) {
        bb_proxy_tls_refuse(p, "error", "mint_failed");
        return;
    }
    bb_metrics_cert_cache(p->ctx->metrics, hit);
    if (!hit)
        bb_metrics_cert_issued(p->ctx->metrics, bb_metrics_decision(bb_verdict_name(v)));
    int rc = bb_conn_tls_server(&p->client, p->client.fd, sh->server_tls, bb_buf_head(&p->cin),
                                bb_buf_size(&p->cin), cert, key, bb_ca_cert(sh->ca));
    X509_free(cert); /* the SSL holds its own references */
    EVP_PKEY_free(key);
    if (rc != 0) {
        bb_proxy_tls_refuse(p, "error", "tls_setup_failed");
        return;
    }
    if (cfg(p)->tls.http2)
        bb_tls_server_allow_h2(p->client.ssl);
    bb_buf_reset(&p->cin); /* the ClientHello now lives in the handshake */
    p->st = P_HANDSHAKE;
    bb_proxy_tls_handshake(p);
}

void bb_proxy_tls_handshake(struct bb_proxy *p)
{
    int r = bb_conn_handshake(&p->client);
    if (r == 0)
        return; /* bb_proxy_update waits for what the handshake wants */
    if (r < 0) {
        bb_metrics_tls(p->ctx->metrics, BB_MT_IO_ERROR);
        bb_proxy_tls_refuse(p, "error", "handshake_failed");
        return;
    }
    bb_metrics_tls(p->ctx->metrics, BB_MT_OK);
    audit_tls(p, "allow", "handshake_ok");
    bb_proxy_begin_http(p);
}

/* ---- the ClientHello ---- */

/* What a well-formed hello with a valid SNI gets. */
static void decide(struct bb_proxy *p)
{
    if (p->unmatched) { /* no tenant's address, and no unmatched_tenant */
        bb_proxy_tls_refuse(p, "deny", "unmatched_tenant");
        return;
    }
    const struct bb_config *c = cfg(p);
    struct bb_decision d;
    bb_policy_check_name(c->policy, p->sni, strlen(p->sni), &d);
    bool allowed = d.verdict != BB_VERDICT_DENY;
    if (allowed && d.rule != NULL && d.rule->tls == BB_TLS_PASSTHROUGH) {
        passthrough(p, &d);
        return;
    }
    if (!c->tls.enabled) {
        bb_proxy_tls_refuse(p, "deny",
                            allowed ? "interception_disabled" : bb_reason_name(d.reason));
        return;
    }
    if (!allowed && c->tls.deny_handshake_on_disallowed_sni) {
        bb_metrics_tls(p->ctx->metrics, BB_MT_DENIED_SNI);
        bb_proxy_tls_refuse(p, "deny", bb_reason_name(d.reason));
        return;
    }
    intercept(p, d.verdict); /* a denied host gets its 403 per request */
}

void bb_proxy_tls_hello(struct bb_proxy *p)
{
    struct bb_hello h;
    const char *why;
    enum bb_hello_result r =
        bb_hello_parse((const uint8_t *)bb_buf_head(&p->cin), bb_buf_size(&p->cin), &h, &why);
    if (r == BB_HELLO_MORE)
        return; /* the timer bounds the wait */
    if (r == BB_HELLO_BAD) {
        bb_metrics_tls(p->ctx->metrics, BB_MT_IO_ERROR);
        bb_proxy_tls_refuse(p, "deny", "not_a_client_hello");
        return;
    }
    if (!h.has_sni || !h.sni_ok) {
        bb_metrics_tls(p->ctx->metrics, h.has_sni ? BB_MT_BAD_SNI : BB_MT_NO_SNI);
        bb_proxy_tls_refuse(p, "deny", h.has_sni ? "bad_sni" : "no_sni");
        return;
    }
    p->sni = malloc(h.sni_len + 1);
    if (p->sni == NULL) {
        bb_proxy_tls_refuse(p, "error", "out_of_memory");
        return;
    }
    memcpy(p->sni, h.sni, h.sni_len + 1);
    /* The decision's rule must outlive a reload while the connection
     * lasts (passthrough keeps it). */
    bb_proxy_pin(p);
    decide(p);
}

/* ---- per request (docs/reference.md §4) ---- */

bool bb_proxy_tls_request_ok(struct bb_proxy *p)
{
    if (p->r->req.target_len == 0 || p->r->req.target[0] != '/') {
        bb_proxy_fail(p, 400, "absolute-form request not allowed on HTTPS interception listener",
                      "absolute_form");
        return false;
    }
    if (p->r->req.host == NULL) {
        bb_proxy_fail(p, 400, "missing Host header", "missing_host");
        return false;
    }
    struct bb_host h;
    if (bb_host_parse(p->r->req.host->value, p->r->req.host->value_len, 0, &h) != NULL) {
        bb_proxy_fail(p, 400, "bad request", "bad_host");
        return false;
    }
    if (h.port != 0 && h.port != 443) {
        bb_proxy_fail(p, 403, "HTTPS interception listener only accepts port 443 traffic",
                      "port_not_443");
        return false;
    }
    if (cfg(p)->tls.enforce_sni_host_match && strcmp(h.name, p->sni) != 0) {
        /* HTTP/2 says so with 421, which lets a client that coalesced
         * connections retry on one of its own (RFC 9110 §15.5.20) */
        bb_metrics_host_mismatch(p->ctx->metrics);
        bb_proxy_fail(p, p->stream ? 421 : 400, "SNI/Host header mismatch", "sni_host_mismatch");
        return false;
    }
    return true;
}
