/*
 * Messages for the operator, on stderr, one line each, all in one form:
 * "botbox: what happened[: strerror(errno)]". A command that speaks for
 * itself sets its own prefix once, before any thread starts ("botbox run").
 * Audit lines are not logs: they go through gateway/state/audit.h.
 *
 *   bb_log_warn   something failed; the text, then errno's reason
 *   bb_log_warnx  something failed or is worth knowing; the text only
 *   bb_log_info   the daemon's progress (serving, reloaded, draining)
 *   bb_fatalx     a failure nothing can continue after; exits 1
 *
 * errno is read before anything else runs and left as it was.
 */
#ifndef BB_LOG_H
#define BB_LOG_H

#define BB_LOG_PREFIX_DEFAULT "botbox"

/* The prefix of every line from now on (a static string); NULL: the
 * default. Call it before threads start. */
void bb_log_prefix(const char *prefix);

void bb_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bb_log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bb_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bb_fatalx(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
