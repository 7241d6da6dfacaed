/*
 * Secrets: an immutable snapshot of the secret values the config refers to,
 * read from secrets_dir (docs/reference.md §3). One file per secret, named after its
 * secret_ref; one trailing LF or CRLF is stripped. Files are taken only when
 * they resolve inside secrets_dir (the Kubernetes ..data symlink layout
 * works, a link pointing elsewhere does not), are regular, are at most
 * BB_SECRET_MAX_BYTES, and hold only bytes a header value may carry (a CR
 * or LF would inject header lines). Only referenced names are read, so nothing else in
 * the directory ever enters botbox's memory. Values are wiped when the
 * snapshot is freed and never appear in messages.
 *
 * Thread-safety: immutable once loaded; share freely.
 */
#ifndef BB_SECRETS_H
#define BB_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

#define BB_SECRET_MAX_BYTES (1u << 20) /* larger files are skipped with a warning */

struct bb_config;
struct bb_diag;
struct bb_secrets;

/* Loads every secret_ref of cfg from cfg->secrets_dir. Problems (missing
 * directory, escaping link, oversized file) are warnings in diag: the
 * secret is then simply absent. NULL only on out-of-memory. */
struct bb_secrets *bb_secrets_load(const struct bb_config *cfg, struct bb_diag *diag);

/* Wipes and frees. NULL is fine. */
void bb_secrets_free(struct bb_secrets *s);

/* The value of `name`, or NULL when absent; *len gets its length. */
const char *bb_secrets_get(const struct bb_secrets *s, const char *name, size_t *len);

/* How many referenced secrets are absent (0 = ready). */
size_t bb_secrets_missing(const struct bb_secrets *s);

/* False when secrets_dir could not be resolved or read, or a secret in it
 * exists but may not be read by this process (a reload that sees this
 * keeps the previous values). */
bool bb_secrets_dir_ok(const struct bb_secrets *s);

/* Same names, same values (nothing to publish). */
bool bb_secrets_equal(const struct bb_secrets *a, const struct bb_secrets *b);

#endif
