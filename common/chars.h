/*
 * Character classes of the HTTP grammar, shared by the header parser and
 * the configuration's checks of header names, so both accept the same
 * bytes.
 */
#ifndef BB_CHARS_H
#define BB_CHARS_H

#include <stdbool.h>

/* RFC 9110 token characters (tchar): the bytes of a header name. The
 * parser asks once per byte of every header name, hence no strchr. */
static inline bool bb_is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

/* Field-value bytes (RFC 9110 §5.5): HTAB, SP, visible ASCII, obs-text;
 * no other control byte (CR, LF and NUL above all). */
static inline bool bb_is_value_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

#endif
