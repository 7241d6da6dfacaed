/*
 * Interception benchmark: what a new SNI costs (minting a leaf), what a
 * known one costs (a cache hit), and the server side of a full TLS
 * handshake with a cached leaf, fresh and resumed, over in-memory BIO
 * pairs (no network). Prints numbers only; nothing is asserted.
 */
#include "common/diag.h"
#include "policy/config.h"
#include "tls/ca.h"
#include "tls/certcache.h"
#include "tls/server.h"

#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MINTS      200
#define HITS       200000
#define HANDSHAKES 300

static int resumed;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Moves bytes between the two ends until both handshakes are done. */
static int handshake(SSL *c, SSL *s)
{
    for (int i = 0; i < 100; i++) {
        int rc = SSL_do_handshake(c), rs = SSL_do_handshake(s);
        if (rc == 1 && rs == 1)
            return 0;
    }
    return -1;
}

/* One handshake of a client (resuming *sess when set) with a server
 * presenting the cached leaf for "bench.test". */
static int one(SSL_CTX *sctx, SSL_CTX *cctx, struct bb_certcache *cache, const struct bb_ca *ca,
               SSL_SESSION **sess)
{
    X509 *cert;
    EVP_PKEY *key;
    bool hit;
    if (bb_certcache_get(cache, "bench.test", &cert, &key, &hit) != 0)
        return -1;
    SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
    BIO *bs, *bc;
    BIO_new_bio_pair(&bs, 0, &bc, 0);
    SSL_set_bio(s, bs, bs);
    SSL_set_bio(c, bc, bc);
    SSL_use_certificate(s, cert);
    SSL_use_PrivateKey(s, key);
    SSL_add1_chain_cert(s, bb_ca_cert(ca));
    SSL_set_accept_state(s);
    SSL_set_connect_state(c);
    SSL_set_tlsext_host_name(c, "bench.test");
    SSL_set1_host(c, "bench.test");
    if (sess != NULL && *sess != NULL)
        SSL_set_session(c, *sess);
    int rc = handshake(c, s);
    if (rc == 0 && sess != NULL) {
        char b;
        SSL_read(c, &b, 1); /* TLS 1.3 tickets arrive after the handshake */
        resumed += SSL_session_reused(c);
        SSL_SESSION_free(*sess);
        *sess = SSL_get1_session(c);
    }
    SSL_shutdown(c); /* without it OpenSSL marks the session not resumable */
    SSL_shutdown(s);
    SSL_free(c);
    SSL_free(s);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

int main(void)
{
    char dir[] = "/tmp/bb-bench-tls-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    char sub[64], crt[96], key[96];
    snprintf(sub, sizeof(sub), "%s/ca", dir);
    snprintf(crt, sizeof(crt), "%s/ca.crt", sub);
    snprintf(key, sizeof(key), "%s/ca.key", sub);
    struct bb_diag *d = bb_diag_new();
    struct bb_ca *ca = bb_ca_init(sub, d) == 0 ? bb_ca_load(crt, key, d) : NULL;
    if (ca == NULL) {
        bb_diag_print(d, stderr);
        return 1;
    }

    double t = now();
    for (int i = 0; i < MINTS; i++) {
        X509 *x;
        EVP_PKEY *k;
        if (bb_ca_mint(ca, "bench.test", 86400, &x, &k) != 0)
            return 1;
        X509_free(x);
        EVP_PKEY_free(k);
    }
    printf("mint a leaf (P-256 key + signature)   %8.1f us\n", (now() - t) / MINTS * 1e6);

    struct bb_certcache *cache = bb_certcache_new(ca, 1024, 3600, 86400);
    X509 *x;
    EVP_PKEY *k;
    bool hit;
    bb_certcache_get(cache, "bench.test", &x, &k, &hit);
    X509_free(x);
    EVP_PKEY_free(k);
    t = now();
    for (int i = 0; i < HITS; i++) {
        bb_certcache_get(cache, "bench.test", &x, &k, &hit);
        X509_free(x);
        EVP_PKEY_free(k);
    }
    printf("leaf cache hit                        %8.1f ns\n", (now() - t) / HITS * 1e9);

    SSL_CTX *sctx = bb_tls_server_ctx(BB_TLS12_CIPHERS_DEFAULT),
            *cctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(cctx, crt, NULL);
    SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT);
    t = now();
    for (int i = 0; i < HANDSHAKES; i++)
        if (one(sctx, cctx, cache, ca, NULL) != 0)
            return 1;
    printf("full handshake, cached leaf (both ends) %6.1f us\n", (now() - t) / HANDSHAKES * 1e6);
    SSL_SESSION *sess = NULL;
    one(sctx, cctx, cache, ca, &sess);
    t = now();
    for (int i = 0; i < HANDSHAKES; i++)
        if (one(sctx, cctx, cache, ca, &sess) != 0)
            return 1;
    printf("resumed handshake (both ends)         %8.1f us  (%d of %d resumed)\n",
           (now() - t) / HANDSHAKES * 1e6, resumed, HANDSHAKES);
    SSL_SESSION_free(sess);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    bb_certcache_free(cache);
    bb_ca_free(ca);
    bb_diag_free(d);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
