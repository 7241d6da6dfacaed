/*
 * UTF-8 validation (RFC 3629): no overlong forms, no surrogates, nothing
 * above U+10FFFF. Pure function over bytes.
 */
#ifndef BB_UTF8_H
#define BB_UTF8_H

#include <stddef.h>

/* Length of the longest valid UTF-8 prefix of buf; equals len when the whole
 * buffer is valid. */
size_t bb_utf8_valid_prefix(const void *buf, size_t len);

/* Bytes of the well-formed sequence starting at buf (1..4), or 0 when none
 * starts there (including one cut short by len). */
size_t bb_utf8_seq_len(const void *buf, size_t len);

#endif
