/*
 * Diagnostics list: a fixed array of heap strings plus counters. Kept simple
 * on purpose: messages are produced on error paths only.
 */
#include "common/diag.h"

#include <stdlib.h>
#include <string.h>

struct entry {
    enum bb_diag_level level;
    char *text;
};

struct bb_diag {
    struct entry items[BB_DIAG_MAX_MESSAGES];
    size_t n;
    size_t errors, warnings;
};

struct bb_diag *bb_diag_new(void)
{
    return calloc(1, sizeof(struct bb_diag));
}

void bb_diag_clear(struct bb_diag *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->items[i].text);
    d->n = 0;
    d->errors = d->warnings = 0;
}

void bb_diag_free(struct bb_diag *d)
{
    if (d == NULL)
        return;
    bb_diag_clear(d);
    free(d);
}

int bb_diag_vadd(struct bb_diag *d, enum bb_diag_level level, const char *fmt, va_list ap)
{
    if (level == BB_DIAG_ERROR)
        d->errors++;
    else
        d->warnings++;
    if (d->n == BB_DIAG_MAX_MESSAGES)
        return -1;
    char *text = malloc(BB_DIAG_MAX_LINE);
    if (text == NULL)
        return -1;
    vsnprintf(text, BB_DIAG_MAX_LINE, fmt, ap);
    d->items[d->n].level = level;
    d->items[d->n].text = text;
    d->n++;
    return 0;
}

int bb_diag_add(struct bb_diag *d, enum bb_diag_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = bb_diag_vadd(d, level, fmt, ap);
    va_end(ap);
    return rc;
}

size_t bb_diag_errors(const struct bb_diag *d)
{
    return d->errors;
}

size_t bb_diag_warnings(const struct bb_diag *d)
{
    return d->warnings;
}

size_t bb_diag_count(const struct bb_diag *d)
{
    return d->n;
}

const char *bb_diag_text(const struct bb_diag *d, size_t i)
{
    return i < d->n ? d->items[i].text : NULL;
}

enum bb_diag_level bb_diag_level_of(const struct bb_diag *d, size_t i)
{
    return i < d->n ? d->items[i].level : BB_DIAG_ERROR;
}

void bb_diag_print(const struct bb_diag *d, FILE *out)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(out, "%s: %s\n", d->items[i].level == BB_DIAG_ERROR ? "error" : "warning",
                d->items[i].text);
    size_t total = d->errors + d->warnings;
    if (total > d->n)
        fprintf(out, "... and %zu more messages not shown\n", total - d->n);
}
