/*
 * The local CA for HTTPS interception: creating one (`botbox ca init`),
 * loading it (certificate and key must match and the certificate must be a
 * CA: checked at start, fatal otherwise), and minting leaves.
 *
 * A leaf (docs/reference.md §4): a fresh ECDSA P-256 key, CN and a single DNS SAN
 * equal to the SNI, serverAuth, a random 16-byte serial, valid from now
 * - 5 minutes (clock skew) to now + ttl, signed with SHA-256 by the CA.
 * The chain served is [leaf, CA].
 *
 * Thread-safety: a loaded CA is immutable; minting from several threads at
 * once is safe (OpenSSL 3 objects are only read).
 */
#ifndef BB_CA_H
#define BB_CA_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>

#define BB_CA_VALID_DAYS 3650 /* a CA made by `botbox ca init` */
#define BB_LEAF_BACKDATE 300  /* seconds a leaf is valid before now */

struct bb_diag;
struct bb_ca;

/* Creates DIR (0700 when new) with ca.crt (0644) and ca.key (0600).
 * Refuses to overwrite either. Returns 0, or -1 with a message in diag. */
int bb_ca_init(const char *dir, struct bb_diag *diag);

/* Loads a CA. NULL with the reason in diag (missing file, not PEM, key and
 * certificate do not match, not a CA certificate). */
struct bb_ca *bb_ca_load(const char *cert_path, const char *key_path, struct bb_diag *diag);
void bb_ca_free(struct bb_ca *ca);

/* The CA certificate (for the chain); the CA keeps its reference. */
X509 *bb_ca_cert(const struct bb_ca *ca);

/* Mints a leaf for name, valid ttl_seconds. Returns 0 with new references
 * in *cert and *key, or -1. */
int bb_ca_mint(const struct bb_ca *ca, const char *name, uint32_t ttl_seconds, X509 **cert,
               EVP_PKEY **key);

#endif
