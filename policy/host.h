/*
 * Host normalisation: the one place that turns a host as written (a rule's
 * `host:`, a Host header, an absolute-form authority, later an SNI or a DNS
 * question) into the canonical key the policy is looked up with.
 *
 *   - surrounding spaces and tabs trimmed, letters lowercased;
 *   - one trailing dot removed ("example.com." == "example.com");
 *   - ":port" split off; "[v6]:port" and bare "v6" recognised, the address
 *     rewritten in its canonical form ("0:0::1" -> "::1");
 *   - names: letters, digits, '-' and '.', labels 1..63 bytes, 253 bytes in
 *     all; a name whose last label is numeric must be a dotted-quad IPv4
 *     address in canonical form, so "127.1" or "0x7f.0.0.1" are refused
 *     rather than guessed;
 *   - "*.suffix" only with BB_HOST_WILDCARD, and only as the whole first label.
 *
 * Pure: bytes in, struct out; no I/O, no NUL termination assumed.
 * Returns NULL when valid, else a static reason string.
 */
#ifndef BB_HOST_H
#define BB_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BB_HOST_MAX       253  /* bytes in a normalised name (RFC 1035) */
#define BB_HOST_LABEL_MAX 63   /* bytes in one label */
#define BB_HOST_INPUT_MAX 1024 /* bytes accepted before any parsing */

enum bb_host_kind { BB_HOST_NAME, BB_HOST_IPV4, BB_HOST_IPV6, BB_HOST_WILDCARD };

/* Flags for bb_host_parse. */
#define BB_HOST_WILDCARD 0x1u /* accept "*.suffix" (policy rules only) */
#define BB_HOST_NO_PORT  0x2u /* refuse any ":port" (SNI, DNS names) */

struct bb_host {
    enum bb_host_kind kind;
    char name[BB_HOST_MAX + 1]; /* NUL-terminated; a wildcard keeps its "*." */
    size_t len;
    uint16_t port;    /* 0 when the input named no port */
    uint8_t addr[16]; /* IPV4: first 4 bytes; IPV6: all 16 (network order) */
};

const char *bb_host_parse(const char *in, size_t len, unsigned flags, struct bb_host *out);

/* Writes host (and port unless 0 or equal to default_port) as an authority:
 * "name", "name:8080", "[::1]:8443". Returns the length, or -1 if cap is
 * too small. */
int bb_host_format_authority(const struct bb_host *h, uint16_t default_port, char *buf, size_t cap);

/* Whether pattern (a host as a rule writes it) covers the normalised host
 * h: the same name or address, or for "*.suffix" a name under suffix
 * (never suffix itself, as for rules). Ports are not compared. */
bool bb_host_covers(const struct bb_host *pattern, const struct bb_host *h);

#endif
