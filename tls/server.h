/*
 * The TLS server context of the interception listener: TLS 1.2 and 1.3,
 * ALPN http/1.1 only (a client offering only h2 gets no ALPN and speaks
 * HTTP/1.1), session tickets for resumption. TLS 1.2 offers the suites of
 * https_interception.tls12_ciphers (default: ECDHE with AES-GCM or
 * ChaCha20-Poly1305, no CBC); TLS 1.3's own suites are all AEAD and stay
 * OpenSSL's. The certificate is set per connection (the leaf for its SNI),
 * not here.
 */
#ifndef BB_TLS_SERVER_H
#define BB_TLS_SERVER_H

#include <openssl/ssl.h>

/* tls12_ciphers: an OpenSSL cipher list. NULL on failure, with the reason
 * on stderr (a list OpenSSL takes no suite from is one). */
SSL_CTX *bb_tls_server_ctx(const char *tls12_ciphers);

#endif
