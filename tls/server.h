/*
 * The TLS server context of the interception listener: TLS 1.2 and 1.3,
 * ALPN h2 (where the connection allows it: bb_tls_server_allow_h2) before
 * http/1.1, the server's preference; a client offering neither gets no
 * ALPN and speaks HTTP/1.1. Session tickets for resumption. TLS 1.2 offers the suites of
 * https_interception.tls12_ciphers (default: ECDHE with AES-GCM or
 * ChaCha20-Poly1305, no CBC); TLS 1.3's own suites are all AEAD and stay
 * OpenSSL's. The certificate is set per connection (the leaf for its SNI),
 * not here.
 */
#ifndef BB_TLS_SERVER_H
#define BB_TLS_SERVER_H

#include <openssl/ssl.h>
#include <stdbool.h>

/* tls12_ciphers: an OpenSSL cipher list. NULL on failure, with the reason
 * on stderr (a list OpenSSL takes no suite from is one). */
SSL_CTX *bb_tls_server_ctx(const char *tls12_ciphers);

/* Lets ALPN select h2 on this connection (before its handshake); a
 * connection not told so negotiates http/1.1 only. The connection's SSL
 * app data is used for it. */
void bb_tls_server_allow_h2(SSL *ssl);

/* Whether the handshake selected h2. */
bool bb_tls_server_is_h2(const SSL *ssl);

#endif
