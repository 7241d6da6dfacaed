/*
 * ClientHello peek: the server name (SNI) and ALPN offer of a TLS
 * connection, read from its first bytes without consuming them, so the
 * same bytes can then go to OpenSSL (interception) or be replayed to the
 * upstream (passthrough).
 *
 * The handshake message may span several TLS records; at most
 * BB_HELLO_MAX bytes of records are examined. The SNI must be a host name:
 * ASCII letters, digits, '-' and '.', labels of 1..63, at most 253 in all,
 * no '*' (so no wildcard can be asked for), punycode ("xn--") welcome.
 *
 * Pure: bytes in, struct out; fuzzed (tests/fuzz/fuzz_hello.c).
 */
#ifndef BB_HELLO_H
#define BB_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BB_HELLO_MAX 16384 /* record bytes examined; a longer hello is refused */
#define BB_SNI_MAX   253

enum bb_hello_result {
    BB_HELLO_MORE = 0, /* not all of the ClientHello is here yet */
    BB_HELLO_OK = 1,   /* parsed; see has_sni / sni_ok */
    BB_HELLO_BAD = -1, /* not a TLS ClientHello, or malformed */
};

struct bb_hello {
    bool has_sni;             /* a host_name entry was present */
    bool sni_ok;              /* ... and it is a valid host name */
    char sni[BB_SNI_MAX + 1]; /* lower case, when sni_ok */
    size_t sni_len;
    bool has_alpn;
    bool alpn_http11, alpn_h2; /* offered protocols of interest */
    size_t record_bytes;       /* bytes of the records that carry the hello */
};

/* Parses p[0..len), the first bytes a client sent. *why is set on BAD. */
enum bb_hello_result bb_hello_parse(const uint8_t *p, size_t len, struct bb_hello *h,
                                    const char **why);

/* The SNI rules above, on a name as given (any case). */
bool bb_sni_valid(const char *s, size_t n);

#endif
