/*
 * Placeholders: the look-alike values the workload holds instead of
 * secrets (docs/security.md, "Placeholders and redaction"). Each is made
 * once per process from OpenSSL's random generator, never from the
 * secret: the credential's prefix, then random letters and digits up to
 * its length. A reload keeps a credential's placeholder while its
 * secret_ref, prefix and length stay the same (the workload read it at
 * start and cannot be told again); a changed shape gets a new one.
 * botbox run makes them before it forks its gateway, so both hold the
 * same.
 *
 * Thread-safety: the control thread only (workers use the copies a
 * snapshot's credential table holds).
 */
#ifndef BB_PLACEHOLDER_H
#define BB_PLACEHOLDER_H

#include <stddef.h>

struct bb_config;

#define BB_PLACEHOLDERS_MAX (1u << 20) /* kept over a process's reloads; beyond, sync fails */

/* Makes the placeholders cfg's credentials lack. 0, or -1 (no random
 * bytes or memory, or BB_PLACEHOLDERS_MAX reached: those made stay). */
int bb_placeholders_sync(const struct bb_config *cfg);

/* The placeholder of the credential for secret_ref `name` as cfg shapes
 * it, or NULL when none was made. */
const char *bb_placeholder_get(const struct bb_config *cfg, const char *name, size_t *len);

#define BB_STAND_IN_LEN 40 /* an AWS secret access key's length */

/* The stand-in secret access key published under an aws_sigv4
 * credential's secret_env: for the workload's SDK to sign with, never
 * checked (botbox signs again with the real key). Made from the access
 * key id's placeholder (SHA-512, letters and digits), so it is as stable
 * as that one and holds nothing of any secret. */
void bb_placeholder_stand_in(const char *ph, size_t len, char out[BB_STAND_IN_LEN + 1]);

/* Writes "ENV=placeholder" lines (and each stand-in under its secret_env) for cfg's credentials to
 * path, replacing it atomically (a temporary file renamed), mode 0644: placeholders only, nothing
 * secret. 0, or -1 with errno. */
int bb_placeholders_write(const struct bb_config *cfg, const char *path);

/* Frees every placeholder (tests, and the end of the process). */
void bb_placeholders_clear(void);

#endif
