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

#endif
