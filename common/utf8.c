/*
 * UTF-8 validator: a direct transcription of the well-formed byte sequence
 * table of Unicode 15, §3.9 (Table 3-7), one code point per iteration.
 */
#include "common/utf8.h"

#include <stdint.h>

/* Bytes taken by the well-formed sequence starting at p, or 0 if there is
 * none (including a sequence cut short by the end of the buffer). */
static size_t seq_len(const uint8_t *p, size_t left)
{
    uint8_t b = p[0];
    if (b < 0x80)
        return 1;
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
        n = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        if (b == 0xE0)
            lo = 0xA0; /* overlong */
        else if (b == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        if (b == 0xF0)
            lo = 0x90; /* overlong */
        else if (b == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

size_t bb_utf8_seq_len(const void *buf, size_t len)
{
    return len == 0 ? 0 : seq_len(buf, len);
}

size_t bb_utf8_valid_prefix(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    size_t i = 0;
    while (i < len) {
        size_t n = seq_len(p + i, len - i);
        if (n == 0)
            break;
        i += n;
    }
    return i;
}
