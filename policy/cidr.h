/*
 * CIDR prefixes for flow rules: parse "10.0.0.0/8", "fd00::/8", or a bare
 * address (a /32 or /128), test membership, print canonically.
 *
 * Parsing is strict: bits set beyond the prefix ("10.0.0.1/8") are an error,
 * because they usually mean the author meant something else.
 * Pure functions; the parser returns NULL or a static reason.
 */
#ifndef BB_CIDR_H
#define BB_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BB_CIDR_TEXT_MAX 64 /* bytes accepted in a CIDR string */

struct bb_cidr {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    uint8_t prefix; /* 0..32 or 0..128 */
};

const char *bb_cidr_parse(const char *s, size_t len, struct bb_cidr *out);

/* addr: 4 bytes for AF_INET, 16 for AF_INET6, network order. */
bool bb_cidr_contains(const struct bb_cidr *c, int family, const uint8_t *addr);

/* "10.0.0.0/8"; returns the length or -1 when cap is too small. */
int bb_cidr_format(const struct bb_cidr *c, char *buf, size_t cap);

#endif
