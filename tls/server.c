/*
 * The interception listener's TLS context (see server.h).
 */
#include "tls/server.h"

#include "common/log.h"

#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

/* The app data's mark: h2 may be selected. */
static char h2_allowed;

void bb_tls_server_allow_h2(SSL *ssl)
{
    SSL_set_app_data(ssl, &h2_allowed);
}

bool bb_tls_server_is_h2(const SSL *ssl)
{
    const unsigned char *proto;
    unsigned len;
    SSL_get0_alpn_selected(ssl, &proto, &len);
    return len == 2 && memcmp(proto, "h2", 2) == 0;
}

/* Our list first (SSL_select_next_proto takes the first of ours the
 * client offers): h2 where allowed, then http/1.1; neither offered, no
 * ALPN at all (the connection speaks HTTP/1.1). */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned inlen, void *arg)
{
    (void)arg;
    static const unsigned char both[] = "\x02h2\x08http/1.1";
    const unsigned char *ours = SSL_get_app_data(ssl) == &h2_allowed ? both : both + 3;
    unsigned ours_len = (unsigned)(sizeof(both) - 1) - (ours == both ? 0 : 3);
    unsigned char *sel = NULL;
    if (SSL_select_next_proto(&sel, outlen, ours, ours_len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

SSL_CTX *bb_tls_server_ctx(const char *tls12_ciphers)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
        bb_log_warnx("TLS server context: %s", ERR_reason_error_string(ERR_get_error()));
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1) {
        bb_log_warnx("https_interception.tls12_ciphers \"%s\": no cipher suite (%s)", tls12_ciphers,
                     ERR_reason_error_string(ERR_get_error()));
        ERR_clear_error();
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
    /* Resumption through stateless tickets (any worker can resume one);
     * no internal session store to lock or to grow. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    /* as for upstreams: output buffers compact between retries */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* a client that just closes after the response is done, not failed */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    return ctx;
}
