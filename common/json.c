/*
 * JSON string escaping (see json.h).
 */
#include "common/json.h"

#include "common/utf8.h"

#include <stdio.h>

int bb_json_str(struct bb_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (bb_buf_append(b, "\"", 1) != 0)
        return -1;
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            rc = bb_buf_append(b, e, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = bb_buf_append(b, e, 6);
            i++;
        } else if (c < 0x80) {
            rc = bb_buf_append(b, s + i, 1);
            i++;
        } else {
            size_t seq = bb_utf8_seq_len(s + i, n - i);
            rc = seq ? bb_buf_append(b, s + i, seq) : bb_buf_append(b, "\\ufffd", 6);
            i += seq ? seq : 1;
        }
        if (rc != 0)
            return -1;
    }
    return bb_buf_append(b, "\"", 1);
}
