/*
 * JSON string output for audit lines: quotes, backslashes and control
 * bytes escaped, invalid UTF-8 replaced by U+FFFD, so every line is valid
 * JSON whatever bytes a client sent.
 */
#ifndef BB_JSON_H
#define BB_JSON_H

#include "common/buf.h"

/* Appends "s" (n bytes, quoted and escaped). Returns 0 or -1. */
int bb_json_str(struct bb_buf *b, const char *s, size_t n);

#endif
