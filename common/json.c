/*
 * JSON string escaping (see json.h).
 */
#include "common/json.h"

#include "common/utf8.h"

#include <stdbool.h>

/* Bytes that go out as they are: printable ASCII but the quote and the
 * backslash. */
static bool plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Appends the one escape or UTF-8 sequence at s (n > 0 bytes, s[0] not
 * plain). Returns the bytes of s it took, or 0 when the buffer is full. */
static size_t put_special(struct bb_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char c = (unsigned char)s[0];
    if (c == '"' || c == '\\') {
        char e[2] = {'\\', (char)c};
        return bb_buf_append(b, e, 2) == 0 ? 1 : 0;
    }
    if (c < 0x80) { /* a control byte */
        char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        return bb_buf_append(b, e, 6) == 0 ? 1 : 0;
    }
    size_t seq = bb_utf8_seq_len(s, n);
    if (seq == 0)
        return bb_buf_append(b, "\\ufffd", 6) == 0 ? 1 : 0;
    return bb_buf_append(b, s, seq) == 0 ? seq : 0;
}

int bb_json_str(struct bb_buf *b, const char *s, size_t n)
{
    if (bb_buf_append(b, "\"", 1) != 0)
        return -1;
    size_t i = 0;
    while (i < n) {
        /* runs of plain bytes in one append: an audit line is mostly them */
        size_t run = i;
        while (run < n && plain((unsigned char)s[run]))
            run++;
        if (run > i && bb_buf_append(b, s + i, run - i) != 0)
            return -1;
        if (run == n)
            break;
        size_t took = put_special(b, s + run, n - run);
        if (took == 0)
            return -1;
        i = run + took;
    }
    return bb_buf_append(b, "\"", 1);
}
