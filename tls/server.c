#include "common/log.h"
/*
#include "common/log.h"
 * The interception listener's TLS context (see server.h).
#include "common/log.h"
 */
#include "common/log.h"
#include "tls/server.h"
#include "common/log.h"

#include "common/log.h"
#include <openssl/err.h>
#include "common/log.h"
#include <stdio.h>
#include "common/log.h"

#include "common/log.h"
/* Selects "http/1.1" when offered; without it, no ALPN at all (the
#include "common/log.h"
 * connection still speaks HTTP/1.1: h2 is never negotiated). */
#include "common/log.h"
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
#include "common/log.h"
                       const unsigned char *in, unsigned inlen, void *arg)
#include "common/log.h"
{
#include "common/log.h"
    (void)ssl;
#include "common/log.h"
    (void)arg;
#include "common/log.h"
    static const unsigned char ours[] = "\x08http/1.1";
#include "common/log.h"
    unsigned char *sel = NULL;
#include "common/log.h"
    if (SSL_select_next_proto(&sel, outlen, ours, sizeof(ours) - 1, in, inlen) !=
#include "common/log.h"
        OPENSSL_NPN_NEGOTIATED)
#include "common/log.h"
        return SSL_TLSEXT_ERR_NOACK;
#include "common/log.h"
    *out = sel;
#include "common/log.h"
    return SSL_TLSEXT_ERR_OK;
#include "common/log.h"
}
#include "common/log.h"

#include "common/log.h"
SSL_CTX *bb_tls_server_ctx(const char *tls12_ciphers)
#include "common/log.h"
{
#include "common/log.h"
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
#include "common/log.h"
    if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
#include "common/log.h"
        bb_log_warnx("TLS server context: %s", ERR_reason_error_string(ERR_get_error()));
#include "common/log.h"
        SSL_CTX_free(ctx);
#include "common/log.h"
        return NULL;
#include "common/log.h"
    }
#include "common/log.h"
    if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1) {
#include "common/log.h"
        bb_log_warnx("https_interception.tls12_ciphers \"%s\": no cipher suite (%s)", tls12_ciphers,
#include "common/log.h"
                     ERR_reason_error_string(ERR_get_error()));
#include "common/log.h"
        ERR_clear_error();
#include "common/log.h"
        SSL_CTX_free(ctx);
#include "common/log.h"
        return NULL;
#include "common/log.h"
    }
#include "common/log.h"
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
#include "common/log.h"
    /* Resumption through stateless tickets (any worker can resume one);
#include "common/log.h"
     * no internal session store to lock or to grow. */
#include "common/log.h"
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL_STORE);
#include "common/log.h"
    /* as for upstreams: output buffers compact between retries */
#include "common/log.h"
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#include "common/log.h"
    /* a client that just closes after the response is done, not failed */
#include "common/log.h"
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#include "common/log.h"
    return ctx;
#include "common/log.h"
}
