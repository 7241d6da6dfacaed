/*
 * Diagnostics: an ordered list of error and warning lines produced while
 * loading or validating something (a config, a ruleset). Pure code records
 * reasons here instead of printing; the caller decides where they go.
 *
 * The list is capped at BB_DIAG_MAX_MESSAGES lines; further messages are
 * counted (so error totals stay exact) and summarised by bb_diag_print.
 * Functions that allocate return -1 on out-of-memory; the message is then
 * counted but not stored.
 */
#ifndef BB_DIAG_H
#define BB_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#define BB_DIAG_MAX_MESSAGES 200  /* stored lines; the rest are only counted */
#define BB_DIAG_MAX_LINE     1024 /* bytes per formatted line, truncated beyond */

enum bb_diag_level { BB_DIAG_ERROR, BB_DIAG_WARNING };

struct bb_diag;

struct bb_diag *bb_diag_new(void);
void bb_diag_free(struct bb_diag *d);

/* Appends one formatted line. Returns 0, or -1 if it could not be stored. */
int bb_diag_add(struct bb_diag *d, enum bb_diag_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int bb_diag_vadd(struct bb_diag *d, enum bb_diag_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

size_t bb_diag_errors(const struct bb_diag *d);   /* errors added, stored or not */
size_t bb_diag_warnings(const struct bb_diag *d); /* warnings added, stored or not */
size_t bb_diag_count(const struct bb_diag *d);    /* stored lines */
const char *bb_diag_text(const struct bb_diag *d, size_t i);
enum bb_diag_level bb_diag_level_of(const struct bb_diag *d, size_t i);

/* Prints every stored line ("error: ..." / "warning: ..."), then a line for
 * the messages that were only counted. */
void bb_diag_print(const struct bb_diag *d, FILE *out);

/* Drops every stored line and resets the counters. */
void bb_diag_clear(struct bb_diag *d);

#endif
