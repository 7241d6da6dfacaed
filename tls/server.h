/*
 * The TLS server context of the interception listener: TLS 1.2 and 1.3,
 * ALPN http/1.1 only (a client offering only h2 gets no ALPN and speaks
 * HTTP/1.1), session tickets for resumption. The certificate is set per
 * connection (the leaf for its SNI), not here.
 */
#ifndef BB_TLS_SERVER_H
#define BB_TLS_SERVER_H

#include <openssl/ssl.h>

/* NULL on failure (OpenSSL's reason on stderr). */
SSL_CTX *bb_tls_server_ctx(void);

#endif
